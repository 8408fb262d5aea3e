#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-boots.sh [MACHINE:BASE/VARIANT...]   (default: every boot of versions.conf)
# Run the boots (run-machine.sh on the images of 'make images'), BOOT_JOBS at a time (default
# 2, one per core): every emulator is single-threaded. Never two QEMU boots at once: QEMU TCG
# delivers timer interrupts later the busier the host is, while Bochs' guest time follows its
# instruction count and does not care. So one lane runs the QEMU boots back to back, the
# longest (those with the regression suites: base, then series, of the primary base) first,
# and the other lanes run the Bochs boots meanwhile. Fails if a boot could not be run at all
# (a test's outcome is judged by report.sh, not here).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

BOOT_JOBS=${BOOT_JOBS:-2}
# order: QEMU boots of the primary base's base and series, the other QEMU boots, then Bochs
mapfile -t QUEUE < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else all_boots; fi |
	awk -v p="$PRIMARY_BASE" '{ print ($0 ~ /^qemu/ ? ($0 ~ ":" p "/(base|series)$" ? 0 : 1) : 2), $0 }' |
	sort -s -k1,1n | cut -d' ' -f2)

declare -A RUNNING=()   # pid -> boot
failed=0
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
	[ $rc = 0 ] || { warn "boot ${RUNNING[$p]} could not be run (rc=$rc)"; failed=1; }
	unset "RUNNING[$p]"
}

total=${#QUEUE[@]} started=0
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
	m=${boot%%:*} v=${boot#*:}
	started=$((started + 1))
	msg "boot $started/$total: $m $v"
	"$TESTBED/boot/run-machine.sh" "$m" "$(image_dir "$m" "$v")" "$(run_dir "$m" "$v")" &
	RUNNING[$!]=$boot
done
exit $failed
