#!/usr/bin/env bash
# Runs the shell examples of README.md, as written, in order: every
# indented code block of the sections named on the command line ("Quick
# start", "Commands"; default: both). Fenced blocks are output samples
# and are never run. The Quick start starts in the checkout (it builds
# bin/landlearn); every other section starts in a scratch directory of its
# own, and its examples build on each other there.
#
# A trailing comment (two spaces, then #) may say what a line expects:
#   exit N        its exit status (default 0)
#   "text"        output (stdout or stderr) that must appear
#   needs X       what it needs, which this script provides: root (a
#                 sudo that runs the command, when sudo is missing),
#                 a Makefile, ./server (a web server that runs until
#                 stopped, with pages in static/), audit.log and web logs
#                 (recorded audit logs)
# Every command runs with stdin from /dev/null. Exit status: 0 when every
# example did what the README says, 1 otherwise.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
(($#)) || set -- "Quick start" "Commands"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/landlearn-readme.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# mktemp in the examples makes its directories here, removed at the end.
export TMPDIR="$scratch"
mkdir -p "$scratch/bin"
if ! command -v sudo >/dev/null && [ "$(id -u)" = 0 ]; then
	printf '#!/bin/sh\nexec "$@"\n' >"$scratch/bin/sudo"
	chmod +x "$scratch/bin/sudo"
fi
export PATH="$scratch/bin:$PATH"
server_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# provide writes what an example needs into the current directory.
provide() {
	case "$1" in
	root)
		[ "$(id -u)" = 0 ] || { echo "readme-examples: this example needs root" >&2; return 1; } ;;
	"a Makefile")
		[ -f Makefile ] || printf 'all: out.txt\nout.txt: in.txt\n\tcp in.txt out.txt\ntest: all\n\tgrep -q hi out.txt\n' >Makefile
		[ -f in.txt ] || echo hi >in.txt ;;
	./server)
		mkdir -p static
		[ -f static/index.html ] || echo '<h1>hello</h1>' >static/index.html
		[ -x server ] || {
			printf '#!/usr/bin/python3\n# A web server that runs until it is stopped.\nimport http.server\nhttp.server.HTTPServer(("127.0.0.1", %s), http.server.SimpleHTTPRequestHandler).serve_forever()\n' "$server_port" >server
			chmod +x server
		} ;;
	audit.log)
		cp "$root/testdata/audit/ausearch-raw.log" audit.log ;;
	"web logs")
		mkdir -p web-1 web-2
		cp "$root/testdata/audit/ausearch-raw.log" web-1/audit.log
		cp "$root/testdata/audit/enriched.log" web-2/audit.log ;;
	*)
		echo "readme-examples: unknown need: $1" >&2
		return 1 ;;
	esac
}

# The indented blocks of the wanted sections, as "SECTION<TAB>name" and
# "CMD<TAB>line" records.
extract() {
	awk -v want="$(printf '%s\n' "$@")" '
		BEGIN { n = split(want, w, "\n"); for (i = 1; i <= n; i++) wanted[w[i]] = 1 }
		/^```/ { fenced = !fenced; next }
		fenced { next }
		/^## / { name = substr($0, 4); on = (name in wanted); if (on) print "SECTION\t" name; prev = ""; next }
		on && /^    / && (prev == "" || inblock) { inblock = 1; print "CMD\t" substr($0, 5); prev = $0; next }
		{ inblock = 0; prev = $0 }
	' README.md
}

failed=0 ran=0 log="$scratch/out"
while IFS=$'\t' read -r kind line; do
	if [ "$kind" = SECTION ]; then
		echo "== $line"
		[ "$line" = "Quick start" ] || cd "$(mktemp -d)"
		continue
	fi
	cmd=$line comment=""
	case "$line" in *"  # "*)
		cmd=${line%%  # *}
		comment=${line#*  # } ;;
	esac
	cmd=${cmd%"${cmd##*[![:space:]]}"}
	want=0
	[[ $comment =~ (^|[^a-z])exit\ ([0-9]+) ]] && want=${BASH_REMATCH[2]}
	ok=1
	while [[ $comment =~ needs\ (root|a\ Makefile|\./server|audit\.log|web\ logs) ]]; do
		provide "${BASH_REMATCH[1]}" || ok=0
		comment=${comment/"${BASH_REMATCH[0]}"/}
	done
	echo "\$ $cmd"
	{ eval "$cmd"; } >"$log" 2>&1 </dev/null
	status=$?
	sed 's/^/  | /' "$log" | head -40
	ran=$((ran + 1))
	[ "$status" = "$want" ] || { echo "readme-examples: exit $status, the README says $want: $cmd" >&2; ok=0; }
	rest=$comment
	while [[ $rest =~ \"([^\"]*)\" ]]; do
		grep -qF -- "${BASH_REMATCH[1]}" "$log" || { echo "readme-examples: no \"${BASH_REMATCH[1]}\" in the output of: $cmd" >&2; ok=0; }
		rest=${rest#*"${BASH_REMATCH[0]}"}
	done
	((ok)) || failed=$((failed + 1))
done < <(extract "$@")
cd "$root"
echo "readme-examples: $((ran - failed)) passed, $failed failed"
((ran > 0 && failed == 0))
