#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: summary.sh
# Print the bench's tables from the CSVs of collect.sh ($BUILD/bench/*.csv), as
# testbed/bench/tables.sh renders them (the same code renders the documents' tables from the
# tracked copy in testbed/results/bench), then the smoke entry's metric checks
# (testbed/expectations, as `make check` judges them) on the bench boots.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

B=$BUILD/bench
[ -f "$B/sweep.csv" ] || die "no $B/sweep.csv: run testbed/bench/collect.sh first"

while read -r name desc; do
	[ "$name" != cover-letter ] || continue
	echo "== $name: $desc"
	"$TESTBED/bench/tables.sh" -d "$B" "$name"
	echo
done < <("$TESTBED/bench/tables.sh" -d "$B" --list)

echo "== smoke entry (testbed/plan.conf bench-smoke) on the bench boots, as make check judges it"
# the latest run of the smoke per machine and variant (over the parts of run-bench.sh)
mapfile -t SMOKE < <(cd "$B/runs" && grep -l '^bench-smoke ' -- */*/*/*/results 2> /dev/null |
	xargs -r ls -t | awk '{ mv = $0; sub(/^[^\/]*\//, "", mv); sub(/\/results$/, "", mv) } !seen[mv]++' |
	LC_ALL=C sort -t/ -k2)
for rf in "${SMOKE[@]}"; do
	r=${rf%/results} m=${r#*/} m=${m%%/*} v=${r#*/*/} f=$r/metrics
	read -r _ out _ _ secs < <(grep '^bench-smoke ' "$B/runs/$rf")
	secs=${secs#secs=}
	expectation "$m" "$v" bench-smoke
	echo "$([ "$out" = "${EXPECT:-pass}" ] && echo ok || echo FAIL) $m $v bench-smoke: $out (expected ${EXPECT:-pass}, ${secs}s guest)"
	while read -r label expr _; do
		[ -n "$label" ] || continue
		if metric_eval "$B/runs/$f" bench-smoke "$expr" 2> /dev/null; then res=ok; else res=FAIL; fi
		echo "$res $m $v bench-smoke:$label ${METRIC_VALS//;/ }${METRIC_MISSING:+ missing:$METRIC_MISSING}"
	done < <(metric_checks "$m" "$v" bench-smoke)
done
echo

