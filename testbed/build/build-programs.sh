#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-programs.sh [DIR/NAME...]     (default: every program of PROGRAMS)
# Build the test-bed programs that use the KVM selftest library: testbed/DIR/NAME.c goes,
# statically linked and stripped, to $BUILD/DIR/bin/NAME (the bench's and the race's images
# copy them from there). Each is built against the library of the primary base as
# build-selftests.sh built it ($BUILD/selftests/BASE: its hard-linked series tree and objects),
# with the selftests' own compiler flags (asked from their Makefile with 'make -n'). Nothing is
# written into the selftest tree or its object dir: objects go to $BUILD/programs-obj, logs to
# $BUILD/logs/build-NAME.log. A warning fails the build. A program newer than its source and
# the library is up to date.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

PROGRAMS="bench/timer_bench bench/timer_pause race/timer_race race/timer_torture"

ST=$(selftests_dir "$PRIMARY_BASE")
KST=$ST/src/tools/testing/selftests/kvm
OBJ=$ST/obj
if [ ! -f "$OBJ/lib/kvm_util.o" ] || [ ! -f "$KST/Makefile.kvm" ]; then
	die "no KVM selftest library of $PRIMARY_BASE: run 'make selftests' first"
fi
OBJS=$BUILD/programs-obj
mkdir -p "$OBJS" "$BUILD/logs"

# The compile and link commands make would run for an existing x86 test (read once).
REF=apic_bus_clock_test
CMDS=()

# usage: build_program DIR/NAME
build_program() {
	local src=$TESTBED/$1.c name out log compile link
	name=$(basename "$1")
	out=$BUILD/$(dirname "$1")/bin
	log=$BUILD/logs/build-$name.log
	[ -f "$src" ] || die "no program source $src"
	mkdir -p "$out"
	if [ -x "$out/$name" ] && [ "$out/$name" -nt "$src" ] && [ "$out/$name" -nt "$OBJ/lib/kvm_util.o" ]; then
		msg "$name is up to date ($out/$name)"
		return 0
	fi
	if [ ${#CMDS[@]} = 0 ]; then
		msg "compiler flags of the $PRIMARY_BASE selftests (make -n, $REF as the model)"
		mapfile -t CMDS < <(run_timeout 120 make -s -n -C "$KST" OUTPUT="$OBJ" EXTRA_CFLAGS=-static \
			"$OBJ/x86/$REF" -W "x86/$REF.c" 2> "$log" | grep -E "^gcc .*x86/$REF")
		[ ${#CMDS[@]} = 2 ] ||
			die "could not read the selftests' gcc commands (got ${#CMDS[@]}), see $log"
	fi
	# $REF's commands with its source, object and program replaced
	compile=${CMDS[0]//x86\/$REF.c/$src}
	compile=${compile//$OBJ\/x86\/$REF.o/$OBJS/$name.o}
	link=${CMDS[1]//$OBJ\/x86\/$REF.o/$OBJS/$name.o}
	link=${link//-o $OBJ\/x86\/$REF/-o $out/$name}
	msg "$name: compiling (log: $log)"
	# the commands are make's, word-split as make's shell would (no quoting in them)
	(cd "$KST" && eval "run_timeout 300 $compile" && eval "run_timeout 300 $link") > "$log" 2>&1 ||
		{ grep -E 'error|warning' "$log" | head -n 20 >&2; rm -f "$out/$name"; die "$name build failed, see $log"; }
	if grep -q 'warning:' "$log"; then
		grep 'warning:' "$log" >&2
		rm -f "$out/$name"
		die "$name built with warnings, see $log"
	fi
	strip "$out/$name"
	msg "$name: $out/$name"
}

# shellcheck disable=SC2086 # PROGRAMS is a list
[ $# -gt 0 ] || set -- $PROGRAMS
for p in "$@"; do
	build_program "$p"
done
