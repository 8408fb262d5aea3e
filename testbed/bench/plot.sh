#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: plot.sh
# PNG plots of the bench's CSVs (collect.sh) with gnuplot (Debian: gnuplot-nox), in
# $BUILD/bench/:
#   resume-cost.png        main plot: host work a pause costs against its length (log-log),
#                          period 1 ms, one line per machine and variant
#   resume-cost-all.png    the same for every period of the sweep
#   vcpus.png              host callbacks per second with N paused vCPUs
#   cost.png               duration per call of the timer functions on the normal path
# and copies resume-cost.png to testbed/bench/resume-cost.png when BENCH_PUBLISH=1 (the
# picture the README shows; `make bench` sets it).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

B=$BUILD/bench
command -v gnuplot > /dev/null || die "no gnuplot: run 'make deps' (gnuplot-nox)"
[ -f "$B/sweep.csv" ] || die "no $B/sweep.csv: run testbed/bench/collect.sh first"
D=$B/plotdata
rm -rf "$D"
mkdir -p "$D"

# sweep: one data file per machine, variant (and period), "pause_s work", measured points only
awk -F, -v d="$D" 'NR > 1 && $5 != "capped" && $5 != "missing" && $12 != "" {
	v = $2; sub(/.*\//, "", v)
	w = $12 < 0.5 ? 0.5 : $12
	printf "%g %g\n", $4 / 1000, w >> (d "/" $1 "_" v "_" $3 "us.dat")
	if ($3 == 1000)
		printf "%g %g\n", $4 / 1000, w >> (d "/" $1 "_" v ".dat")
}' "$B/sweep.csv"
mapfile -t MAIN < <(find "$D" -maxdepth 1 -name '*.dat' ! -name '*us.dat' | LC_ALL=C sort)
mapfile -t ALL < <(find "$D" -maxdepth 1 -name '*us.dat' | LC_ALL=C sort)
if [ ${#MAIN[@]} -gt 0 ]; then
	gnuplot -e "out='$B/resume-cost.png'; files='${MAIN[*]}'; w=720; h=450" \
		-e "ttl='Host work per pause, 1 ms periodic APIC timer, Linux $PRIMARY_BASE (emulated hosts)'" \
		"$TESTBED/bench/resume-cost.gp"
	msg "bench: $B/resume-cost.png"
fi
if [ ${#ALL[@]} -gt 0 ]; then
	gnuplot -e "out='$B/resume-cost-all.png'; files='${ALL[*]}'; w=1000; h=650" \
		-e "ttl='Host work per pause, every period of the sweep'" \
		"$TESTBED/bench/resume-cost.gp"
	msg "bench: $B/resume-cost-all.png"
fi

# vCPUs: "vcpus callbacks_per_s" per machine and variant
mkdir -p "$D/vcpus"
awk -F, -v d="$D/vcpus" 'NR > 1 && $4 == "ok" { v = $2; sub(/.*\//, "", v); f = d "/" $1 "_" v ".dat"; printf "%d %g\n", $3, ($7 < 0.5 ? 0.5 : $7) >> f }' "$B/vcpus.csv"
mapfile -t VC < <(find "$D/vcpus" -name '*.dat' | LC_ALL=C sort)
if [ ${#VC[@]} -gt 0 ]; then
	gnuplot -e "out='$B/vcpus.png'; files='${VC[*]}'; w=800; h=450" \
		-e "ttl='Host timer callbacks per second, N paused vCPUs, 1 ms timer each'" \
		"$TESTBED/bench/vcpus.gp"
	msg "bench: $B/vcpus.png"
fi

# cost: "index label mean min max" per machine, variant and function
# short labels: machine (vmx, vmx-pt0), variant, function (hv_expired, timer_fn, inject)
awk -F, 'NR > 1 && $4 > 0 {
	n++; v = $2; sub(/.*\//, "", v); m = $1; sub(/^bochs-/, "", m); f = $3
	sub(/^kvm_lapic_expired_hv_timer$/, "hv_expired", f); sub(/^apic_timer_fn$/, "timer_fn", f)
	sub(/^kvm_inject_apic_timer_irqs$/, "inject", f)
	printf "%d \"%s %s %s\" %s %s %s\n", n, m, v, f, $6, $8, $9
}' \
	"$B/cost-summary.csv" > "$D/cost.dat"
if [ -s "$D/cost.dat" ]; then
	gnuplot -e "out='$B/cost.png'; data='$D/cost.dat'; w=900; h=520" \
		-e "ttl='Timer function duration per call, running vCPU (mean of run means, bars: min/max run)'" \
		"$TESTBED/bench/cost.gp"
	msg "bench: $B/cost.png"
fi
if [ "${BENCH_PUBLISH:-0}" = 1 ] && [ -f "$B/resume-cost.png" ]; then
	cp "$B/resume-cost.png" "$TESTBED/bench/resume-cost.png"
	msg "bench: copied the main plot to testbed/bench/resume-cost.png (the README shows it)"
fi
