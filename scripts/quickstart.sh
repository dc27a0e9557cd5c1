#!/usr/bin/env bash
# The README's main job on a fresh machine: build landlearn, learn a policy
# for a real program (tar + gzip packing a directory), enforce it, and show
# that the same policy denies what the program never did.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
go build -o bin/landlearn ./cmd/landlearn
ll="$root/bin/landlearn"

work=$(mktemp -d "${TMPDIR:-/tmp}/landlearn-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p src && echo "hello from landlearn" > src/hello.txt

echo "== learn: tar czf out.tgz src"
"$ll" learn -o landlock.yaml -- tar czf out.tgz src
echo
echo "== the policy landlearn wrote ($work/landlock.yaml):"
cat landlock.yaml
echo
echo "== run: the same command under the policy"
rm -f out.tgz
"$ll" run -p landlock.yaml -- tar czf out.tgz src
tar tzf out.tgz
echo
echo "== run: a canary the program never did (read /etc/shadow) is denied"
if "$ll" run -p landlock.yaml -- tar czf out2.tgz /etc/shadow 2>&1; then
	echo "quickstart: the canary was NOT denied" >&2
	exit 1
fi
echo "(denied, as it should be)"
