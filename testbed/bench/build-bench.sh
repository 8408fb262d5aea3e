#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-bench.sh
# Build testbed/bench/timer_bench.c, statically, against the KVM selftest library of the
# primary base as build-selftests.sh built it ($BUILD/selftests/BASE: its hard-linked series
# tree and objects), with the selftests' own compiler flags (asked from their Makefile with
# 'make -n'). Nothing is written into the selftest tree or its object dir: the program goes
# to $BUILD/bench/bin/timer_bench (the images of the bench copy it from there).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

ST=$(selftests_dir "$PRIMARY_BASE")
KST=$ST/src/tools/testing/selftests/kvm
OBJ=$ST/obj
if [ ! -f "$OBJ/lib/kvm_util.o" ] || [ ! -f "$KST/Makefile.kvm" ]; then
	die "no KVM selftest library of $PRIMARY_BASE: run 'make selftests' first"
fi
OUT=$BUILD/bench/bin
SRC=$TESTBED/bench/timer_bench.c
LOG=$BUILD/logs/build-bench.log
mkdir -p "$OUT" "$BUILD/logs"

# up to date: newer than its source and than the library
if [ -x "$OUT/timer_bench" ] && [ "$OUT/timer_bench" -nt "$SRC" ] &&
	[ "$OUT/timer_bench" -nt "$OBJ/lib/kvm_util.o" ]; then
	msg "timer_bench is up to date ($OUT/timer_bench)"
	exit 0
fi

# The compile and link commands make would run for an existing x86 test, its name replaced.
REF=apic_bus_clock_test
msg "timer_bench: compiler flags of the $PRIMARY_BASE selftests (make -n, $REF as the model)"
mapfile -t CMDS < <(run_timeout 120 make -s -n -C "$KST" OUTPUT="$OBJ" EXTRA_CFLAGS=-static \
	"$OBJ/x86/$REF" -W "x86/$REF.c" 2> "$LOG" | grep -E "^gcc .*x86/$REF")
[ ${#CMDS[@]} = 2 ] || die "could not read the selftests' gcc commands (got ${#CMDS[@]}), see $LOG"
compile=${CMDS[0]//x86\/$REF.c/$SRC}
compile=${compile//$OBJ\/x86\/$REF.o/$OUT/timer_bench.o}
link=${CMDS[1]//$OBJ\/x86\/$REF.o/$OUT/timer_bench.o}
link=${link//-o $OBJ\/x86\/$REF/-o $OUT/timer_bench}
msg "timer_bench: compiling (log: $LOG)"
# the commands are make's, word-split as make's shell would (no quoting in them)
(cd "$KST" && eval "run_timeout 300 $compile" && eval "run_timeout 300 $link") >> "$LOG" 2>&1 ||
	{ grep -E 'error|warning' "$LOG" | head -n 20 >&2; die "timer_bench build failed, see $LOG"; }
if grep -q 'warning:' "$LOG"; then
	grep 'warning:' "$LOG" >&2
	die "timer_bench built with warnings, see $LOG"
fi
strip "$OUT/timer_bench"
msg "timer_bench: $OUT/timer_bench"
