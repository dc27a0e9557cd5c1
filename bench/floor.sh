#!/bin/sh
# bench/floor.sh: the floor under bench/trace.sh. What stopping the calls
# landlearn stops costs on this machine when the tracer does nothing else:
# bench/floor.c installs landlearn's filter and lets every stopped call go
# on without reading it. Times, median of N runs (default 5), caches warm,
# on the workloads of bench/trace.sh (bench/lib.sh), for four ways of
# receiving:
#   1 receiver, sync       one receiver thread, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#                          (what landlearn does)
#   N receivers            one thread per CPU, no flag, the scheduler places them
#   N receivers, sync      the same with the flag
#   N pinned               one thread pinned to each CPU, no flag
#   N pinned, sync         the same with the flag
# and landlearn learn --raw -o (trace backend) for comparison. landlearn
# cannot be faster than the floor of the way it receives: the difference
# is its own work (reading paths, resolving them, writing JSONL, the policy).
#
# Usage: bench/floor.sh [RUNS [WORKLOADS]]   (from the repository root)
#   WORKLOADS: letters, e.g. "ab" (default abcd); LANDLEARN=BINARY as in
#   bench/trace.sh.
set -eu

runs=${1:-5}
only=${2:-abcd}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
need gcc make python3 awk
build_landlearn
build_floor
setup_workloads
cpus=$(nproc)

# bench NAME PREP SCRIPT: one row of the table, the modes interleaved
# run by run.
bench() {
	name=$1 prep=$2 script=$3
	modes="native sync1 plain plainsync pinned pinnedsync learn"
	sh -c "$prep; $script" > /dev/null 2>&1 # warm the caches
	for mode in $modes; do : > "$work/times.$mode"; done
	n=0
	while [ "$n" -lt "$runs" ]; do
		for mode in $modes; do
			case $mode in
			native) t=$(time_it "$prep" sh -c "$script") ;;
			sync1) t=$(time_it "$prep" "$work/floor" -r 1 -s sh -c "$script") ;;
			plain) t=$(time_it "$prep" "$work/floor" -r "$cpus" sh -c "$script") ;;
			plainsync) t=$(time_it "$prep" "$work/floor" -r "$cpus" -s sh -c "$script") ;;
			pinned) t=$(time_it "$prep" "$work/floor" -r "$cpus" -p sh -c "$script") ;;
			pinnedsync) t=$(time_it "$prep" "$work/floor" -r "$cpus" -p -s sh -c "$script") ;;
			learn) t=$(time_it "$prep" "$work/landlearn" learn --raw "$work/r.jsonl" -o "$work/p.yaml" --force -- sh -c "$script") ;;
			esac
			echo "$t" >> "$work/times.$mode"
		done
		n=$((n + 1))
	done
	row="| $(echo "$name" | sed 's/|/\\|/g')"
	for mode in $modes; do
		m=$(median < "$work/times.$mode")
		if [ "$mode" = native ]; then
			nat=$m
			row="$row | ${m}s"
		else
			row="$row | ${m}s ($(calc "$m / $nat" %.2f)×)"
		fi
	done
	printf "%s |\n" "$row"
}

machine
echo "median of $runs runs, caches warm, modes interleaved; floor = bench/floor.c, which only lets each stopped call go on"
echo
echo "| workload | native | floor: 1 receiver, sync | floor: $cpus receivers | floor: $cpus receivers, sync | floor: $cpus pinned | floor: $cpus pinned, sync | landlearn learn |"
echo "|---|---|---|---|---|---|---|---|"
each_workload bench
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
