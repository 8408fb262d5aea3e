#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: guest-plan.sh MACHINE BASE/VARIANT [TEST [ARGS...]]
# Print the plan one boot of MACHINE with VARIANT runs, as guest plan lines
# "name|timeout|attempts|command": the tests of testbed/plan.conf minus declared skips
# (testbed/expectations) and tests whose selftest is absent. With TEST, only that test, run
# even if declared skipped, with ARGS appended to its command; TEST may also be the name of
# any built selftest binary. TB_TEST_TIMEOUT (environment) replaces TEST's guest timeout.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

MACHINE=${1:?usage: guest-plan.sh MACHINE BASE/VARIANT [TEST [ARGS...]]}
VARIANT=${2:?usage: guest-plan.sh MACHINE BASE/VARIANT [TEST [ARGS...]]}
ONLY=${3:-}
shift 2
[ $# -gt 0 ] && shift
check_machine "$MACHINE"
check_variant "$VARIANT"
# shellcheck source=testbed/boot/machines/bochs-vmx.conf
. "$TESTBED/boot/machines/$MACHINE.conf"
BASE=$(vbase "$VARIANT")
STBIN=$(selftests_dir "$BASE")/bin
absent=" $(absent_selftests "$BASE" | tr '\n' ' ') "

found=0
while IFS='|' read -r name tmo needs cmd; do
	if [ -n "$ONLY" ]; then
		[ "$name" = "$ONLY" ] || continue
		found=1
		echo "$name|${TB_TEST_TIMEOUT:-$tmo}|1|$cmd${*:+ $*}"
		continue
	fi
	[[ $absent == *" $needs "* ]] && continue
	expectation "$MACHINE" "$VARIANT" "$name"
	[ "$EXPECT" = skip ] && continue
	echo "$name|$tmo|$(attempts "$MACHINE" "$VARIANT" "$name")|$cmd"
done < <(plan_entries "$BASE")

if [ -n "$ONLY" ] && [ $found = 0 ]; then
	[ -x "$STBIN/$ONLY" ] ||
		die "'$ONLY' is neither a test of testbed/plan.conf nor a built selftest ($STBIN)"
	echo "$ONLY|600|1|$ONLY${*:+ $*}"
fi
