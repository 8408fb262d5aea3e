#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-machine.sh [-i|-n] MACHINE IMAGEDIR RUNDIR
# Boot the image made by mkimage.sh in MACHINE's emulator under a host-side timeout, console
# to RUNDIR/console.log; print the guest's @@ markers as progress; then record the outcome of
# every test the guest plan (IMAGEDIR/plan) lists in RUNDIR/results, its metrics in
# RUNDIR/metrics and the console scan in RUNDIR/console-scan. -i: interactive console
# (make shell), nothing recorded. -n: boot nothing; exit 0 if the last run would be reused
# (see below), 1 if the image must boot.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

INTERACTIVE=0 QUERY=0
case ${1:-} in
-i) INTERACTIVE=1; shift;;
-n) QUERY=1; shift;;
esac
MACHINE=${1:?usage: run-machine.sh [-i|-n] MACHINE IMAGEDIR RUNDIR}
IMG=${2:?usage: run-machine.sh [-i|-n] MACHINE IMAGEDIR RUNDIR}
RUN=${3:?usage: run-machine.sh [-i|-n] MACHINE IMAGEDIR RUNDIR}
check_machine "$MACHINE"
# shellcheck source=testbed/boot/machines/bochs-vmx.conf
. "$TESTBED/boot/machines/$MACHINE.conf"
# TB_HOST_TIMEOUT, TB_STALL_TIMEOUT (environment): other bounds than the machine's, e.g. for
# the bench's long boots
HOST_TIMEOUT=${TB_HOST_TIMEOUT:-$HOST_TIMEOUT}
STALL_TIMEOUT=${TB_STALL_TIMEOUT:-$STALL_TIMEOUT}
[ -f "$IMG/cmdline" ] || die "no image in $IMG: run 'make build' first"

# A boot whose inputs (image contents, machine, harness) did not change since its last
# complete run is not repeated, unless RERUN=1: after editing one patch of the series, only
# the series variant boots again.
# The machine's configuration counts with the files it sources (bochs-vmx-pt0 sources
# bochs-vmx.conf) and Bochs' template, not the other machines'.
CONFS=("$TESTBED/boot/machines/$MACHINE.conf")
while read -r f; do
	[ -f "$TESTBED/boot/machines/$f" ] && CONFS+=("$TESTBED/boot/machines/$f")
done < <(grep -o '[a-z0-9-]*\.conf' "${CONFS[0]}" | sort -u)
[ "$EMULATOR" != bochs ] || CONFS+=("$TESTBED/boot/machines/bochsrc.in")
KEY=$({ cat "$IMG/inputs"; cat "${CONFS[@]}" "$0" "$TESTBED/check/scan-console.sh"; } |
	sha256sum | cut -d' ' -f1)
reusable() {
	[ "${RERUN:-0}" != 1 ] && [ -f "$RUN/results" ] && [ "$(cat "$RUN/key" 2> /dev/null)" = "$KEY" ]
}
if [ $QUERY = 1 ]; then
	reusable || exit 1
	exit 0
fi
if [ $INTERACTIVE = 0 ] && reusable; then
	msg "$MACHINE: $(basename "$IMG"): nothing changed since the run of $(date -u -r "$RUN/results" +%H:%M), reusing it (RERUN=1 to boot again)"
	column -t "$RUN/results" | sed 's/^/    /' >&2
	exit 0
fi

rm -rf "$RUN"
mkdir -p "$RUN"
CONSOLE=$RUN/console.log
: > "$CONSOLE"

