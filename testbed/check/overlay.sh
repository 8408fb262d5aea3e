#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check/overlay.sh
# The overlay (arch/ tools/ Documentation/ in this repository) holds the new files the series
# adds: every overlay file must be byte-identical to the series tree's file, and every file the
# series creates must be in the overlay. Test-bed-only files in those directories are listed in
# testbed/check/overlay-exclude (one path per line) and not compared.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

TREE=$(tree_dir "$PRIMARY_BASE/series")
[ -f "$TREE/.testbed-applied" ] || die "no series tree: run 'make apply' first"
cd "$REPO"
exclude() { grep -qxF "$1" <(grep -v '^#' "$TESTBED/check/overlay-exclude" 2> /dev/null); }

bad=0 n=0
while read -r f; do
	exclude "$f" && continue
	n=$((n + 1))
	if [ ! -f "$TREE/$f" ]; then
		echo "$f: in the overlay but the series does not create it"
		bad=1
	elif ! cmp -s "$f" "$TREE/$f"; then
		echo "$f: differs from the series tree's file:"
		diff -u "$TREE/$f" "$f" | head -n 20 | sed 's/^/    /'
		bad=1
	fi
done < <(find arch tools Documentation -type f 2> /dev/null | sort)

# files the series creates: "--- /dev/null" followed by "+++ b/<path>"
while read -r f; do
	exclude "$f" && continue
	[ -f "$f" ] || { echo "$f: created by the series but missing from the overlay"; bad=1; }
done < <(project_patches | while read -r p; do
	awk '/^--- \/dev\/null/ { getline; sub("^\\+\\+\\+ b/", ""); print }' "$REPO/$p"
done | sort -u)
[ $bad = 0 ] && echo "overlay: $n files identical to the series tree"
exit $bad
