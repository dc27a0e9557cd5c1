#!/bin/sh
# bench/run.sh: what `landlearn run` adds to starting a command. Times,
# median of N runs (default 20), the modes interleaved run by run:
#   cat        cat /etc/hostname alone
#   go exec    a Go program that only execs cat: what any Go binary adds
#              (the runtime's start, built as landlearn is built)
#   run        landlearn run -p examples/cat-hostname.yaml -- cat /etc/hostname
# The times come from Python's clock around each run, the same for all
# modes: compare the differences, not the absolute times.
#
# Usage: bench/run.sh [RUNS]   (from the repository root; LANDLEARN=BINARY
# as in bench/trace.sh)
set -eu

runs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
need go python3
build_landlearn
mkdir "$work/goexec"
cat > "$work/goexec/main.go" <<'EOF'
package main

import (
	"os"
	"syscall"
)

func main() {
	err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	os.Stderr.WriteString(err.Error() + "\n")
	os.Exit(127)
}
EOF
(cd "$work/goexec" && printf 'module goexec\n' > go.mod && go build -o "$work/goexec/goexec" .)
cat=$(command -v cat)

machine
python3 - "$runs" "$cat" "$work/goexec/goexec" "$work/landlearn" "$root/examples/cat-hostname.yaml" <<'EOF'
import statistics, subprocess, sys, time
runs, cat, goexec, landlearn, policy = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
modes = {
    "cat": [cat, "/etc/hostname"],
    "go exec": [goexec, cat, "/etc/hostname"],
    "run": [landlearn, "run", "-p", policy, "--", cat, "/etc/hostname"],
}
times = {m: [] for m in modes}
for argv in modes.values():  # warm the caches
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
for _ in range(runs):
    for m, argv in modes.items():
        t0 = time.perf_counter_ns()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        times[m].append((time.perf_counter_ns() - t0) / 1e6)
base = statistics.median(times["cat"])
print(f"median of {runs} runs, interleaved")
print()
print("| command | median | over cat |")
print("|---|---|---|")
for m in modes:
    med = statistics.median(times[m])
    print(f"| {m} | {med:.2f} ms | {med - base:+.2f} ms |")
EOF
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
