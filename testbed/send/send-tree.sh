#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-tree.sh
# Make the send tree $BUILD/send/tree (see send-lib.sh): the base files (those the series, the
# versions sent before it and SEND_EXTRA_FILES touch) from the unpacked source cache of the
# primary base or, without one, straight from Debian's linux-source tarball; the base's prep
# patches (testbed/bases/BASE/prep/series, none on 7.3) applied and committed
# (tag 'base'); then the project's series applied with 'git am'
# (branch 'series').  Incremental: the base is rebuilt only when the Debian version, the prep
# series or the set of touched files changed; the series is re-applied when a patch changed.
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

if [ ! -f "$BUILD/debs/$PRIMARY_BASE/resolved.env" ]; then
	msg "no Debian packages of $PRIMARY_BASE yet; running testbed/build/fetch.sh"
	"$TESTBED/build/fetch.sh" "$PRIMARY_BASE"
fi
load_resolved "$PRIMARY_BASE"

mapfile -t PREP < <(base_prep_patches "$PRIMARY_BASE")
mapfile -t SERIES < <(series_patch_files)
[ ${#SERIES[@]} -gt 0 ] || die "the series is empty: ./series lists no patches"

FILES=$SEND_DIR/files.txt
mkdir -p "$SEND_DIR"
{
	tr ' ' '\n' <<< "$SEND_EXTRA_FILES"
	patch_touched_files "${PREP[@]/#/$REPO/}" "${SERIES[@]/#/$REPO/}"
	# and what earlier versions touched, so that their patches apply for the range-diff
	for v in $(versions_sent); do
		version_patches_text "$v" | patch_touched_files
	done
} | grep -v '^$' | sort -u > "$FILES.new"
mv "$FILES.new" "$FILES"

BASE_STAMP=$( { echo "$PKGVER"; hash_files "$FILES" "${PREP[@]/#/$REPO/}"; } |
	sha256sum | cut -d' ' -f1)
SERIES_STAMP=$( { echo "$BASE_STAMP"; hash_files "$REPO/series" "${SERIES[@]/#/$REPO/}"; } |
	sha256sum | cut -d' ' -f1)

if [ "$(cat "$SEND_DIR/series.stamp" 2>/dev/null)" = "$SERIES_STAMP" ] &&
   git -C "$SEND_TREE" rev-parse -q --verify refs/heads/series >/dev/null 2>&1; then
	msg "send tree up to date: base + ${#SERIES[@]} patches in $SEND_TREE"
	exit 0
fi
rm -f "$SEND_DIR/series.stamp"

# Copy the listed files that exist in the base into $1.
extract_base() {
	local dest=$1 tarball top
	if [ "$(cat "$SRC_CACHE/.testbed-unpacked" 2>/dev/null)" = "$PKGVER" ]; then
		msg "taking $(wc -l < "$FILES") base files from $SRC_CACHE"
		(cd "$SRC_CACHE" && while read -r f; do
			if [ -f "$f" ]; then cp --parents -p "$f" "$dest/"; fi
		done < "$FILES")
		return 0
	fi
	tarball=$SRC_TARBALL
	[ -f "$tarball" ] || die "$tarball is missing: run 'make fetch' first"
	top=$SRC_PKG
	msg "extracting $(wc -l < "$FILES") base files from $(basename "$tarball") (~30 s)"
	# Files the patches create are not in the tarball: tar reports them and exits 1 or 2.
	sed "s|^|$top/|" "$FILES" |
		run_timeout 600 tar -xJf "$tarball" -C "$dest" --strip-components=1 -T - \
			2> "$SEND_DIR/extract.log" || true
	[ -f "$dest/MAINTAINERS" ] || { cat "$SEND_DIR/extract.log" >&2; die "extracting from $tarball failed"; }
}

build_base() {
	local n=0 p
	msg "making the send tree's base in $SEND_TREE"
	rm -rf "$SEND_TREE"
	mkdir -p "$SEND_TREE"
	extract_base "$SEND_TREE"
	git init -q -b series "$SEND_TREE"
	sgit config user.name "$(ident_name)"
	sgit config user.email "$(ident_email)"
	sgit add -A
	GIT_AUTHOR_DATE=$SEND_BASE_DATE GIT_COMMITTER_DATE=$SEND_BASE_DATE \
		sgit commit -q -m "base: Debian $SRC_PKG $PKGVER (files the series needs)"
	for p in "${PREP[@]}"; do
		n=$((n + 1))
		(cd "$SEND_TREE" && patch -p1 --fuzz=0 --no-backup-if-mismatch -s < "$REPO/$p") ||
			die "prep patch $p does not apply to the base without fuzz; check it with 'make apply'"
	done
	if [ "$n" -gt 0 ]; then
		sgit add -A
		GIT_AUTHOR_DATE=$SEND_BASE_DATE GIT_COMMITTER_DATE=$SEND_BASE_DATE \
			sgit commit -q -m "prep: testbed/bases/$PRIMARY_BASE/prep/series ($n patches)"
	fi
	sgit tag -f base >/dev/null
	echo "$BASE_STAMP" > "$SEND_DIR/base.stamp"
}

if [ "$(cat "$SEND_DIR/base.stamp" 2>/dev/null)" != "$BASE_STAMP" ] ||
   ! git -C "$SEND_TREE" rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
	build_base
fi

msg "applying the series (${#SERIES[@]} patches) with git am"
sgit am --abort >/dev/null 2>&1 || true
sgit checkout -q -B series base
# get_maintainer.pl and checkpatch.pl recognise a kernel tree by these directories.
for d in $SEND_TREE_DIRS; do mkdir -p "$SEND_TREE/$d"; done
if ! sgit am -q --committer-date-is-author-date "${SERIES[@]/#/$REPO/}" > "$SEND_DIR/am.log" 2>&1; then
	cat "$SEND_DIR/am.log" >&2
	sgit am --abort >/dev/null 2>&1 || true
	die "git am failed (log above, $SEND_DIR/am.log); every patch in ./series must be a mail-format patch (git format-patch) that applies to base + prep"
fi
echo "$SERIES_STAMP" > "$SEND_DIR/series.stamp"
msg "send tree ready: $(sgit rev-list --count base..series) commits on base in $SEND_TREE"
