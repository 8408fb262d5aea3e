#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check/applies.sh
# Every variant's patch stack (prep, then the variant's patches) is applied with quilt
# --fuzz=0 by apply.sh, which fails on fuzz; this check confirms each tree carries exactly
# the current patches and lists the hunks quilt had to apply at an offset.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

bad=0
for v in $(all_variants); do
	t=$(tree_dir "$v")
	list=$(variant_patches "$v")
	if [ ! -f "$t/.testbed-applied" ] || [ "$(cat "$t/.testbed-series.applied" 2> /dev/null)" != "$list" ]; then
		echo "$v: the tree does not carry the current patches: run 'make apply'"
		bad=1
		continue
	fi
	offsets=$(grep -c 'with offset\|(offset' "$BUILD/logs/apply-$(vslug "$v").log" 2> /dev/null || true)
	echo "$v: $(printf '%s\n' "$list" | grep -c . || true) patches applied without fuzz, ${offsets:-0} hunks at an offset"
done
n=$(project_patches | grep -c . || true)
[ $bad = 0 ] && echo "series ($n patches) and test-bed patches apply without fuzz"
exit $bad
