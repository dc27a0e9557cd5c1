#!/usr/bin/env bash
# Builds, or reuses from its cache, a root filesystem of another Debian
# release for the cross-host tests: a policy learned on this host is
# enforced inside it with chroot. Prints the root's path on stdout; all
# else goes to stderr.
#
# Usage: bash scripts/debian-root.sh [SUITE]       (default: trixie)
#
# Environment:
#   LANDLEARN_ROOT_CACHE   where roots are kept (default /var/cache/landlearn-test);
#                          a root is $LANDLEARN_ROOT_CACHE/debian-SUITE-ARCH
#   LANDLEARN_DEBIAN_MIRROR  the mirror (default: the first one in this host's
#                          apt sources, else http://deb.debian.org/debian)
#
# A root is ready when its stamp (this script's version, the suite, the
# architecture and the package list) matches; otherwise it is built again
# with debootstrap in a temporary directory and renamed into place, so an
# interrupted build never leaves a root that looks ready. Builds take a
# lock, so concurrent callers wait for one build. An unreachable mirror is
# an error that says so: the tests that need the root fail, they never skip.
# Needs root (debootstrap, chroot); installs debootstrap with apt-get if
# missing.
set -euo pipefail

# Bump when the way a root is built changes, so cached roots are rebuilt.
script_version=1
suite=${1:-trixie}
arch=$(dpkg --print-architecture)
variant=minbase
# What the cross-host tests run inside the root: gcc needs libc6-dev to
# link hello.c. coreutils, dash, tar and gzip are Essential in Debian and
# listed so that the list says what the tests rely on.
packages=tar,gzip,python3,git,sqlite3,gcc,libc6-dev,curl,jq,coreutils,dash

cache=${LANDLEARN_ROOT_CACHE:-/var/cache/landlearn-test}
root=$cache/debian-$suite-$arch
stamp_file=.landlearn-root-stamp
stamp="landlearn debian-root v$script_version suite=$suite arch=$arch variant=$variant packages=$packages"

die() {
	echo "debian-root.sh: $*" >&2
	exit 1
}

ready() {
	[ -f "$root/$stamp_file" ] && [ "$(cat "$root/$stamp_file")" = "$stamp" ]
}

# host_mirror prints the first Debian mirror of this host's apt sources
# that is not the security archive (deb822 or one-line format).
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) print $i; break } }' "$f"
	done
}

# remove_tree removes a directory that a killed debootstrap may have left
# with /proc, /sys or /dev mounted inside: unmount those first, and never
# cross into another filesystem.
remove_tree() {
	local dir=$1 mnt
	[ -e "$dir" ] || return 0
	awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r mnt; do umount -l "$mnt" || true; done
	rm -rf --one-file-system "$dir"
}

if ready; then
	echo "$root"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root to build $root (debootstrap and chroot)"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
# Another caller may have built it while this one waited for the lock.
if ready; then
	echo "$root"
	exit 0
fi

mirror=${LANDLEARN_DEBIAN_MIRROR:-$(host_mirror | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}

if ! command -v debootstrap >/dev/null 2>&1; then
	echo "debian-root.sh: installing debootstrap" >&2
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }; then
		die "cannot install debootstrap with apt-get: is this host's package mirror reachable? (apt sources: /etc/apt/sources.list.d/)"
	fi
fi
if ! wget -q -T 30 -t 2 -O /dev/null "$mirror/dists/$suite/InRelease"; then
	die "cannot reach the Debian mirror: $mirror/dists/$suite/InRelease could not be fetched; the cross-host tests need it to build the $suite root (set LANDLEARN_DEBIAN_MIRROR to use another mirror)"
fi

for old in "$cache"/.build-* "$cache"/.old-*; do
	[ -e "$old" ] || continue
	echo "debian-root.sh: removing $old, left by an interrupted build" >&2
	remove_tree "$old"
done

tmp=$(mktemp -d "$cache/.build-$suite-XXXXXX")
chmod 755 "$tmp"
trap 'remove_tree "$tmp"; rm -f "$tmp.log"' EXIT
echo "debian-root.sh: building $root from $mirror ($variant + $packages); this takes a few minutes" >&2
start=$(date +%s)
if ! debootstrap --variant="$variant" --include="$packages" --components=main \
	--arch="$arch" "$suite" "$tmp" "$mirror" >"$tmp.log" 2>&1; then
	tail -n 30 "$tmp.log" >&2
	rm -f "$tmp.log"
	die "debootstrap of $suite from $mirror failed (last lines above)"
fi
rm -f "$tmp.log"
# The downloaded packages are not needed once installed.
rm -f "$tmp"/var/cache/apt/archives/*.deb
echo "$stamp" >"$tmp/$stamp_file"

if [ -e "$root" ]; then
	old=$(mktemp -d "$cache/.old-$suite-XXXXXX")
	mv "$root" "$old/root"
	mv "$tmp" "$root"
	remove_tree "$old"
else
	mv "$tmp" "$root"
fi
trap - EXIT
echo "debian-root.sh: built $root in $(($(date +%s) - start)) s, $(du -sh --one-file-system "$root" | cut -f1)" >&2
echo "$root"
