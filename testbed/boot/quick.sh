#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: quick.sh
# The quick loop after editing a patch ('make quick'; 'make build' must have run once): bring
# the primary base's series variant up to date (its tree, KVM modules, selftests) and boot
# QUICK_MACHINES with it, running only the series' own tests (QUICK_TESTS, a regular expression
# over testbed/plan.conf's names: the new selftest's sub-tests, the race tests, the traced
# pauses, the bench smoke), without kvm-unit-tests, the selftest suite, prefix or base. The
# images and results go to $BUILD/quick, apart from the full gate's, and are judged against
# testbed/expectations as 'make check' judges its own. 'make check' stays the full gate.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

QUICK_TESTS=${QUICK_TESTS:-pause-.*|trace-.*|bench-smoke|race-.*}
QUICK_MACHINES=${QUICK_MACHINES:-bochs-vmx qemu-svm}
VARIANT=$PRIMARY_BASE/series
export PLAN_ONLY=$QUICK_TESTS IMAGES_DIR=$BUILD/quick/images RUNS_DIR=$BUILD/quick/runs

for m in $QUICK_MACHINES; do
	check_machine "$m"
done
[ -f "$(kernel_dir "$PRIMARY_BASE")/obj/Module.symvers" ] ||
	die "no $PRIMARY_BASE kernel yet: run 'make build' once before 'make quick'"

start=$(date +%s)
"$TESTBED/build/apply.sh" "$VARIANT"
"$TESTBED/build/build-kvm.sh" "$VARIANT"
"$TESTBED/build/build-selftests.sh" "$PRIMARY_BASE"
"$TESTBED/build/build-programs.sh"
msg "quick: rebuilt in $(($(date +%s) - start)) s"

boots=()
for m in $QUICK_MACHINES; do
	img=$(image_dir "$m" "$VARIANT")
	mkdir -p "$(dirname "$img")"
	"$TESTBED/boot/guest-plan.sh" "$m" "$VARIANT" > "$img.plan"
	[ -s "$img.plan" ] || die "QUICK_TESTS='$QUICK_TESTS' selects no test on $m"
	"$TESTBED/boot/mkimage.sh" "$m" "$VARIANT" "$img" "$img.plan"
	boots+=("$m:$VARIANT")
done
"$TESTBED/boot/run-boots.sh" "${boots[@]}"
rc=0
BOOTS_SEL="${boots[*]}" "$TESTBED/check/report.sh" || rc=$?
msg "quick: $(($(date +%s) - start)) s in all (rebuild and boots of ${boots[*]})"
exit $rc
