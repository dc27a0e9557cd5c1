#!/usr/bin/env bash
# The test command of the README and of CI: installs what the end-to-end
# tests run (real programs from Debian's packages), then runs every test
# against the real kernel. Run as root on Linux with Landlock ABI >= 7.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in gcc:gcc make:make git:git python3:python3 sqlite3:sqlite3 \
	tar:tar gzip:gzip curl:curl jq:jq strace:strace script:bsdutils; do
	cmd=${pair%%:*} pkg=${pair#*:}
	command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
# The completion test runs landlearn's bash completion as a user has it.
[ -f /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
if ((${#need[@]})); then
	echo "test.sh: installing ${need[*]}" >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Here everything can run: a test that would skip (not root, no Landlock
# ABI 7 or audit, a missing program) fails instead (internal/testkit).
# LANDLEARN_REQUIRE_ALL=0 lets them skip, for a machine that cannot.
export LANDLEARN_REQUIRE_ALL="${LANDLEARN_REQUIRE_ALL:-1}"
go test -count=1 -timeout 25m "$@" ./...
