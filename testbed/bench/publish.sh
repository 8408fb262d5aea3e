#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: publish.sh
# make bench-publish (and the end of make bench): copy the CSVs of the last bench boots
# ($BUILD/bench, collect.sh) that the documents quote to testbed/results/bench/ (tracked),
# then draw the main plot from those tracked files (plot.sh --publish). The tables of the
# documents are generated from the tracked files too: run testbed/check/numbers.sh --update
# afterwards and review the diff (make check-numbers fails until the documents agree).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

B=$BUILD/bench
OUT=$TESTBED/results/bench
CSVS="sweep vcpus cost cost-summary exits exits-summary designs smoke boots"
[ -f "$B/sweep.csv" ] || die "no $B/sweep.csv: run 'make bench' (or 'make bench-report') first"
mkdir -p "$OUT"
for f in $CSVS; do
	# only files with rows: an experiment that did not run (e.g. the designs) keeps its
	# earlier published file, if any
	if [ ! -f "$B/$f.csv" ] || [ "$(wc -l < "$B/$f.csv")" -le 1 ]; then
		continue
	fi
	{ echo "# SPDX-License-Identifier: GPL-2.0"; cat "$B/$f.csv"; } > "$OUT/$f.csv"
	msg "bench: testbed/results/bench/$f.csv: $(($(wc -l < "$B/$f.csv") - 1)) rows"
done
"$TESTBED/bench/plot.sh" --publish
msg "bench: published; now 'testbed/check/numbers.sh --update' rewrites the documents' tables"
