#!/bin/sh
# bench/trace.sh: what tracing costs, against the program alone and
# against the floor. Times, median of N runs (default 5), caches warm,
# the modes of one row interleaved run by run (so that other work on the
# machine weighs on each alike):
#   native   the workload alone
#   floor    bench/floor.c with one receiver and the synchronous wake-up,
#            the way landlearn receives: stopping the calls landlearn
#            stops, and nothing else (bench/floor.sh has the other ways)
#   learn    landlearn learn --raw FILE.jsonl -o FILE.yaml (trace backend,
#            default mode; the time includes building and writing the
#            policy after the run)
#   strace   strace -f --seccomp-bpf -e trace=%file,%network -o FILE
#   policy   landlearn minimize of learn's JSONL: what building and
#            writing the policy costs, the part of learn's time after
#            the trace
# and, for information: learn --accurate on (a) and (b), and
# landlearn check -p (the policy learn wrote) on (c).
#
# The workloads are bench/lib.sh's: (a) make -j2 of 30 C files, (b) find
# /usr/share | xargs cat, (c) Python opening one file 300,000 times, (d)
# Python opening 100,000 existing files in 100 directories.
#
# "own µs/call" is landlearn's own work per stopped call, (learn − floor)
# ÷ the calls learn stopped: what reading, resolving and recording a call
# costs beyond receiving and answering it, and building the policy after.
# "trace only" leaves the policy out: (learn − policy − floor) ÷ calls.
#
# Usage: bench/trace.sh [RUNS [WORKLOADS]]   (from the repository root)
#   WORKLOADS: letters, e.g. "cd" (default abcd). LANDLEARN=BINARY times
#   that build instead of building the checkout.
# Other work on the machine is noise: run it on an idle one, and give the
# load it prints with the numbers.
set -eu

runs=${1:-5}
only=${2:-abcd}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
need gcc make python3 strace awk
build_landlearn
build_floor
setup_workloads

# bench NAME PREP SCRIPT: one row of the table, and its extra modes.
bench() {
	name=$1 prep=$2 script=$3
	modes="native floor learn policy strace"
	case $name in
	"(a)"* | "(b)"*) modes="$modes accurate" ;;
	"(c)"*) modes="$modes check" ;;
	esac
	sh -c "$prep; $script" > /dev/null 2>&1 # warm the caches
	for mode in $modes; do : > "$work/times.$mode"; done
	n=0
	while [ "$n" -lt "$runs" ]; do
		for mode in $modes; do
			case $mode in
			native) t=$(time_it "$prep" sh -c "$script") ;;
			floor) t=$(time_it "$prep" "$work/floor" -r 1 -s sh -c "$script") ;;
			learn)
				t=$(time_it "$prep" "$work/landlearn" learn --raw "$work/r.jsonl" -o "$work/p.yaml" --force -- sh -c "$script")
				calls=$(sed -n 's/.* \([0-9][0-9]*\) calls stopped.*/\1/p' "$work/err")
				obs=$(sed -n 's/.* calls stopped, \([0-9][0-9]*\) observations.*/\1/p' "$work/err")
				;;
			policy) t=$(time_it true "$work/landlearn" minimize -o "$work/pm.yaml" --force "$work/r.jsonl") ;;
			strace) t=$(time_it "$prep" strace -f --seccomp-bpf -e trace=%file,%network -o "$work/strace.out" sh -c "$script") ;;
			accurate) t=$(time_it "$prep" "$work/landlearn" learn --accurate --raw "$work/ra.jsonl" -o "$work/pa.yaml" --force -- sh -c "$script") ;;
			check) t=$(time_it "$prep" "$work/landlearn" check -p "$work/p.yaml" -- sh -c "$script") ;;
			esac
			echo "$t" >> "$work/times.$mode"
		done
		n=$((n + 1))
	done
	nat=$(median < "$work/times.native")
	flo=$(median < "$work/times.floor")
	lrn=$(median < "$work/times.learn")
	str=$(median < "$work/times.strace")
	pol=$(median < "$work/times.policy")
	printf '| %s | %ss | %ss (%s×) | %ss (%s×) | %ss | %ss (%s×) | %s | %s | %s× faster | %d | %d |\n' \
		"$(echo "$name" | sed 's/|/\\|/g')" "$nat" \
		"$flo" "$(calc "$flo / $nat" %.2f)" \
		"$lrn" "$(calc "$lrn / $nat" %.2f)" \
		"$pol" \
		"$str" "$(calc "$str / $nat" %.2f)" \
		"$(calc "($lrn - $flo) / $calls * 1e6" %.1f)" \
		"$(calc "($lrn - $pol - $flo) / $calls * 1e6" %.1f)" \
		"$(calc "$str / $lrn" %.1f)" "$calls" "$obs"
	for mode in accurate check; do
		[ -s "$work/times.$mode" ] || continue
		m=$(median < "$work/times.$mode")
		case $mode in
		accurate) what="learn --accurate" ;;
		check) what="check -p (the policy learn wrote)" ;;
		esac
		printf '| %s | %s | %ss | %ss (%s×) |\n' "$(echo "$name" | sed 's/|/\\|/g' | cut -d' ' -f1)" \
			"$what" "$nat" "$m" "$(calc "$m / $nat" %.2f)" >> "$work/info"
		rm "$work/times.$mode"
	done
}

machine
echo "median of $runs runs, caches warm, modes interleaved"
echo
echo "| workload | native | floor (1 receiver, sync) | landlearn learn --raw | of which policy | strace -f --seccomp-bpf | own µs/call | trace only | learn vs strace | calls stopped | observations |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
: > "$work/info"
each_workload bench
if [ -s "$work/info" ]; then
	echo
	echo "| workload | mode (for information) | native | time |"
	echo "|---|---|---|---|"
	cat "$work/info"
fi
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
