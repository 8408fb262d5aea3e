#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: apply.sh BASE/VARIANT
# Make $BUILD/trees/BASE/VARIANT from the base's unpacked linux-source cache and apply, with
# quilt and --fuzz=0, the base's prep patches (testbed/bases/BASE/prep/series, if any)
# followed by the variant's (prefix: testbed/bases/BASE/prefix/series, series: ./series,
# base: none). Incremental: when a patch or a series file changed, the applied stack is
# popped from its backups and pushed again; nothing is unpacked.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

VARIANT=${1:?usage: apply.sh BASE/VARIANT}
check_variant "$VARIANT"
BASE=$(vbase "$VARIANT")
load_resolved "$BASE"

# One pristine unpacked source per base; a new package version throws away everything made
# from the old one.
unpack_source() {
	[ "$(cat "$SRC_CACHE/.testbed-unpacked" 2>/dev/null)" = "$PKGVER" ] && return
	msg "unpacking $SRC_PKG $PKGVER into $SRC_CACHE (once, ~20 s)"
	rm -rf "$SRC_CACHE" "$BUILD/trees/$BASE" "$BUILD/kbuild/$BASE" "$(kernel_dir "$BASE")"
	mkdir -p "$SRC_CACHE"
	tar -xJf "$SRC_TARBALL" -C "$SRC_CACHE" --strip-components=1
	echo "$PKGVER" > "$SRC_CACHE/.testbed-unpacked"
}

# Trees are hard-linked copies of the cache; patch(1) writes patched files as new inodes and
# check_unshared verifies that, so the cache is never modified through a link. Nothing that
# writes into a source tree runs in them: KVM builds write only new objects, 'make headers'
# and the selftests run in copies of their own.
make_tree() {
	[ -f "$TREE/.testbed-tree" ] && return
	rm -rf "$TREE"
	mkdir -p "$(dirname "$TREE")"
	msg "hard-linking the source cache to $TREE"
	cp -al "$SRC_CACHE" "$TREE"
	rm -f "$TREE/.testbed-unpacked"
	touch "$TREE/.testbed-tree"
}

tquilt() {
	(cd "$TREE" && QUILT_PATCHES=$REPO QUILT_SERIES=$1 quilt --quiltrc=- "${@:2}")
}

check_unshared() {
	local f bad=0
	[ -s "$TREE/.pc/applied-patches" ] || return 0
	while read -r f; do
		[ -e "$TREE/$f" ] || continue
		if [ "$(stat -c %h "$TREE/$f")" != 1 ]; then
			warn "$TREE/$f is patched but still hard-linked"
			bad=1
		fi
	done < <(tquilt "$TREE/.testbed-series.applied" files -a 2>/dev/null | sort -u)
	[ $bad = 0 ] || die "patching modified a file shared with the source cache; run 'make clean-trees' and report this"
}

unpack_source
TREE=$(tree_dir "$VARIANT")
make_tree

NEW=$TREE/.testbed-series.new
variant_patches "$VARIANT" > "$NEW"
mapfile -t PATCHES < "$NEW"
STAMP=$(hash_files "$NEW" "${PATCHES[@]/#/$REPO/}")
if [ "$(cat "$TREE/.testbed-applied" 2>/dev/null)" = "$STAMP" ]; then
	msg "$VARIANT: ${#PATCHES[@]} patches applied, up to date"
	rm -f "$NEW"
	exit 0
fi

# Files the applied patches touch, as "sha256 mtime path", to keep builds incremental.
patched_files() {
	local f
	[ -s "$TREE/.pc/applied-patches" ] || return 0
	tquilt "$TREE/.testbed-series.applied" files -a 2> /dev/null | sort -u | while read -r f; do
		[ -f "$TREE/$f" ] && echo "$(sha256sum < "$TREE/$f" | cut -c1-64) $(stat -c %Y "$TREE/$f") $f"
	done
}

# After pop + push: a file with the same content as before gets its old mtime back (no
# rebuild); a changed one gets the current time, after breaking any hard link to the cache
# (quilt pop restores the original inode, whose mtime is older than the objects built since).
fix_mtimes() {
	local before=$1 f sum old_sum old_mtime
	{ awk '{ print $3 }' "$before"; patched_files | awk '{ print $3 }'; } | sort -u | while read -r f; do
		[ -f "$TREE/$f" ] || continue
		sum=$(sha256sum < "$TREE/$f" | cut -c1-64)
		read -r old_sum old_mtime _ < <(awk -v f="$f" '$3 == f' "$before") || old_sum=""
		if [ "$sum" = "$old_sum" ]; then
			[ "$(stat -c %h "$TREE/$f")" != 1 ] || touch -d "@$old_mtime" "$TREE/$f"
		else
			if [ "$(stat -c %h "$TREE/$f")" != 1 ]; then
				cp -p "$TREE/$f" "$TREE/$f.testbed-tmp"
				mv "$TREE/$f.testbed-tmp" "$TREE/$f"
			fi
			touch "$TREE/$f"
		fi
	done
}

LOG=$BUILD/logs/apply-$(vslug "$VARIANT").log
mkdir -p "$BUILD/logs"
: > "$LOG"
rm -f "$TREE/.testbed-applied"
BEFORE=$TREE/.testbed-files.before
patched_files > "$BEFORE"
if [ -s "$TREE/.pc/applied-patches" ]; then
	msg "$VARIANT: popping the previously applied patches"
	tquilt "$TREE/.testbed-series.applied" pop -a -f -q >> "$LOG" 2>&1 ||
		die "$VARIANT: quilt pop failed (see $LOG); run 'make clean-trees' to start from the cache"
fi
mv "$NEW" "$TREE/.testbed-series.applied"
if [ ${#PATCHES[@]} -gt 0 ]; then
	msg "$VARIANT: applying ${#PATCHES[@]} patches with quilt push --fuzz=0"
	if ! tquilt "$TREE/.testbed-series.applied" push -a --fuzz=0 >> "$LOG" 2>&1; then
		tail -n 20 "$LOG" >&2
		die "$VARIANT: a patch does not apply without fuzz (full log: $LOG); fix or refresh it and re-run 'make apply'"
	fi
	grep -E '^Hunk .* (succeeded|FAILED)' "$LOG" >&2 || true
fi
check_unshared
fix_mtimes "$BEFORE"
rm -f "$BEFORE"
echo "$STAMP" > "$TREE/.testbed-applied"
msg "$VARIANT: ${#PATCHES[@]} patches applied in $TREE"
