#!/usr/bin/env bash
# Benchmark of `landlearn minimize` (issue 4, item 6): generate N realistic
# observations (default 1,000,000, about 164 MB of JSONL: shared libraries,
# a source tree, build outputs, mkstemp temp files, /proc reads, execs,
# renames, ports), then time `landlearn minimize` against `LC_ALL=C sort -u`
# of the same file, with /usr/bin/time -v for the peak RSS.
#
#   bench/minimize.sh [N]        # N observations, default 1000000
#
# Target: minimize no slower than sort -u, under 400 MB RSS. The generator
# is awk with a fixed seed, so every run times the same bytes. KEEP=1 keeps
# the work directory (the JSONL file and the binary) for profiling, also
# with the benchmarks of the reader and the Builder alone:
#
#   LANDLEARN_BENCH_JSONL=$work/run.jsonl go test -run '^$' \
#       -bench 'ReadRunFile|AddFile' -cpuprofile cpu.out ./minimize
#   LANDLEARN_BENCH_JSONL=$work/run.jsonl go test -run '^$' -bench ReaderFile ./learn
#
# minimize keeps two cores busy (a decoder and a Builder), sort -u of lines
# already in order little more than one, so other work on the machine slows
# minimize's wall time more: the load average is printed, and the CPU time
# (user + sys) is the steadier number to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/landlearn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT && echo "keeping $work" >&2

go build -o "$work/landlearn" ./cmd/landlearn

awk -v n="$n" 'BEGIN {
	srand(1)
	home = "/home/dev"; proj = home "/proj"
	nexe = split("/usr/bin/make /usr/bin/gcc /usr/lib/gcc/x86_64-linux-gnu/12/cc1 /usr/bin/as /usr/bin/ld /usr/bin/python3.11 /usr/bin/dash /usr/bin/git", exes, " ")
	alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	pid = 4000; seq = 0
	while (seq < n) {
		r = rand()
		exe = exes[1 + int(rand() * nexe)]
		if (rand() < 0.01) pid++
		if (r < 0.30) {          # shared libraries and the loader cache
			line("openat", sprintf("/usr/lib/x86_64-linux-gnu/lib%d.so.%d", int(rand() * 300), int(rand() * 3)), "file", "\"read_file\"")
		} else if (r < 0.50) {   # the source tree and headers
			if (rand() < 0.5) line("openat", sprintf("%s/src/mod%d/file%d.c", proj, int(rand() * 40), int(rand() * 60)), "file", "\"read_file\"")
			else line("openat", sprintf("/usr/include/h%d/x%d.h", int(rand() * 30), int(rand() * 50)), "file", "\"read_file\"")
		} else if (r < 0.62) {   # build outputs: create, write, rename into place
			d = sprintf("%s/build/mod%d", proj, int(rand() * 40)); f = sprintf("%s/obj%d.o", d, int(rand() * 60))
			line2("openat", d, "dir", "\"make_reg\"", ",\"created\":true,\"dst\":\"" f ".tmp\"")
			line2("openat", f ".tmp", "file", "\"write_file\"", ",\"created\":true")
			line2("renameat2", d, "dir", "\"remove_file\",\"make_reg\"", ",\"src\":\"" f ".tmp\",\"dst\":\"" f "\"")
		} else if (r < 0.72) {   # mkstemp temp files, created then deleted
			t = "/tmp/cc"; for (i = 0; i < 6; i++) t = t substr(alnum, 1 + int(rand() * 62), 1); t = t ".s"
			line2("openat", "/tmp", "dir", "\"make_reg\"", ",\"created\":true,\"dst\":\"" t "\"")
			line2("openat", t, "file", "\"read_file\",\"write_file\"", ",\"created\":true")
			line2("unlink", "/tmp", "dir", "\"remove_file\"", ",\"deleted\":true,\"src\":\"" t "\"")
		} else if (r < 0.80) {   # /proc
			if (rand() < 0.5) line("openat", sprintf("/proc/%d/status", pid), "file", "\"read_file\"")
			else line("openat", sprintf("/proc/sys/kernel/f%d", int(rand() * 20)), "file", "\"read_file\"")
		} else if (r < 0.88) {   # execs
			line("execve", exe, "file", "\"execute\",\"read_file\"")
		} else if (r < 0.94) {   # directories listed, config read
			if (rand() < 0.5) line("openat", sprintf("%s/src/mod%d", proj, int(rand() * 40)), "dir", "\"read_dir\"")
			else line("openat", sprintf("%s/.config/tool%d/config", home, int(rand() * 10)), "file", "\"read_file\"")
		} else if (r < 0.97) {   # terminals and devices
			line("openat", sprintf("/dev/pts/%d", int(rand() * 8)), "char", "\"read_file\",\"write_file\",\"ioctl_dev\"")
		} else {                 # ports
			seq++
			printf "{\"seq\":%d,\"syscall\":\"connect\",\"pid\":%d,\"exe\":\"%s\",\"port\":%d,\"access\":[\"connect_tcp\"]}\n", seq, pid, exe, (rand() < 0.5 ? 443 : 8000 + int(rand() * 10))
		}
	}
}
function line(sc, path, type, acc) { line2(sc, path, type, acc, "") }
function line2(sc, path, type, acc, extra) {
	seq++
	printf "{\"seq\":%d,\"syscall\":\"%s\",\"pid\":%d,\"exe\":\"%s\",\"path\":\"%s\",\"type\":\"%s\",\"access\":[%s]%s}\n", seq, sc, pid, exe, path, type, acc, extra
}' > "$work/run.jsonl"

printf 'input: %s observations, %s bytes\n' "$(wc -l < "$work/run.jsonl")" "$(stat -c %s "$work/run.jsonl")"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# measure NAME CMD...: the best wall time of 3 runs, its CPU time (user +
# sys) and the largest peak RSS. The best of 3 because CI machines are
# shared; the CPU time is the steadier number.
measure() {
	local name=$1; shift
	local best= cpu= rss=0
	for _ in 1 2 3; do
		/usr/bin/time -v "$@" > /dev/null 2> "$work/time.txt" || { cat "$work/time.txt" >&2; exit 1; }
		read -r wall c r < <(awk -F': ' '
			/Elapsed \(wall clock\)/ { n = split($2, t, ":"); w = t[n]; if (n > 1) w += 60 * t[n-1] }
			/User time/ { c += $2 } /System time/ { c += $2 }
			/Maximum resident set size/ { r = $2 / 1024 }
			END { printf "%.2f %.2f %.0f\n", w, c, r }' "$work/time.txt")
		if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$wall cpu=$c; fi
		[ "$r" -gt "$rss" ] && rss=$r
	done
	printf '%-20s %6s s wall (best of 3) %6s s CPU %6s MB max RSS\n' "$name" "$best" "$cpu" "$rss"
}
cd "$work"   # so that ${PWD} is not the project
measure "LC_ALL=C sort -u" env LC_ALL=C sort -u run.jsonl
# The tracer writes lines in seq order, which sort -u merges fast; the
# same lines shuffled show what sorting costs on unordered input.
shuf --random-source=<(yes) run.jsonl > shuffled.jsonl
measure "sort -u (shuffled)" env LC_ALL=C sort -u shuffled.jsonl
measure "landlearn minimize" ./landlearn minimize run.jsonl
./landlearn minimize run.jsonl 2>&1 >/dev/null | head -2
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
