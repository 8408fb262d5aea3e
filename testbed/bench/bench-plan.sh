#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: bench-plan.sh MACHINE BASE/VARIANT
# Print the guest plan of one bench boot (testbed/bench/bench.conf), as the lines
# "name|timeout|attempts|command" of testbed/guest/init:
#   cost-rK             bench-fgraph around timer_bench -m run (item 3)
#   exits-rK            bench-fgraph around timer_bench -m exits (item 4)
#   designs-warmup      the first of those below, not counted (item 5)
#   designs-dD-exits-rK park-design D, bench-fgraph around timer_bench -m exits (item 5)
#   bench-smoke         the smoke entry of testbed/plan.conf (make check), timed and checked here
#   vcpus-N             timer-trace around timer_bench -m paused -c N (item 2)
#   designs-dD-paused   park-design D, timer-trace around timer_bench -m paused -c 1 (item 5)
#   sweep-pP-dD         timer-trace around timer_pause -s busy -n 1 -v -p P -d D (item 1)
# Sweep points above the cap (bench.conf) are left out; "capped" lists them on stderr.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=testbed/bench/bench.conf
. "$TESTBED/bench/bench.conf"

MACHINE=${1:?usage: bench-plan.sh MACHINE BASE/VARIANT}
VARIANT=${2:?usage: bench-plan.sh MACHINE BASE/VARIANT}
check_machine "$MACHINE"
check_variant "$VARIANT"
V=$(vname "$VARIANT")

# usage: has WORD LIST; true if WORD is a word of LIST
has() { [[ " $2 " == *" $1 "* ]]; }

# true if VARIANT does work for every period of a pause on MACHINE: prefix replays the
# missed periods; prefix and base take an hrtimer callback per period on the sw timer path
per_period_work() {
	[ "$V" = prefix ] || { [ "$V" = base ] && [ "$MACHINE" != bochs-vmx ]; }
}

if has "$MACHINE" "$COST_MACHINES" && has "$V" "$COST_VARIANTS"; then
	for k in $(seq "$COST_RUNS"); do
		echo "cost-r$k|300|1|bench-fgraph $FGRAPH_FUNCS timer_bench -m run -p $COST_PERIOD_US -n $COST_TICKS"
	done
fi
if has "$MACHINE" "$EXITS_MACHINES" && has "$V" "$EXITS_VARIANTS"; then
	for k in $(seq "$EXITS_RUNS"); do
		echo "exits-r$k|300|1|bench-fgraph $FGRAPH_FUNCS timer_bench -m exits -p $EXITS_PERIOD_US -n $EXITS_TICKS -l $EXITS_SPIN"
	done
fi
designs=0
! has "$MACHINE" "$DESIGNS_MACHINES" || ! has "$V" "$DESIGNS_VARIANTS" || designs=1
if [ $designs = 1 ]; then
	# a warm-up run first (not counted: the first traced run of a boot is slower), then the
	# designs in turn, run after run
	exits_args="timer_bench -m exits -p $EXITS_PERIOD_US -n $EXITS_TICKS -l $EXITS_SPIN"
	echo "designs-warmup|300|1|park-design 1 bench-fgraph $DESIGNS_FGRAPH_FUNCS $exits_args"
	for k in $(seq "$DESIGNS_RUNS"); do
		for d in $DESIGNS; do
			echo "designs-d$d-exits-r$k|300|1|park-design $d bench-fgraph $DESIGNS_FGRAPH_FUNCS $exits_args"
		done
	done
fi
# the smoke entry of testbed/plan.conf (what `make check` runs), to time it and to check its
# expectations in the summary; after the function_graph runs (it runs timer-trace)
# shellcheck source=testbed/boot/machines/bochs-vmx.conf
. "$TESTBED/boot/machines/$MACHINE.conf"
plan_entries "$(vbase "$VARIANT")" | awk -F'|' '$1 == "bench-smoke" { print $1 "|" $2 "|1|" $4 }'
if has "$MACHINE" "$VCPUS_MACHINES" && has "$V" "$VCPUS_VARIANTS"; then
	counts=$VCPUS
	[ "$V" != prefix ] || counts=$VCPUS_PREFIX
	for n in $counts; do
		echo "vcpus-$n|600|1|timer-trace -i timer_bench -m paused -c $n -p $VCPUS_PERIOD_US -d $VCPUS_PAUSE_MS"
	done
fi
if [ $designs = 1 ]; then
	for d in $DESIGNS; do
		echo "designs-d$d-paused|600|1|park-design $d timer-trace -i timer_bench -m paused -c 1 -p $VCPUS_PERIOD_US -d $VCPUS_PAUSE_MS"
	done
fi
if has "$MACHINE" "$SWEEP_MACHINES" && has "$V" "$SWEEP_VARIANTS"; then
	# shortest pauses first: a boot stopped by its timeout keeps the cheap points
	for d in $SWEEP_PAUSES_MS; do
		for p in $SWEEP_PERIODS_US; do
			if per_period_work && [ $((d * 1000 / p)) -gt "$SWEEP_CAP_PERIODS" ]; then
				echo "capped sweep-p$p-d$d: $((d * 1000 / p)) periods > $SWEEP_CAP_PERIODS" >&2
				continue
			fi
			if [ "$p" -lt "$SWEEP_FAST_US" ] && ! has "$MACHINE:$V" "$SWEEP_FAST_ONLY"; then
				echo "capped sweep-p$p-d$d: period below $SWEEP_FAST_US us, only on $SWEEP_FAST_ONLY" >&2
				continue
			fi
			# guest timeout: room for the selftest's extra pauses (up to 3 more when a resume
			# cannot tell the grids apart) and for the trace; bochs-vmx 7.3/base at 1000 s
			# once ran into d + 600 s (2026-12-08, cause not known: the next boot took d + 7 s)
			echo "sweep-p$p-d$d|$((4 * d / 1000 + 600))|1|timer-trace -i timer_pause -v -s busy -n 1 -p $p -d $d"
		done
	done
fi
