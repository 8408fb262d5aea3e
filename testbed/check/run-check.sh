#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-check.sh NAME COMMAND...
# Run one static check and record its result for report.sh in $BUILD/checks/NAME.result:
# "pass" or "fail" (exit status 0 / other) or "skip" (exit status 77), then its output.
# The last output line of a passing or skipped check becomes its one-line summary.
set -uo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

NAME=${1:?usage: run-check.sh NAME COMMAND...}
shift
mkdir -p "$BUILD/checks"
OUT=$BUILD/checks/$NAME.out
msg "static check $NAME"
"$@" > "$OUT" 2>&1
rc=$?
case $rc in
0)  res=pass;;
77) res=skip;;
*)  res=fail;;
esac
# summary: the last line of a passing/skipped check, the first line of a failing one,
# ignoring make's and the harness' progress lines
filtered=$(grep -vE '^(make(\[[0-9]+\])?: |\[testbed [0-9:]+\] )' "$OUT" || true)
if [ $res = fail ]; then
	summary=$(printf '%s\n' "$filtered" | grep -m1 . || true)
else
	summary=$(printf '%s\n' "$filtered" | grep . | tail -n 1 || true)
fi
{
	echo "$res $summary"
	[ $res = pass ] || printf '%s\n' "$filtered"
} > "$BUILD/checks/$NAME.result"
[ $res = fail ] && warn "static check $NAME failed (details in the report and $OUT)"
exit 0
