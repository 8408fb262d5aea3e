#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-range-diff.sh N
# Print 'git range-diff' between version N-1 of the series (the patches committed at tag
# series-v(N-1) of this repository or at the commit testbed/send/versions records, both made
# by 'make tag-series V=N-1' when that version was sent) and the current ./series, both applied to the same base in the send tree.  Also kept
# in $BUILD/send/range-diff-v(N-1)-vN.txt, for the cover letter's changelog.
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

N=${1:-}
check_version "$N"
[ "$N" -gt 1 ] || die "v1 has no previous version: give V=2 or later"
P=$((N - 1))
version_commit "$P" >/dev/null ||
	die "no tag series-v$P and no entry for $P in testbed/send/versions: record the commit that held the patches of v$P ('git tag -a series-v$P <commit>'; 'make tag-series V=$P' tags HEAD)"

"$TESTBED/send/send-tree.sh"
need_send_tree
prev_version_branch "$P" ||
	die "the patches of series-v$P do not apply to the current base (not even with git am -3)"
OUTF=$SEND_DIR/range-diff-v$P-v$N.txt
sgit range-diff --no-color --creation-factor=80 "base..v$P" base..series > "$OUTF"
cat "$OUTF"
msg "range-diff v$P..v$N kept in $OUTF"
