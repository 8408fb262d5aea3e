#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: kut-upstream.sh [MACHINE]
# What kvm-unit-tests/series fixes: boot MACHINE (default qemu-svm) once with each of
# PRIMARY_BASE's base and series running upstream's UNPATCHED apic tests (apic-split, x2apic,
# xapic; 'make kut' builds them in $BUILD/kut-upstream), then print each test's outcome and
# the checks that failed. The upstream list and .flat files go to the image's /tests
# (mkimage.sh's TB_EXTRA_FILES) and kut-run reads them there (KUT_LIST). 10-11 minutes a boot
# on qemu-svm; images and runs in $BUILD/{images,runs}/one/MACHINE-VARIANT-kut-upstream.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

MACHINE=${1:-qemu-svm}
UP=$BUILD/kut-upstream/root/kut
TESTS="kut:apic-split kut:x2apic kut:xapic"
[ -f "$UP/tests" ] || die "no upstream kvm-unit-tests in $UP: run 'make kut' first"
mkdir -p "$BUILD/images/one"
for v in "$PRIMARY_BASE/base" "$PRIMARY_BASE/series"; do
	IMG=$BUILD/images/one/$MACHINE-$(vslug "$v")-kut-upstream
	RUN=$BUILD/runs/one/$MACHINE-$(vslug "$v")-kut-upstream
	for t in $TESTS; do
		"$TESTBED/boot/guest-plan.sh" "$MACHINE" "$v" "$t"
	done | sed 's#|kut-run #|env KUT_LIST=/tests/tests kut-run #' > "$IMG.plan"
	TB_EXTRA_FILES="$UP/tests $(echo "$UP"/*.flat)" \
		"$TESTBED/boot/mkimage.sh" "$MACHINE" "$v" "$IMG" "$IMG.plan"
	"$TESTBED/boot/run-machine.sh" "$MACHINE" "$IMG" "$RUN" || true
done

echo "--- upstream (unpatched) apic tests on $MACHINE:"
for v in "$PRIMARY_BASE/base" "$PRIMARY_BASE/series"; do
	RUN=$BUILD/runs/one/$MACHINE-$(vslug "$v")-kut-upstream
	for t in $TESTS; do
		res=$(awk -v t="$t" '$1 == t { print $2 }' "$RUN/results" 2> /dev/null)
		echo "$v $t ${res:-no-result}"
		awk -v t="$t" '$1 == "@@TEST" { on = ($2 == t && $3 == "BEGIN") } on && /^FAIL: /' \
			"$RUN/console.txt" 2> /dev/null | sed 's/^/    /'
	done
done
