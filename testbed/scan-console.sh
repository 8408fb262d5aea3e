#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: scan-console.sh MACHINE CONSOLE [STOPPED]
# Scan a guest console for signs of a broken kernel: WARNING:, BUG:, lockups, Oops, panics,
# KASAN, RCU stalls and "hrtimer: interrupt took" (Bochs has no NMI watchdog, so a hard-irq
# storm shows only as that line), for a guest the host had to stop (STOPPED: why) and for one
# that died before @@DONE.
# Known harmless lines are whitelisted per machine below. Prints "pass" or "fail" on the
# first line, then the offending lines and, on failure, the console tail; exit 1 on failure.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/lib.sh"

MACHINE=${1:?usage: scan-console.sh MACHINE CONSOLE [STOPPED]}
CONSOLE=${2:?}
STOPPED=${3:-}

BAD='WARNING:|BUG:|lockup|Oops|hrtimer: interrupt took|Kernel panic|KASAN|general protection fault|Unable to handle|rcu.*detected stalls'
case $MACHINE in
# Bochs' CPUID leaf 0xb/0x1 topology data trips a WARN_ON in parse_legacy() at boot (taint W).
bochs-vmx) WHITELIST='WARNING: CPU: 0 PID: 0 at arch/x86/kernel/cpu/topology_common.c:[0-9]+ parse_legacy\+';;
*) WHITELIST='^$';;
esac

bad=$(grep -E "$BAD" "$CONSOLE" | grep -vE "$WHITELIST" | grep -v '^@@' || true)
problem=""
[ -z "$bad" ] || problem="kernel messages"
if [ -n "$STOPPED" ]; then
	problem="${problem:+$problem, }guest stopped by the host: $STOPPED"
elif ! grep -q '^@@DONE' "$CONSOLE"; then
	problem="${problem:+$problem, }guest died before @@DONE"
fi
if [ -z "$problem" ]; then
	echo pass
	exit 0
fi
echo "fail $problem"
[ -z "$bad" ] || printf '%s\n' "$bad" | head -n 20
echo "--- console tail:"
tail -n 40 "$CONSOLE"
exit 1
