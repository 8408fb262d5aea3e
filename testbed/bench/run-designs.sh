#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-designs.sh
# Item 5 of the bench, the parking designs (bench.conf DESIGNS_*; make bench-designs): bring
# the bench-only variants of the primary base up to date (DESIGNS_VARIANTS, e.g. 7.3/designs =
# the series + testbed/bench/designs.patch: its own tree and KVM modules; the selftests and
# timer_bench are the primary base's), then boot each of DESIGNS_MACHINES once per variant
# with only the designs entries of its plan (run-bench.sh, BENCH_PART=designs).
# BENCH_FILTER (environment) narrows the entries further, e.g. 'designs-d[01]-.*'.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=testbed/bench/bench.conf
. "$TESTBED/bench/bench.conf"

BOOTS=()
for v in $DESIGNS_VARIANTS; do
	"$TESTBED/build/apply.sh" "$PRIMARY_BASE/$v"
	"$TESTBED/build/build-kvm.sh" "$PRIMARY_BASE/$v"
	for m in $DESIGNS_MACHINES; do
		BOOTS+=("$m:$PRIMARY_BASE/$v")
	done
done
"$TESTBED/bench/build-bench.sh"
BENCH_PART=designs BENCH_FILTER=${BENCH_FILTER:-designs-.*} exec "$TESTBED/bench/run-bench.sh" "${BOOTS[@]}"
