#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check/checkpatch.sh
# scripts/checkpatch.pl --strict (from the series tree) on every patch of ./series; the cover
# letter (0000-*) is not a patch. Fails on any error, warning or check, except
#  UNKNOWN_COMMIT_ID: the Debian source tree has no git history to look commit ids up in;
#  FILE_PATH_CHANGES: "does MAINTAINERS need updating?" for every new file; instead, each file
#    a patch creates must have a maintainer or supporter in MAINTAINERS (get_maintainer.pl).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

TREE=$(tree_dir "$PRIMARY_BASE/series")
[ -x "$TREE/scripts/checkpatch.pl" ] || die "no series tree: run 'make apply' first"
mapfile -t patches < <(project_patches | grep -v '/0000-')
if [ ${#patches[@]} = 0 ]; then
	echo "no patches in ./series"
	exit 77
fi
bad=0
for p in "${patches[@]}"; do
	out=$(cd "$TREE" && ./scripts/checkpatch.pl --strict --show-types --ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$REPO/$p" 2>&1) || true
	total=$(printf '%s\n' "$out" | grep '^total:' || echo "total: checkpatch did not finish")
	echo "$p: $total"
	if ! printf '%s\n' "$total" | grep -q '^total: 0 errors, 0 warnings, 0 checks'; then
		printf '%s\n' "$out" | grep -v '^total:' | sed 's/^/    /'
		bad=1
	fi
done
for p in "${patches[@]}"; do
	while read -r f; do
		if ! (cd "$TREE" && ./scripts/get_maintainer.pl --no-git --no-git-fallback -f "$f") |
			grep -qE '\((maintainer|supporter):'; then
			echo "$p: new file $f has no maintainer in MAINTAINERS"
			bad=1
		fi
	done < <(awk '/^--- \/dev\/null/ { getline; sub("^\\+\\+\\+ b/", ""); print }' "$REPO/$p")
done
[ $bad = 0 ] && echo "checkpatch --strict: ${#patches[@]} patches clean, new files maintained"
exit $bad
