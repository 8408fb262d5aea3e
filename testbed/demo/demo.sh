#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: demo.sh
# The proof that the tests catch broken timer code: for every line of testbed/demo/cases,
# stack the deliberately broken PATCH on the series of the primary base (EXTRA_PATCHES), build
# that variant's KVM modules, boot MACHINE once running the TESTs (testbed/boot/run-one.sh's
# image and run directories, RERUN=1) and require each TEST to fail. Then re-apply the plain
# series and rebuild its modules. Exits non-zero if a TEST passed with its broken patch.
# DEMO_ONLY (environment, a regular expression): only the cases whose patch name matches it.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

CASES=$TESTBED/demo/cases
VARIANT=$PRIMARY_BASE/series
SLUG=$(vslug "$VARIANT")

restore() {
	msg "demo: re-applying the plain series and rebuilding its KVM modules"
	EXTRA_PATCHES='' "$TESTBED/build/apply.sh" "$VARIANT" &&
		EXTRA_PATCHES='' "$TESTBED/build/build-kvm.sh" "$VARIANT"
}
trap restore EXIT

caught=0 missed=0
# every case's outcome, one line each (testbed/results/demo.txt keeps the ones quoted)
LOG=$BUILD/demo/results.txt
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p "$BUILD/demo"
while read -r patch machine tests; do
	case $patch in ''|'#'*) continue;; esac
	[[ -z ${DEMO_ONLY:-} || $patch =~ $DEMO_ONLY ]] || continue
	[ -f "$TESTBED/demo/$patch" ] || die "$CASES names $patch, which is not in testbed/demo/"
	check_machine "$machine"
	export EXTRA_PATCHES=testbed/demo/$patch
	msg "demo: $patch stacked on $VARIANT; building its KVM modules"
	"$TESTBED/build/apply.sh" "$VARIANT"
	"$TESTBED/build/build-kvm.sh" "$VARIANT"

	IMG=$BUILD/images/one/$machine-$SLUG-demo
	RUN=$BUILD/runs/one/$machine-$SLUG-demo
	mkdir -p "$BUILD/images/one"
	: > "$IMG.plan"
	for t in $tests; do
		"$TESTBED/boot/guest-plan.sh" "$machine" "$VARIANT" "$t" >> "$IMG.plan"
	done
	"$TESTBED/boot/mkimage.sh" "$machine" "$VARIANT" "$IMG" "$IMG.plan"
	RERUN=1 "$TESTBED/boot/run-machine.sh" "$machine" "$IMG" "$RUN" || true
	for t in $tests; do
		res=$(awk -v t="$t" '$1 == t { print $2 }' "$RUN/results" 2>/dev/null)
		# the test's metrics (race-*: tries, windows and each violation count), for the record
		mets=$(awk -v t="$t" '$1 == t { printf " %s=%s", $2, $3 }' "$RUN/metrics" 2>/dev/null)
		printf '%s %s %s %s %s%s\n' "$(date -u +%F)" "$COMMIT" "$patch" "$machine" \
			"$t ${res:-none}" "$mets" >> "$LOG"
		if [ "$res" = fail ]; then
			msg "demo: $machine $t fails with $patch, as it must${mets:+:$mets}"
			caught=$((caught + 1))
		else
			warn "demo: $machine $t: '${res:-no result}' with $patch, expected fail (console: $RUN/console.txt)"
			missed=$((missed + 1))
		fi
	done
	unset EXTRA_PATCHES
done < "$CASES"

msg "demo: $caught broken cases caught, $missed missed"
[ "$missed" = 0 ]
