#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-boots.sh [-a COMMAND] [MACHINE:BASE/VARIANT...]   (default: every boot of versions.conf)
# Run the boots (run-machine.sh on the images of 'make images'), BOOT_JOBS at a time (default
# 2, one per core): every emulator is single-threaded. Never two QEMU boots at once: QEMU TCG
# delivers timer interrupts later the busier the host is, while Bochs' guest time follows its
# instruction count and does not care. So one lane runs the QEMU boots back to back, the
# longest (those with the regression suites: base, then series, of the primary base) first,
# and the other lanes run the Bochs boots meanwhile. Fails if a boot could not be run at all
# (a test's outcome is judged by report.sh, not here).
# -a COMMAND: a shell command line (`make check` passes the static checks) run alongside the
# boots, as the first job of a lane other than the QEMU lane and with JOBS=1 (one core, as an
# emulator): the QEMU lane is the critical path and the Bochs boots have time to spare. When
# every boot can be reused, COMMAND runs first, alone, with the environment's JOBS. A failing
# COMMAND makes the script fail.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

ALONGSIDE=
if [ "${1:-}" = -a ]; then
	ALONGSIDE=${2:?usage: run-boots.sh [-a COMMAND] [MACHINE:BASE/VARIANT...]}
	shift 2
fi
check_args boots "$*"
BOOT_JOBS=${BOOT_JOBS:-2}
# order: QEMU boots of the primary base's base and series, the other QEMU boots, then Bochs
mapfile -t QUEUE < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else all_boots; fi |
	awk -v p="$PRIMARY_BASE" '{ print ($0 ~ /^qemu/ ? ($0 ~ ":" p "/(base|series)$" ? 0 : 1) : 2), $0 }' |
	sort -s -k1,1n | cut -d' ' -f2)
total=${#QUEUE[@]}

failed=0
if [ -n "$ALONGSIDE" ]; then
	must_boot=0
	for boot in "${QUEUE[@]}"; do
		m=${boot%%:*} v=${boot#*:}
		"$TESTBED/boot/run-machine.sh" -n "$m" "$(image_dir "$m" "$v")" "$(run_dir "$m" "$v")" ||
			{ must_boot=1; break; }
	done
	if [ $must_boot = 0 ]; then
		bash -c "$ALONGSIDE" || { warn "'$ALONGSIDE' failed"; failed=1; }
	else
		# after the QEMU boots in the queue, so that the QEMU lane starts first
		n=0
		while [ $n -lt ${#QUEUE[@]} ] && [[ ${QUEUE[$n]} == qemu* ]]; do
			n=$((n + 1))
		done
		QUEUE=("${QUEUE[@]:0:n}" @alongside "${QUEUE[@]:n}")
	fi
fi

declare -A RUNNING=()   # pid -> boot
qemu_running() {
	local p
	for p in "${!RUNNING[@]}"; do
		[[ ${RUNNING[$p]} != qemu* ]] || return 0
	done
	return 1
}

# reap one finished boot
reap() {
	local p rc=0
	wait -n -p p "${!RUNNING[@]}" || rc=$?
	if [ $rc != 0 ]; then
		if [ "${RUNNING[$p]}" = @alongside ]; then
			warn "'$ALONGSIDE' failed (rc=$rc)"
		else
			warn "boot ${RUNNING[$p]} could not be run (rc=$rc)"
		fi
		failed=1
	fi
	unset "RUNNING[$p]"
}

started=0
while [ ${#QUEUE[@]} -gt 0 ] || [ ${#RUNNING[@]} -gt 0 ]; do
	next=-1
	if [ ${#RUNNING[@]} -lt "$BOOT_JOBS" ]; then
		for i in "${!QUEUE[@]}"; do
			if [[ ${QUEUE[$i]} != qemu* ]] || ! qemu_running; then
				next=$i
				break
			fi
		done
	fi
	if [ "$next" -lt 0 ]; then
		reap
		continue
	fi
	boot=${QUEUE[$next]}
	unset "QUEUE[$next]"
	QUEUE=("${QUEUE[@]}")
	if [ "$boot" = @alongside ]; then
		msg "alongside the boots, on one core: $ALONGSIDE"
		JOBS=1 bash -c "$ALONGSIDE" &
		RUNNING[$!]=$boot
		continue
	fi
	m=${boot%%:*} v=${boot#*:}
	started=$((started + 1))
	msg "boot $started/$total: $m $v"
	"$TESTBED/boot/run-machine.sh" "$m" "$(image_dir "$m" "$v")" "$(run_dir "$m" "$v")" &
	RUNNING[$!]=$boot
done
exit $failed