emulator_cmd() {
	case $EMULATOR in
	qemu)
		local serial=file:$CONSOLE
		[ $INTERACTIVE = 1 ] && serial=mon:stdio
		# shellcheck disable=SC2054 # commas are part of QEMU options
		EMU=(qemu-system-x86_64 -accel "tcg,thread=$TCG_THREAD" -cpu "$CPU_MODEL" -smp "$SMP"
			-m "$MEM_MB" -nodefaults -display none -no-reboot -serial "$serial"
			-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.gz" -append "$(cat "$IMG/cmdline")")
		;;
	bochs)
		local com1="mode=file, dev=$CONSOLE"
		[ $INTERACTIVE = 1 ] && com1="mode=term, dev=$(tty)"
		sed -e "s|@MEM_MB@|$MEM_MB|; s|@CPU_MODEL@|$CPU_MODEL|; s|@IPS@|$IPS|" \
			-e "s|@ISO@|$IMG/boot.iso|; s|@COM1@|$com1|; s|@LOG@|$RUN/bochs.log|" \
			"$TESTBED/boot/machines/bochsrc.in" > "$RUN/bochsrc"
		# Debian's bochs has its debugger built in: continue, then quit when the guest stops.
		printf 'c\nquit\n' > "$RUN/bochs-debugger.rc"
		EMU=(bochs -q -f "$RUN/bochsrc" -rc "$RUN/bochs-debugger.rc")
		;;
	*)
		die "$MACHINE: unknown EMULATOR '$EMULATOR'"
		;;
	esac
}

[ $INTERACTIVE = 0 ] || [ -t 0 ] || die "an interactive console needs a terminal on stdin"
emulator_cmd
if [ $INTERACTIVE = 1 ]; then
	msg "$MACHINE: interactive console; leave with 'poweroff -f' (timeout ${HOST_TIMEOUT}s)"
	# --foreground: the emulator must stay in the terminal's process group to read from it
	timeout --foreground "$HOST_TIMEOUT" "${EMU[@]}"
	exit 0
fi

msg "$MACHINE: booting $(basename "$(dirname "$IMG")")/$(basename "$IMG") (timeout ${HOST_TIMEOUT}s, console: $CONSOLE)"
start=$(date +%s)
# Stop the emulator early when the guest is stuck: no console output for STALL_TIMEOUT
# seconds (a hard-irq storm or lockup: Bochs has no NMI watchdog), a panic, a soft-lockup or
# RCU-stall report, or a guest that printed @@DONE but does not power off. Leaves the reason in RUN/stopped.
watchdog() {
	local pid=$1 size=-1 idle=0 lockup=0 s
	while kill -0 "$pid" 2> /dev/null; do
		sleep 5
		s=$(stat -c %s "$CONSOLE")
		if [ "$s" != "$size" ]; then
			size=$s idle=0
		else
			idle=$((idle + 5))
		fi
		if [ $idle -ge "$STALL_TIMEOUT" ]; then
			echo "no console output for ${STALL_TIMEOUT}s" > "$RUN/stopped"
		elif grep -q 'Kernel panic - not syncing' "$CONSOLE" && [ $idle -ge 10 ]; then
			echo "kernel panic" > "$RUN/stopped"
		elif grep -qE 'soft lockup - CPU|hard LOCKUP|rcu.*detected stalls' "$CONSOLE"; then
			# a locked-up guest keeps printing reports and never finishes: give the
			# first report 30 s to complete, then stop it
			lockup=$((lockup + 5))
			[ $lockup -ge 30 ] || continue
			echo "lockup or RCU stall reported" > "$RUN/stopped"
		elif grep -q '^@@DONE' "$CONSOLE" && [ $idle -ge 60 ]; then
			echo "guest did not power off after @@DONE" > "$RUN/stopped"
		else
			continue
		fi
		# TERM to timeout(1) is passed on to the emulator; KILL both if that is not enough
		kill "$pid" 2> /dev/null || true
		sleep 15
		if kill -0 "$pid" 2> /dev/null; then
			pkill -KILL -P "$pid" || true
			kill -KILL "$pid" 2> /dev/null || true
		fi
		return
	done
}

