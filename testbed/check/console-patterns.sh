#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check/console-patterns.sh
# Prove the console scan (check/scan-console.sh) on the sample lines of check/console-patterns:
# every "bad" sample, written into a console, makes the scan fail on every machine; every
# "harmless" sample passes on its machines; and the lockdep, RCU, sleep-in-atomic, ODEBUG and
# KASAN reports the debug kernel can print are among the bad patterns.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

PATTERNS=$TESTBED/check/console-patterns
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
bad=0 n=0

# usage: scan MACHINE LINE; the scan's verdict on a clean console that also has LINE
scan() {
	printf '@@BOOT test\n%s\n@@DONE uptime=1\n' "$2" > "$T/console"
	"$TESTBED/check/scan-console.sh" "$1" "$T/console" | head -n 1 | cut -d' ' -f1
}

[ "$(scan bochs-vmx 'a clean line')" = pass ] || { echo "a clean console does not pass"; bad=1; }
for required in 'possible circular locking dependency' 'inconsistent lock state' \
	'suspicious RCU usage' 'BUG: sleeping function called from invalid context' 'ODEBUG:' 'BUG: KASAN:'; do
	awk -F'\t' -v r="$required" '$1 == "bad" && $3 ~ r { found = 1 } END { exit !found }' "$PATTERNS" ||
		{ echo "no bad pattern has a sample with '$required'"; bad=1; }
done
while IFS=$'\t' read -r kind a b c; do
	case $kind in
	bad)
		n=$((n + 1))
		grep -qE -- "$a" <<< "$b" || { echo "pattern '$a' does not match its sample '$b'"; bad=1; }
		for m in $MACHINES; do
			[ "$(scan "$m" "$b")" = fail ] || { echo "$m: the scan passes '$b'"; bad=1; }
		done;;
	harmless)
		n=$((n + 1))
		for m in $MACHINES; do
			# shellcheck disable=SC2053 # the column is a glob
			if [[ $m == $a ]]; then
				[ "$(scan "$m" "$c")" = pass ] || { echo "$m: harmless '$c' fails the scan"; bad=1; }
			else
				[ "$(scan "$m" "$c")" = fail ] || { echo "$m: '$c' passes, but is harmless only on $a"; bad=1; }
			fi
		done;;
	esac
done < <(grep -v '^#' "$PATTERNS")
[ $bad = 0 ] && echo "console scan: $n patterns proven on their sample lines on $(wc -w <<< "$MACHINES") machines"
exit $bad
