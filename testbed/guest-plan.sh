#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: guest-plan.sh MACHINE VARIANT [TEST [ARGS...]]
# Print the plan one boot of MACHINE with VARIANT runs, as guest plan lines
# "name|timeout|attempts|command": the tests of testbed/plan.conf minus declared skips
# (testbed/expectations) and tests whose selftest is absent. With TEST, only that test, run
# even if declared skipped, with ARGS appended to its command; TEST may also be the name of
# any built selftest binary.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/lib.sh"

MACHINE=${1:?usage: guest-plan.sh MACHINE VARIANT [TEST [ARGS...]]}
VARIANT=${2:?usage: guest-plan.sh MACHINE VARIANT [TEST [ARGS...]]}
ONLY=${3:-}
shift 2
[ $# -gt 0 ] && shift
check_machine "$MACHINE"
check_variant "$VARIANT"
# shellcheck source=testbed/machines/bochs-vmx.conf
. "$TESTBED/machines/$MACHINE.conf"
absent=" $(absent_selftests | tr '\n' ' ') "

found=0
while IFS='|' read -r name tmo needs cmd; do
	if [ -n "$ONLY" ]; then
		[ "$name" = "$ONLY" ] || continue
		found=1
		echo "$name|$tmo|1|$cmd${*:+ $*}"
		continue
	fi
	[[ $absent == *" $needs "* ]] && continue
	expectation "$MACHINE" "$VARIANT" "$name"
	[ "$EXPECT" = skip ] && continue
	echo "$name|$tmo|$(attempts "$MACHINE" "$VARIANT" "$name")|$cmd"
done < <(plan_entries)

if [ -n "$ONLY" ] && [ $found = 0 ]; then
	[ -x "$SELFTESTS_OUT/bin/$ONLY" ] ||
		die "'$ONLY' is neither a test of testbed/plan.conf nor a built selftest ($SELFTESTS_OUT/bin)"
	echo "$ONLY|600|1|$ONLY${*:+ $*}"
fi
