#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-torture.sh [MACHINE:BASE/VARIANT...]      (make torture)
# Long runs of timer_torture (testbed/race/timer_torture.c): one boot per MACHINE:VARIANT
# (default: every machine of the primary base with its series) running only the plan's
# torture-long entry, i.e. timer_torture with the machine's TORTURE_ARGS and -n STEPS
# (default 100000) and -s SEED (default: random, printed), at most TORTURE_TIMEOUT guest
# seconds (default 3600). Each boot's output goes to $BUILD/torture/; a row per boot (date,
# commit, machine, variant, seed, steps, operations by kind, violations by invariant) is
# appended to $BUILD/torture/torture.csv, and with TORTURE_PUBLISH=1 also to the tracked
# testbed/results/torture.csv. Prints the table of the boots it ran.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

STEPS=${STEPS:-100000}
SEED=${SEED:-}
TORTURE_TIMEOUT=${TORTURE_TIMEOUT:-3600}
TORTURE_PUBLISH=${TORTURE_PUBLISH:-0}
[[ $STEPS =~ ^[1-9][0-9]*$ ]] || die "STEPS must be a positive number, not '$STEPS'"
[[ -z $SEED || $SEED =~ ^[1-9][0-9]*$ ]] || die "SEED must be a positive number, not '$SEED'"
[[ $TORTURE_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "TORTURE_TIMEOUT must be seconds, not '$TORTURE_TIMEOUT'"

BOOTS=("$@")
if [ ${#BOOTS[@]} = 0 ]; then
	for m in $(base_machines "$PRIMARY_BASE"); do
		BOOTS+=("$m:$PRIMARY_BASE/series")
	done
fi
check_args pairs "${BOOTS[*]}"

OUT=$BUILD/torture
CSV=$OUT/torture.csv
TRACKED=$TESTBED/results/torture.csv
mkdir -p "$OUT"
COLUMNS_LINE="date,commit,machine,variant,seed,steps,args"
OPS="tmict tdcr lvtt_mode lvtt_mask spiv hlt tmcct_read tsc_deadline pause lapic_get_set immediate_exit signal migrate"
INVARIANTS="tmcct_over_tmict count_while_stopped irq_while_stopped extra_irq lost_irq silent off_grid dead_at_end"
for o in $OPS edge_ops edge_deadlines irqs owed ambiguous; do COLUMNS_LINE+=",$o"; done
for i in $INVARIANTS violations; do COLUMNS_LINE+=",$i"; done
COLUMNS_LINE+=",wall_s,outcome"
[ -s "$CSV" ] || echo "$COLUMNS_LINE" > "$CSV"
COMMIT=$(git -C "$TESTBED/.." rev-parse --short HEAD 2> /dev/null || echo unknown)
# a "+" marks a working tree with changes that are not committed
git -C "$TESTBED/.." diff --quiet HEAD 2> /dev/null || COMMIT+=+

ROWS=()
for b in "${BOOTS[@]}"; do
	machine=${b%%:*} variant=${b#*:}
	log=$OUT/$machine-$(vslug "$variant").log
	args="-n $STEPS${SEED:+ -s $SEED}"
	msg "torture: $machine $variant, $args (guest timeout ${TORTURE_TIMEOUT}s; output: $log)"
	start=$(date +%s)
	rc=0
	TB_TEST_TIMEOUT=$TORTURE_TIMEOUT TB_HOST_TIMEOUT=$((TORTURE_TIMEOUT + 900)) \
		"$TESTBED/boot/run-one.sh" "$machine" "$variant" torture-long "$args" > "$log" 2>&1 || rc=$?
	wall=$(($(date +%s) - start))
	metric() { sed -n "s/^@@METRIC $1=//p" "$log" | tail -n 1; }
	outcome=pass
	[ "$rc" = 0 ] || outcome=fail
	[ -n "$(metric steps)" ] || outcome=error
	row="$(date -u +%Y-%m-%dT%H:%MZ),$COMMIT,$machine,$variant,$(metric seed),$(metric steps),$(grep -o 'timer_torture: [0-9]* steps, periods [^,]*, window [^,]*, late bound [0-9]* us' "$log" | head -n 1 | sed 's/timer_torture: //; s/,//g')"
	for o in $OPS; do row+=",$(metric "op_$o")"; done
	for o in edge_ops edge_deadlines irqs owed ambiguous; do row+=",$(metric "$o")"; done
	for i in $INVARIANTS violations; do row+=",$(metric "$i")"; done
	row+=",$wall,$outcome"
	echo "$row" >> "$CSV"
	ROWS+=("$row")
	if [ "$TORTURE_PUBLISH" = 1 ]; then
		[ -s "$TRACKED" ] || { echo "# SPDX-License-Identifier: GPL-2.0"; echo "$COLUMNS_LINE"; } > "$TRACKED"
		echo "$row" >> "$TRACKED"
	fi
	msg "torture: $machine $variant: $outcome in ${wall}s, violations $(metric violations) (seed $(metric seed))"
done

# the table: one column per boot
{
	printf '%s\n' "$COLUMNS_LINE"
	printf '%s\n' "${ROWS[@]}"
} | awk -F, '
	{ for (i = 1; i <= NF; i++) cell[NR, i] = $i; if (NF > nf) nf = NF }
	END {
		for (i = 3; i <= nf; i++) {
			line = sprintf("%-20s", cell[1, i])
			for (r = 2; r <= NR; r++) line = line sprintf(" %24s", cell[r, i])
			print line
		}
	}'