# (timeout directly, not run_timeout: $! must be timeout's own pid for the watchdog)
timeout --kill-after=10 "$HOST_TIMEOUT" "${EMU[@]}" > "$RUN/emulator.log" 2>&1 < /dev/null &
epid=$!
watchdog $epid &
wpid=$!
# progress: the guest's markers, while the emulator runs
tail -n +1 -F --pid=$epid "$CONSOLE" 2> /dev/null | sed -u 's/\r$//' |
	grep --line-buffered -E '^@@(BOOT|READY|TEST|ERROR|DONE)' | sed -u "s|^|    [$MACHINE] |" >&2 || true
rc=0
wait $epid || rc=$?
wait $wpid || true
secs=$(($(date +%s) - start))
echo "emulator_rc=$rc wall_secs=$secs" > "$RUN/run.info"
hung=0
if [ -f "$RUN/stopped" ]; then
	hung=1
	warn "$MACHINE: stopped the emulator: $(cat "$RUN/stopped")"
elif [ $rc = 124 ] || [ $rc = 137 ]; then
	hung=1
	echo "host timeout of ${HOST_TIMEOUT}s" > "$RUN/stopped"
	warn "$MACHINE: the guest did not finish within ${HOST_TIMEOUT}s and was killed"
fi
msg "$MACHINE: guest finished in ${secs}s (emulator rc=$rc)"

# Outcomes of the planned tests from the markers: pass (an attempt passed), skip (rc 4, the
# test skipped itself), timeout (killed by the guest-side timeout: rc 124/143), fail, hang or
# crash (began, no end), notrun*.
tr -d '\r' < "$CONSOLE" > "$RUN/console.txt"
awk -F'|' -v hung=$hung -v panic="$(grep -c 'Kernel panic' "$RUN/console.txt")" -v plan="$IMG/plan" -v console="$RUN/console.txt" '
BEGIN {
	while ((getline l < plan) > 0) { split(l, f, "|"); name[++n] = f[1] }
	while ((getline l < console) > 0) {
		split(l, w, " ")
		if (w[1] == "@@DONE") done = 1
		if (w[1] != "@@TEST") continue
		t = w[2]
		if (w[3] == "BEGIN") { began[t] = 1; continue }
		if (w[3] != "END") continue
		sub("rc=", "", w[4]); sub("secs=", "", w[5]); sub("attempt=", "", w[6])
		att[t] = w[6]; rc[t] = w[4]; secs[t] += w[5]
		if (w[4] == 0) ok[t] = 1
	}
	for (i = 1; i <= n; i++) {
		t = name[i]
		if (!began[t])
			o = done ? "notrun" : (hung ? "notrun-hang" : "notrun-crash")
		else if (!(t in rc))
			o = (hung && !panic) ? "hang" : "crash"
		else if (ok[t])
			o = "pass"
		else if (rc[t] == 4)
			o = "skip"
		else if (rc[t] == 124 || rc[t] == 143)
			o = "timeout"
		else
			o = "fail"
		printf "%s %s attempts=%s rc=%s secs=%s\n", t, o, att[t] ? att[t] : 0, (t in rc) ? rc[t] : "-", secs[t] + 0
	}
}' > "$RUN/results"

# Metrics: "@@METRIC name=value" lines, attributed to the test running at the time.
awk '$1 == "@@TEST" && $3 == "BEGIN" { t = $2 } $1 == "@@METRIC" && t != "" { sub("=", " ", $2); print t, $2 }' \
	"$RUN/console.txt" > "$RUN/metrics"

"$TESTBED/check/scan-console.sh" "$MACHINE" "$RUN/console.txt" "$(cat "$RUN/stopped" 2> /dev/null)" \
	> "$RUN/console-scan" || true
column -t "$RUN/results" | sed 's/^/    /' >&2
# only a boot that completed may be reused
[ $hung = 1 ] || ! grep -q '^@@DONE' "$RUN/console.txt" || echo "$KEY" > "$RUN/key"
