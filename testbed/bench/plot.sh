#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: plot.sh [--publish | --data]
# PNG plots of the bench's CSVs (collect.sh) with gnuplot (Debian: gnuplot-nox), in
# $BUILD/bench/:
#   resume-cost.png        main plot: host work a pause costs against its length (log-log),
#                          period 1 ms, one panel per machine, one line per variant
#   resume-cost-all.png    the same for every period of the sweep
#   vcpus.png              host callbacks per second with N paused vCPUs
#   cost.png               duration per call of the timer functions on the normal path
# --publish: only the main plot, from the tracked CSV (testbed/results/bench/sweep.csv), to
# testbed/bench/resume-cost.png (the picture the READMEs show) with the sha256 of its data
# and of the PNG in testbed/bench/resume-cost.png.sum (testbed/check/numbers.sh checks both);
# --data: print the main plot's data from the tracked CSV (what that sum covers).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

MODE=${1:-}
case $MODE in ''|--publish|--data) ;; *) die "usage: plot.sh [--publish | --data]";; esac
B=$BUILD/bench
PUB=$TESTBED/results/bench
SRC=$B
[ -z "$MODE" ] || SRC=$PUB
[ -f "$SRC/sweep.csv" ] || die "no $SRC/sweep.csv: run 'make bench' (or 'make bench-publish') first"

# usage: sweep_data CSV [PERIOD_US]; "machine variant period_us pause_s work" of the measured
# points (work 0 drawn at 0.5: log scale), of PERIOD_US only if given; sorted
sweep_data() {
	awk -F, -v only="${2:-}" '
	/^#/ { next }
	!hdr { for (i = 1; i <= NF; i++) c[$i] = i; hdr = 1; next }
	$c["status"] != "capped" && $c["status"] != "missing" && $c["status"] != "not-run" && $c["host_work"] != "" &&
	(only == "" || $c["period_us"] == only) {
		v = $c["variant"]; sub(/.*\//, "", v)
		printf "%s %s %s %g %g\n", $c["machine"], v, $c["period_us"], $c["pause_ms"] / 1000,
			($c["host_work"] < 0.5 ? 0.5 : $c["host_work"])
	}' "$1" | LC_ALL=C sort -k1,1 -k2,2 -k3,3n -k4,4g
}
# the main plot's data and style, the input its sum covers
main_data() {
	sweep_data "$PUB/sweep.csv" 1000
	cat "$TESTBED/bench/resume-cost.gp"
}
if [ "$MODE" = --data ]; then
	main_data
	exit 0
fi
command -v gnuplot > /dev/null || die "no gnuplot: run 'make deps' (gnuplot-nox)"
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT

# usage: resume_plot CSV PERIOD_US OUT W H TITLE; one data file per machine, variant (and
# period, without PERIOD_US), one panel per machine
resume_plot() {
	local args=() machines=() m i=0 files
	rm -rf "$D/sweep"
	mkdir -p "$D/sweep"
	sweep_data "$1" "$2" | awk -v d="$D/sweep" -v one="$2" '{
		f = d "/" $1 "_" $2 (one == "" ? "_" $3 "us" : "") ".dat"
		print $4, $5 >> f
	}'
	mapfile -t machines < <(find "$D/sweep" -name '*.dat' -printf '%f\n' | sed 's/_.*//' | LC_ALL=C sort -u)
	[ ${#machines[@]} -gt 0 ] || return 0
	for m in "${machines[@]}"; do
		i=$((i + 1))
		# variants in the order prefix, base, series
		files=$(find "$D/sweep" -name "${m}_*.dat" | awk '{ r = /_prefix/ ? 1 : /_base/ ? 2 : 3; print r, $0 }' |
			LC_ALL=C sort | cut -d' ' -f2 | paste -sd' ')
		args+=(-e "files$i='$files'")
	done
	gnuplot -e "out='$3'; w=$4; h=$5; ttl='$6'; machines='${machines[*]}'" "${args[@]}" \
		"$TESTBED/bench/resume-cost.gp"
	msg "bench: $3"
}
MAIN_TITLE="Host work per pause, 1 ms periodic APIC timer, Linux $PRIMARY_BASE (emulated hosts)"
if [ "$MODE" = --publish ]; then
	resume_plot "$PUB/sweep.csv" 1000 "$TESTBED/bench/resume-cost.png" 900 380 "$MAIN_TITLE"
	{
		echo "$(main_data | sha256sum | cut -d' ' -f1)  data (testbed/bench/plot.sh --data)"
		echo "$(sha256sum < "$TESTBED/bench/resume-cost.png" | cut -d' ' -f1)  resume-cost.png"
	} > "$TESTBED/bench/resume-cost.png.sum"
	msg "bench: testbed/bench/resume-cost.png from testbed/results/bench/sweep.csv"
	exit 0
fi
resume_plot "$B/sweep.csv" 1000 "$B/resume-cost.png" 900 380 "$MAIN_TITLE"
resume_plot "$B/sweep.csv" "" "$B/resume-cost-all.png" 1100 500 "Host work per pause, every period of the sweep"

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
