#!/bin/sh
# bench/floor.sh: the floor under bench/trace.sh. What stopping the calls
# landlearn stops costs on this machine when the tracer does nothing else:
# bench/floor.c installs landlearn's filter and lets every stopped call go
# on without reading it. Times, median of N runs (default 5), caches warm,
# on the workloads of bench/trace.sh, for four ways of receiving:
#   1 receiver, sync       one receiver thread, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#                          (what landlearn does)
#   N receivers            one thread per CPU, no flag, the scheduler places them
#   N pinned               one thread pinned to each CPU, no flag
#   N pinned, sync         the same with the flag
# and landlearn learn --raw -o (trace backend) for comparison. landlearn
# cannot be faster than the floor of the way it receives: the difference
# is its own work (reading paths, resolving them, writing JSONL, the policy).
#
# Usage: bench/floor.sh [RUNS]      (from the repository root; needs gcc)
set -eu

runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v gcc > /dev/null || { echo "bench/floor.sh needs gcc" >&2; exit 2; }
command -v bc > /dev/null || { echo "bench/floor.sh needs bc" >&2; exit 2; }
. "$root/bench/lib.sh"
build_landlearn
gcc -O2 -o "$work/floor" "$root/bench/floor.c" -lpthread
make_sources "$work/src"
cpus=$(nproc)

# bench NAME PREP SCRIPT: one row of the table.
bench() {
	name=$1 prep=$2 script=$3
	sh -c "$prep; $script" > /dev/null 2>&1 # warm the caches
	row="| $name"
	for mode in native sync1 plain pinned pinnedsync learn; do
		: > "$work/times"
		n=0
		while [ $n -lt "$runs" ]; do
			case $mode in
			native) t=$(time_it "$prep" sh -c "$script") ;;
			sync1) t=$(time_it "$prep" "$work/floor" -r 1 -s sh -c "$script") ;;
			plain) t=$(time_it "$prep" "$work/floor" -r "$cpus" sh -c "$script") ;;
			pinned) t=$(time_it "$prep" "$work/floor" -r "$cpus" -p sh -c "$script") ;;
			pinnedsync) t=$(time_it "$prep" "$work/floor" -r "$cpus" -p -s sh -c "$script") ;;
			learn) t=$(time_it "$prep" "$work/landlearn" learn --raw "$work/r.jsonl" -o "$work/p.yaml" --force -- sh -c "$script") ;;
			esac
			echo "$t" >> "$work/times"
			n=$((n + 1))
		done
		m=$(median < "$work/times")
		if [ "$mode" = native ]; then
			nat=$m
			row="$row | ${m}s"
		else
			row="$row | ${m}s ($(printf '%.2f' "$(echo "$m / $nat" | bc -l)")x)"
		fi
	done
	printf "%s |\n" "$row"
}

echo "machine: $cpus cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median of $runs runs, caches warm; floor = bench/floor.c, which only lets each stopped call go on"
echo
echo "| workload | native | floor: 1 receiver, sync | floor: $cpus receivers | floor: $cpus pinned | floor: $cpus pinned, sync | landlearn learn |"
echo "|---|---|---|---|---|---|---|"
bench "(a) make -j2, 30 C files" "make -s -C $work/src clean" "make -s -j2 -C $work/src"
bench "(b) find /usr/share \\| xargs cat" "true" "$find_cmd"
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
