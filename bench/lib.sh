# bench/lib.sh: what bench/trace.sh and bench/floor.sh share. Sourced
# with $root set to the repository; it sets $work, a scratch directory
# removed on exit. Only what CI installs is used: sh, awk, gcc, make,
# python3 and strace.

work=$(mktemp -d "${TMPDIR:-/tmp}/landlearn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# need CMD...: exit 2 naming the first one missing.
need() {
	for c in "$@"; do
		command -v "$c" > /dev/null || { echo "$(basename "$0") needs $c" >&2; exit 2; }
	done
}

# build_landlearn: the binary under test, as $work/landlearn; $LANDLEARN,
# when set, is a binary to use instead (to compare two builds).
build_landlearn() {
	if [ -n "${LANDLEARN:-}" ]; then
		cp "$LANDLEARN" "$work/landlearn"
		return
	fi
	echo "building landlearn..." >&2
	(cd "$root" && go build -o "$work/landlearn" ./cmd/landlearn)
}

# build_floor: bench/floor.c as $work/floor.
build_floor() {
	gcc -O2 -o "$work/floor" "$root/bench/floor.c" -lpthread
}

# setup_workloads writes what the workloads need into $work and sets
# $py, the Python interpreter itself: a pyenv-style shim would add its
# own shell and execs to every run.
setup_workloads() {
	make_sources "$work/src"
	py=$(python3 -c 'import sys; print(sys.executable)')
	printf 'x\n' > "$work/one"
	cat > "$work/open_one.py" <<'EOF'
import os, sys
p = sys.argv[1]
for _ in range(300000):
    os.close(os.open(p, os.O_RDONLY))
EOF
	cat > "$work/open_tree.py" <<'EOF'
import os, sys
root = sys.argv[1]
for d in range(100):
    dir = os.path.join(root, "d%02d" % d)
    for f in range(1000):
        os.close(os.open(os.path.join(dir, "f%03d" % f), os.O_RDONLY))
EOF
	"$py" - "$work/tree" <<'EOF'
import os, sys
for d in range(100):
    dir = os.path.join(sys.argv[1], "d%02d" % d)
    os.makedirs(dir)
    for f in range(1000):
        open(os.path.join(dir, "f%03d" % f), "w").close()
EOF
}

# each_workload FN: FN NAME PREP SCRIPT for each workload, in order:
#   (a) make -j2 of the sources make_sources writes (a build);
#   (b) find | xargs cat (a file-heavy run, every file new);
#   (c) Python opening one file 300,000 times (a test suite's repeats);
#   (d) Python opening 100,000 existing files, 1,000 in each of 100
#       directories (a test suite's new files).
# $only, when set, is the letters of the workloads to run (e.g. "cd").
each_workload() {
	for w in a b c d; do
		case ${only:-abcd} in *$w*) ;; *) continue ;; esac
		case $w in
		a) "$1" "(a) make -j2, 30 C files" "make -s -C $work/src clean" "make -s -j2 -C $work/src" ;;
		b) "$1" "(b) find /usr/share | xargs cat" "true" "find /usr/share -type f -print0 | xargs -0 cat > /dev/null" ;;
		c) "$1" "(c) Python: 1 file x 300,000" "true" "$py $work/open_one.py $work/one" ;;
		d) "$1" "(d) Python: 100,000 files" "true" "$py $work/open_tree.py $work/tree" ;;
		esac
	done
}

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

# calc EXPR: awk's arithmetic, printed with FORMAT ($2, default %.3f).
calc() { awk "BEGIN { printf \"${2:-%.3f}\", $1 }"; }

# median of the times (seconds) on stdin
median() { sort -g | awk '{ a[NR] = $1 } END { m = a[int((NR + 1) / 2)]; printf "%.3f", m }'; }

# time_it PREP CMD...: run PREP (untimed), then time CMD; print seconds.
# CMD's standard error is left in $work/err.
time_it() {
	prep=$1
	shift
	sh -c "$prep" > /dev/null 2>&1
	t0=$(now)
	"$@" > /dev/null 2> "$work/err" || { echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
	t1=$(now)
	calc "$t1 - $t0" %.6f
}

# machine: the line that says where the numbers come from.
machine() {
	echo "machine: $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
}
