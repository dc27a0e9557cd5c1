#!/bin/sh
# bench/trace.sh: what tracing costs. Times, median of N runs (default 5),
# caches warm:
#   native               the workload alone
#   landlearn learn      --raw FILE.jsonl -o FILE.yaml (trace backend, default mode)
#   strace               -f --seccomp-bpf -e trace=%file,%network -o FILE
# on (a) `make -j2` of 30 generated C files and (b) a file-heavy run,
# `find /usr/share -type f | xargs cat > /dev/null`.
#
# Usage: bench/trace.sh [RUNS]      (from the repository root)
# Goals on a 2-core machine: learn <= 1.6x native on (a), <= 2.3x on (b),
# and at least 2x (a) / 1.5x (b) faster than strace. Other work on the
# machine is noise: run it on an idle one and say so with the numbers.
set -eu

runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
build_landlearn
make_sources "$work/src"

make_cmd="make -s -j2 -C $work/src"

# bench NAME PREP SCRIPT: one row of the table.
bench() {
	name=$1 prep=$2 script=$3
	sh -c "$prep; $script" > /dev/null 2>&1 # warm the caches
	for mode in native learn strace; do
		: > "$work/times.$mode"
		n=0
		while [ $n -lt "$runs" ]; do
			case $mode in
			native) t=$(time_it "$prep" sh -c "$script") ;;
			learn) t=$(time_it "$prep" "$work/landlearn" learn --raw "$work/r.jsonl" -o "$work/p.yaml" --force -- sh -c "$script") ;;
			strace) t=$(time_it "$prep" strace -f --seccomp-bpf -e trace=%file,%network -o "$work/strace.out" sh -c "$script") ;;
			esac
			echo "$t" >> "$work/times.$mode"
			n=$((n + 1))
		done
	done
	nat=$(median < "$work/times.native")
	lrn=$(median < "$work/times.learn")
	str=$(median < "$work/times.strace")
	obs=$(wc -l < "$work/r.jsonl")
	printf '| %-28s | %7ss | %7ss (%4.2fx) | %7ss (%4.2fx) | %5.2fx | %8d |\n' "$name" "$nat" \
		"$lrn" "$(echo "$lrn / $nat" | bc -l)" "$str" "$(echo "$str / $nat" | bc -l)" \
		"$(echo "$str / $lrn" | bc -l)" "$obs"
}

command -v strace > /dev/null || { echo "bench/trace.sh needs strace" >&2; exit 2; }
command -v bc > /dev/null || { echo "bench/trace.sh needs bc" >&2; exit 2; }

echo "machine: $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median of $runs runs, caches warm"
echo
echo "| workload                     |  native  | landlearn learn --raw  | strace -f --seccomp-bpf | strace/learn | observations |"
echo "|------------------------------|----------|------------------------|-------------------------|--------------|--------------|"
bench "(a) make -j2, 30 C files" "make -s -C $work/src clean" "$make_cmd"
bench "(b) find /usr/share | xargs cat" "true" "$find_cmd"
echo
echo "goals: learn <= 1.6x native on (a), <= 2.3x on (b); strace/learn >= 2x on (a), >= 1.5x on (b)"
echo "(learn's time includes building and writing the policy after the run: time it with 'landlearn minimize' on the JSONL)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
