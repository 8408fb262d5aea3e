#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: scan-console.sh MACHINE CONSOLE [STOPPED]
# Scan a guest console for signs of a broken kernel (the "bad" patterns of check/console-patterns:
# WARNING:, BUG:, lockdep and RCU-lockdep reports, sleeping in atomic context, ODEBUG, KASAN,
# lockups, Oops, panics, RCU stalls and "hrtimer: interrupt took" (Bochs has no NMI watchdog, so
# a hard-irq storm shows only as that line)), for a guest the host had to stop (STOPPED: why)
# and for one that died before @@DONE. The "harmless" lines of that file pass, per machine. Prints "pass" or "fail" on the
# first line, then the offending lines and, on failure, the console tail; exit 1 on failure.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

MACHINE=${1:?usage: scan-console.sh MACHINE CONSOLE [STOPPED]}
CONSOLE=${2:?}
STOPPED=${3:-}

# the patterns and the machine's harmless lines, from check/console-patterns
PATTERNS=$TESTBED/check/console-patterns
BAD=$(awk -F'\t' '$1 == "bad" { printf "%s%s", sep, $2; sep = "|" }' "$PATTERNS")
WHITELIST=$(awk -F'\t' -v m="$MACHINE" '$1 == "harmless" { print $2 "\t" $3 }' "$PATTERNS" |
	while IFS=$'\t' read -r glob re; do
		# shellcheck disable=SC2053 # the column is a glob
		if [[ $MACHINE == $glob ]]; then printf '%s\n' "$re"; fi
	done | paste -sd'|')
WHITELIST=${WHITELIST:-^$}

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
