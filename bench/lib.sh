# bench/lib.sh: what bench/trace.sh and bench/floor.sh share. Sourced
# with $root set to the repository; it sets $work, a scratch directory
# removed on exit.

work=$(mktemp -d "${TMPDIR:-/tmp}/landlearn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# build_landlearn: the binary under test, as $work/landlearn.
build_landlearn() {
	echo "building landlearn..." >&2
	(cd "$root" && go build -o "$work/landlearn" ./cmd/landlearn)
}

# The workloads of issue 3: (a) make -j2 of the sources make_sources
# writes, (b) a file-heavy run.
find_cmd='find /usr/share -type f -print0 | xargs -0 cat > /dev/null'

# make_sources DIR: 30 C files, each including a few system headers, a
# main.c and a Makefile.
make_sources() {
	mkdir "$1"
	i=0
	while [ $i -lt 30 ]; do
		cat > "$1/f$i.c" <<EOF
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
int f$i(int n) {
	char buf[64];
	snprintf(buf, sizeof buf, "%d", n);
	return (int)strlen(buf) + n * $i;
}
EOF
		i=$((i + 1))
	done
	cat > "$1/main.c" <<'EOF'
int main(void) { return 0; }
EOF
	cat > "$1/Makefile" <<'EOF'
SRCS := $(wildcard f*.c) main.c
OBJS := $(SRCS:.c=.o)
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
%.o: %.c
	$(CC) -O1 -c -o $@ $<
clean:
	rm -f $(OBJS) prog
EOF
}

now() { date +%s.%N; }

# median of the times (seconds) on stdin
median() { sort -g | awk '{ a[NR] = $1 } END { m = a[int((NR + 1) / 2)]; printf "%.3f", m }'; }

# time_it PREP CMD...: run PREP (untimed), then time CMD; print seconds.
time_it() {
	prep=$1
	shift
	sh -c "$prep" > /dev/null 2>&1
	t0=$(now)
	"$@" > /dev/null 2>"$work/err" || { echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}
