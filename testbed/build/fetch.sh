#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: fetch.sh [BASE...|kut]   (default: kvm-unit-tests and every base of testbed/versions.conf)
# kut: say where kvm-unit-tests come from (KUT_DIR, the tarball in ../shared/kvm-unit-tests/
# or a clone of KUT_GIT at KUT_COMMIT: testbed/lib.sh, kut_source) and, for the clone, fetch
# the commit into $BUILD/kvm-unit-tests.git, so that building needs no network.
# BASE: resolve the Debian packages of the base (versions.conf), download them with apt-get
# download and unpack them with dpkg -x under $BUILD/debs/BASE/<version>/ (nothing is
# installed). Writes $BUILD/debs/BASE/resolved.env for the other scripts.
#
# A base whose SUITES_B names other suites than the machine's (e.g. trixie-backports on
# Debian 12) is read through a private apt state directory, $BUILD/apt/BASE, from the Debian
# mirror the machine's apt is already configured with: the system's lists stay untouched.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

APT_OPTS=()

# The URI of the machine's Debian archive: the first apt source serving the system's own
# release (deb822 .sources or one-line sources.list), never a security or third-party one.
system_debian_uri() {
	local codename f uri
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk -v rel="$codename" '
			/^$/ { if (ok && u != "") { print u; exit } ok = 0; u = "" }
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) ok = 1 }
			END { if (ok && u != "") print u }' "$f" | head -n 1)
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	if [ -f /etc/apt/sources.list ]; then
		uri=$(awk -v rel="$codename" '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++; if ($i ~ /\]$/ && $2 ~ /^\[/) i++
			if ($(i + 1) == rel) { print $i; exit } }' /etc/apt/sources.list)
		[ -n "$uri" ] && { echo "$uri"; return; }
	fi
	die "no apt source for Debian $codename found in /etc/apt: configure apt first"
}

# usage: private_apt BASE SUITE...; sets APT_OPTS to a private apt state for those suites and
# updates its lists (once an hour at most).
private_apt() {
	local b=$1 dir uri s
	shift
	dir=$BUILD/apt/$b
	uri=$(system_debian_uri)
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/etc"
	for s in "$@"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $s main"
	done > "$dir/etc/sources.list.new"
	APT_OPTS=(-o "Dir::State::Lists=$dir/lists" -o "Dir::Etc::SourceList=$dir/etc/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null" -o "Dir::Cache=$dir/cache")
	if cmp -s "$dir/etc/sources.list.new" "$dir/etc/sources.list" &&
	   [ -n "$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mmin -60 2> /dev/null)" ]; then
		rm "$dir/etc/sources.list.new"
		return
	fi
	mv "$dir/etc/sources.list.new" "$dir/etc/sources.list"
	msg "$b: apt-get update of the private apt state ($*) in $dir"
	apt-get "${APT_OPTS[@]}" update -q > "$dir/update.log" 2>&1 ||
		{ cat "$dir/update.log" >&2; die "$b: apt-get update for $* failed (log above)"; }
}

# Debian package version of a package name, empty if the archive does not have it.
pkg_version() {
	apt-cache "${APT_OPTS[@]}" show --no-all-versions "$1" 2> /dev/null | sed -n 's/^Version: //p' | head -n1
}

# usage: pkg_has_version NAME VERSION
pkg_has_version() {
	apt-cache "${APT_OPTS[@]}" madison "$1" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -qxF "$2"
}

