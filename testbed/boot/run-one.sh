#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-one.sh MACHINE VARIANT TEST [ARGS...]    run one test in one boot, show its output
#        run-one.sh -i MACHINE VARIANT                interactive shell in the machine
# TEST is a test of testbed/plan.conf (ARGS are appended to its command) or any built selftest.
# Image and console under $BUILD/images/one/ and $BUILD/runs/one/.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "${1:-}" = -i ]; then
	MACHINE=${2:?usage: run-one.sh -i MACHINE VARIANT}
	VARIANT=${3:?usage: run-one.sh -i MACHINE VARIANT}
	check_args machine "$MACHINE" variant "$VARIANT"
	IMG=$BUILD/images/one/$MACHINE-$(vslug "$VARIANT")-shell
	: > "$BUILD/empty.plan"
	"$TESTBED/boot/mkimage.sh" "$MACHINE" "$VARIANT" "$IMG" "$BUILD/empty.plan" tb.shell=1
	exec "$TESTBED/boot/run-machine.sh" -i "$MACHINE" "$IMG" "$BUILD/runs/one/$MACHINE-$(vslug "$VARIANT")-shell"
fi

MACHINE=${1:?usage: run-one.sh MACHINE VARIANT TEST [ARGS...]}
VARIANT=${2:?usage: run-one.sh MACHINE VARIANT TEST [ARGS...]}
TEST=${3:?usage: run-one.sh MACHINE VARIANT TEST [ARGS...]}
check_args machine "$MACHINE" variant "$VARIANT"
shift 3
IMG=$BUILD/images/one/$MACHINE-$(vslug "$VARIANT")
RUN=$BUILD/runs/one/$MACHINE-$(vslug "$VARIANT")
mkdir -p "$BUILD/images/one"
"$TESTBED/boot/guest-plan.sh" "$MACHINE" "$VARIANT" "$TEST" "$@" > "$IMG.plan"
"$TESTBED/boot/mkimage.sh" "$MACHINE" "$VARIANT" "$IMG" "$IMG.plan"
"$TESTBED/boot/run-machine.sh" "$MACHINE" "$IMG" "$RUN"
echo "--- $TEST output ($RUN/console.txt):"
awk '$1 == "@@TEST" && $3 == "BEGIN" { on = 1 } on { print } $1 == "@@TEST" && $3 == "END" { on = 0 }' "$RUN/console.txt"
echo "--- console scan: $(head -n 1 "$RUN/console-scan")"
tail -n +2 "$RUN/console-scan"
awk '$2 != "pass" { bad = 1 } END { exit bad }' "$RUN/results"
