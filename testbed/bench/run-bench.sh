#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-bench.sh [MACHINE:BASE/VARIANT...]   (default: every boot of testbed/bench/bench.conf)
# Boot each bench machine once per variant with the plan of bench-plan.sh (image in
# $BUILD/bench/images/PART/MACHINE/VARIANT, console, results and metrics in
# $BUILD/bench/runs/PART/MACHINE/VARIANT, by run-machine.sh: a boot whose inputs did not
# change is reused, RERUN=1 boots again). One boot at a time, at nice 10: the bench shares
# the machine with other boots. BENCH_FILTER (environment, an extended regular expression)
# keeps only the plan entries whose name matches, e.g. BENCH_FILTER='sweep-.*'; BENCH_PART
# (default "all") names such a part, collect.sh merges the parts. Writes the wall time of
# each boot to $BUILD/bench/durations and, for a boot that ran, its provenance (the columns
# date, commit, host of collect.sh's CSVs) to RUNDIR.meta.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=testbed/bench/bench.conf
. "$TESTBED/bench/bench.conf"

BIN=$BUILD/bench/bin/timer_bench
[ -x "$BIN" ] || die "no $BIN: run testbed/bench/build-bench.sh (make bench) first"
# host-side bounds of one bench boot (wall seconds): the sweep's long pauses are long in guest
# time; Bochs skips the idle time, but a boot still takes many minutes
export TB_HOST_TIMEOUT=${TB_HOST_TIMEOUT:-3600} TB_STALL_TIMEOUT=${TB_STALL_TIMEOUT:-900}

if [ $# -gt 0 ]; then
	BOOTS=("$@")
else
	mapfile -t BOOTS < <(for m in $COST_MACHINES $EXITS_MACHINES $VCPUS_MACHINES $SWEEP_MACHINES; do
		for v in $BENCH_VARIANTS; do echo "$m:$PRIMARY_BASE/$v"; done
	done | awk '!seen[$0]++')
fi

mkdir -p "$BUILD/bench"
# provenance of the boots: the commit ("+": the working tree has uncommitted changes) and this
# machine (CPUs and model), as collect.sh's CSV columns commit and host
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2> /dev/null || echo unknown)
git -C "$REPO" diff --quiet HEAD 2> /dev/null || COMMIT+=+
HOST="$(nproc)cpu-$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)"
HOST=$(echo "$HOST" | tr -s ' ,' '--')
# this part's lines of an earlier run leave the durations file
[ ! -f "$BUILD/bench/durations" ] || sed -i "/^${BENCH_PART:-all} /d" "$BUILD/bench/durations"
start=$(date +%s)
failed=0 n=0
for boot in "${BOOTS[@]}"; do
	m=${boot%%:*} v=${boot#*:}
	IMG=$BUILD/bench/images/${BENCH_PART:-all}/$m/$v
	RUN=$BUILD/bench/runs/${BENCH_PART:-all}/$m/$v
	mkdir -p "$IMG"
	"$TESTBED/bench/bench-plan.sh" "$m" "$v" 2> "$IMG.capped" |
		{ grep -E "^(${BENCH_FILTER:-.*})\|" || true; } > "$IMG.plan"
	if [ ! -s "$IMG.plan" ]; then
		msg "bench: $m $v: nothing to run"
		continue
	fi
	n=$((n + 1))
	msg "bench: boot $n: $m $v, $(wc -l < "$IMG.plan") plan entries ($(wc -l < "$IMG.capped") sweep points capped)"
	TB_EXTRA_FILES=$BIN "$TESTBED/boot/mkimage.sh" "$m" "$v" "$IMG" "$IMG.plan"
	t0=$(date +%s)
	nice -n 10 "$TESTBED/boot/run-machine.sh" "$m" "$IMG" "$RUN" || { warn "bench: boot $m $v could not be run"; failed=1; }
	# a boot that ran (not reused): its provenance
	if [ -f "$RUN/results" ] && [ "$(stat -c %Y "$RUN/results")" -ge "$t0" ]; then
		printf 'date=%s\ncommit=%s\nhost=%s\nfilter=%s\n' "$(date -u -d "@$t0" +%Y-%m-%dT%H:%MZ)" \
			"$COMMIT" "$HOST" "${BENCH_FILTER:-}" > "$RUN.meta"
	fi
	echo "${BENCH_PART:-all} $m $v $(($(date +%s) - t0)) s, $(wc -l < "$IMG.plan") plan entries" >> "$BUILD/bench/durations"
done
msg "bench: $n boot(s) in $(($(date +%s) - start)) s"
exit $failed
