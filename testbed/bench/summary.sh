#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: summary.sh
# Print the bench's summary tables from the CSVs of collect.sh ($BUILD/bench/*.csv), the
# smoke entry's metric checks (testbed/expectations, as `make check` judges them) on the
# bench boots, and the wall time of the boots ($BUILD/bench/durations).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

B=$BUILD/bench
[ -f "$B/sweep.csv" ] || die "no $B/sweep.csv: run testbed/bench/collect.sh first"

echo "== 1. pause sweep: host timer expiries caused by one pause (callbacks while paused + extra"
echo "==    expiries on resume) / the guest's first interrupt after the resume (us,"
echo "==    timer_pause -v; - = not printed: the test stopped before, see sweep.csv);"
echo "==    cap = capped (bench.conf), n/r = not run (left out by BENCH_FILTER), miss = no result"
awk -F, 'NR > 1 {
	k = $1 " " $2 " " $3 "us"; if (!(k in seen)) { seen[k] = 1; rows[++nr] = k }
	d[$4] = 1
	if ($5 == "capped" || $5 == "missing" || $5 == "not-run")
		cell[k, $4] = $5 == "capped" ? "cap" : ($5 == "missing" ? "miss" : "n/r")
	else
		cell[k, $4] = $12 "/" ($14 == "" ? "-" : $14)
}
END {
	nd = 0
	for (x in d) ds[++nd] = x + 0
	for (i = 2; i <= nd; i++) for (j = i; j > 1 && ds[j - 1] > ds[j]; j--) { t = ds[j]; ds[j] = ds[j - 1]; ds[j - 1] = t }
	printf "machine variant period"
	for (i = 1; i <= nd; i++) printf " %s", (ds[i] >= 1000 ? ds[i] / 1000 "s" : ds[i] "ms")
	print ""
	for (r = 1; r <= nr; r++) {
		printf "%s", rows[r]
		for (i = 1; i <= nd; i++) printf " %s", ((rows[r], ds[i]) in cell) ? cell[rows[r], ds[i]] : "-"
		print ""
	}
}' "$B/sweep.csv" | column -t
echo

echo "== 2. paused vCPUs (1 ms timer each, 1 s pause): host callbacks per second while paused /"
echo "==    host time to resume all vCPUs (us); n/a: the run stopped before the trace was"
echo "==    counted, (lost): the trace buffer overflowed"
awk -F, 'NR > 1 {
	k = $1 " " $2; if (!(k in seen)) { seen[k] = 1; rows[++nr] = k }
	n[$3] = 1; cell[k, $3] = ($4 == "ok" ? $7 : $4 == "incomplete" ? "n/a" : $7 "(lost)") "/" $8
}
END {
	printf "machine variant"
	for (x = 1; x <= 64; x++) if (x in n) printf " %dvcpu", x
	print ""
	for (r = 1; r <= nr; r++) {
		printf "%s", rows[r]
		for (x = 1; x <= 64; x++) if (x in n) printf " %s", ((rows[r], x) in cell) ? cell[rows[r], x] : "-"
		print ""
	}
}' "$B/vcpus.csv" | column -t
echo

echo "== 3. cost per call on the normal path (busy vCPU), function_graph in Bochs: mean of the"
echo "==    runs' means +- their standard deviation (ns) (runs), the median of the runs' medians,"
echo "==    and series against base"
awk -F, 'NR > 1 {
	v = $2; sub(/.*\//, "", v); k = $1 " " $3
	m[k, v] = $6; sd[k, v] = $7; n[k, v] = $4; md[k, v] = $10; keys[k] = 1
}
function cell(k, v) {
	return ((k, v) in m) ? m[k, v] "+-" sd[k, v] "(" n[k, v] ")" : "-"
}
function rel(a, b) {
	return b > 0 ? sprintf("%+.1f%%", 100 * (a / b - 1)) : "-"
}
END {
	for (k in keys) {
		both = ((k, "base") in m) && ((k, "series") in m)
		print k, cell(k, "base"), ((k, "base") in md) ? md[k, "base"] : "-", cell(k, "series"),
			((k, "series") in md) ? md[k, "series"] : "-",
			both ? rel(m[k, "series"], m[k, "base"]) : "-", both ? rel(md[k, "series"], md[k, "base"]) : "-"
	}
}' "$B/cost-summary.csv" | sort |
	sed '1i machine function base:mean+-sd(runs) base:median series:mean+-sd(runs) series:median series/base:mean series/base:median' |
	column -t
echo

echo "== 4. short userspace exits (1 kHz timer, OUT to userspace after every 100 PAUSE loops),"
echo "==    per guest tick, means over the runs"
awk -F, 'NR == 1 { print "machine variant runs us/exit exits/tick callbacks hv_exp inject start_sw unpark hrtimer_start timer_ns(min..max)"; next }
{ printf "%s %s %s %s %s %s %s %s %s %s %s %s(%s..%s)\n", $1, $2, $3, $6, $5, $7, $8, $9, $10, $11, $12, $13, $14, $15 }' \
	"$B/exits-summary.csv" | column -t
echo

echo "== 5. parking designs (variant designs, kvm.lapic_timer_park: 0 none, 1 kvm_run = series v3,"
echo "==    2 exit = cancel on every exit, 3 v2 = series v2): host callbacks in a 1 s pause of one"
echo "==    vCPU (1 ms timer); per short userspace exit (runs of 4.): its cost (us, mean of the"
echo "==    runs), APIC timer callbacks, hrtimer starts and cancels, ns in the traced timer"
echo "==    functions (of which in the KVM_RUN entry/exit hooks kvm_lapic_unpark_timer and"
echo "==    kvm_lapic_park_on_exit)"
awk -F, 'NR == 1 { print "machine design cb/pause runs us/exit(min..max) exits/tick cb/exit starts/exit cancels/exit timer_ns/exit(hooks)"; next }
function c(x) { return x == "" ? "-" : x }
{ printf "%s %s:%s %s %s %s(%s..%s) %s %s %s %s %s(%s)\n", $1, $3, $4, c($18), $5, c($8), c($9), c($10), c($7),
	c($11), c($13), c($14), c($15), c($16) }' \
	"$B/designs.csv" | column -t
echo

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

if [ -f "$B/durations" ]; then
	echo "== wall time of the bench boots (part machine variant seconds)"
	cat "$B/durations"
	awk '{ s += $4 } END { printf "total: %d s (%.1f min)\n", s, s / 60 }' "$B/durations"
fi