# usage: download_unpack DIR CHECKFILE PKG=VER...; apt-get download + dpkg -x into DIR/root
download_unpack() {
	local dir=$1 check=$2 deb
	shift 2
	[ -f "$dir/root/.complete" ] && return
	msg "downloading $*"
	rm -rf "$dir"
	mkdir -p "$dir/root"
	# (as root, apt warns that the download is unsandboxed: harmless)
	(cd "$dir" && apt-get "${APT_OPTS[@]}" download -q "$@") >&2 ||
		die "apt-get download failed; check the network and run 'make fetch' again"
	for deb in "$dir"/*.deb; do
		msg "unpacking $(basename "$deb")"
		dpkg -x "$deb" "$dir/root"
	done
	[ -f "$dir/root/$check" ] || die "the packages did not unpack $check; see $dir"
	rm -f "$dir"/*.deb
	touch "$dir/root/.complete"
}

# usage: source_env KIND VERSION PACKAGE DIR; the resolved.env lines every base has
source_env() {
	cat <<-EOT
		KERNEL_KIND=$1
		PKGVER=$2
		SRC_PKG=$3
		SRC_TARBALL=$4/root/usr/src/$3.tar.xz
	EOT
}

# A base whose kernel the test bed builds: only the source package.
fetch_debug() {
	local b=$1 src pin v fb p
	src=$(bvar SRC "$b") pin=$(bvar PIN "$b") fb=$(bvar FALLBACK "$b")
	if pkg_has_version "$src" "$pin"; then
		v=$pin p=$src
	else
		p=$(apt-cache "${APT_OPTS[@]}" pkgnames linux-source- | grep -x "$fb" | sort -V | tail -n 1 || true)
		[ -n "$p" ] || die "$b: neither $src=$pin nor any $fb in the archive; run 'make fetch' again later"
		v=$(pkg_version "$p")
		warn "$b: pinned $src=$pin is not in the archive; falling back to $p=$v (update PIN_${b//./_} in testbed/versions.conf)"
	fi
	local dir=$BUILD/debs/$b/$v
	download_unpack "$dir" "usr/src/$p.tar.xz" "$p=$v"
	source_env debug "$v" "$p" "$dir"
}

# Does the archive have a complete, version-consistent Debian kernel set for ABI prefix $2 of
# base $1? Prints the version.
complete_set() {
	local b=$1 kver=$2 fl v
	fl=$(bvar FLAVOUR "$b")
	v=$(pkg_version "linux-image-$kver-$fl")
	[ -n "$v" ] || return 1
	[ "$(pkg_version "linux-headers-$kver-$fl")" = "$v" ] || return 1
	[ "$(pkg_version "linux-headers-$kver-common")" = "$v" ] || return 1
	[ "$(pkg_version "linux-kbuild-$kver")" = "$v" ] || return 1
	pkg_has_version "$(bvar SRC "$b")" "$v" || return 1
	echo "$v"
}

# A base that boots Debian's own kernel image: image, headers, kbuild and source.
fetch_debian() {
	local b=$1 fl pin src kver="" v k
	fl=$(bvar FLAVOUR "$b") pin=$(bvar KVER_PIN "$b") src=$(bvar SRC "$b")
	if v=$(complete_set "$b" "$pin"); then
		kver=$pin
	else
		warn "$b: pinned kernel $pin-$fl is not (completely) in the archive; looking for the newest complete set"
		for k in $(apt-cache pkgnames "linux-image-$b." | sed -n "s/^linux-image-\(.*\)-$fl\$/\1/p" | sort -rV); do
			if v=$(complete_set "$b" "$k"); then
				warn "$b: falling back to $k-$fl ($v); update KVER_PIN_${b//./_} in testbed/versions.conf"
				kver=$k
				break
			fi
		done
		[ -n "$kver" ] || die "$b: no linux-image/headers/kbuild/$src set for $fl in the archive; run 'apt-get update' (and check sources.list has the security suite)"
	fi
	local kabi=$kver-$fl dir=$BUILD/debs/$b/$v
	download_unpack "$dir" "usr/src/$src.tar.xz" "linux-image-$kabi=$v" "linux-headers-$kabi=$v" \
		"linux-headers-$kver-common=$v" "linux-kbuild-$kver=$v" "$src=$v"
	[ -f "$dir/root/boot/vmlinuz-$kabi" ] || die "$b: linux-image-$kabi did not unpack a kernel; see $dir"
	source_env debian "$v" "$src" "$dir"
	cat <<-EOT
		KVER=$kver
		KABI=$kabi
		DEBROOT=$dir/root
	EOT
}

# kvm-unit-tests: which source build-kut.sh will use; the clone now, if that is the one
fetch_kut() {
	local c
	kut_source
	msg "kvm-unit-tests: from $KUT_WHAT"
	[ "$KUT_KIND" = git ] || return 0
	c=$(kut_clone)
	msg "kvm-unit-tests: commit $c ready in $KUT_CLONE"
}

# shellcheck disable=SC2086 # a list of words
[ $# -gt 0 ] || set -- kut $BASES
for b in "$@"; do
	if [ "$b" = kut ]; then
		fetch_kut
		continue
	fi
	[ -n "$(bvar SRC "$b")" ] || die "unknown base '$b' (testbed/versions.conf has: $BASES; or kut)"
	APT_OPTS=()
	suites=$(bvar SUITES "$b")
	# shellcheck disable=SC2086 # suites are words
	[ -z "$suites" ] || private_apt "$b" $suites
	mkdir -p "$BUILD/debs/$b"
	env=$BUILD/debs/$b/resolved.env
	{
		echo "# generated by testbed/build/fetch.sh"
		case $(bvar KERNEL "$b") in
		debug)  fetch_debug "$b";;
		debian) fetch_debian "$b";;
		*) die "$b: KERNEL_${b//./_} must be debug or debian";;
		esac
	} > "$env.tmp"
	mv "$env.tmp" "$env"
	msg "$b: packages ready ($(sed -n 's/^PKGVER=//p' "$env"))"
done
