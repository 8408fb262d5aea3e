#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-selftests.sh BASE
# Build the KVM selftests of BASE statically from its series tree, in a hard-linked copy of
# that tree ($BUILD/selftests/BASE/src: 'make headers' writes into the tree, the variant
# trees stay pristine for the KVM builds). What is built (testbed/plan.conf):
#  - a base listed in SUITE_BASES: every x86 KVM selftest of the tree ('make' with no target);
#  - any other base: only SELFTESTS.
# Binaries go, stripped, to $BUILD/selftests/BASE/bin/; the names of the suite (every test
# built) to $BUILD/selftests/BASE/suite. A SELFTESTS test whose source does not exist in the
# tree (e.g. the series' new test before its patch exists) is listed in
# $BUILD/selftests/BASE/absent and skipped by the runs.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=testbed/plan.conf
. "$TESTBED/plan.conf"

BASE=${1:?usage: build-selftests.sh BASE}
TREE=$(tree_dir "$BASE/series")
[ -f "$TREE/.testbed-applied" ] || die "$BASE/series tree is not prepared: run 'make apply' first"
OUT=$(selftests_dir "$BASE")
SRC=$OUT/src
OBJ=$OUT/obj
BIN=$OUT/bin
LOG=$BUILD/logs/build-selftests-$BASE.log
mkdir -p "$OUT" "$BIN" "$BUILD/logs"

# the copy follows the applied series (a new stamp: new copy, objects rebuilt as needed)
STAMP=$(cat "$TREE/.testbed-applied")
if [ "$(cat "$OUT/src.stamp" 2> /dev/null)" != "$STAMP" ]; then
	msg "$BASE: hard-linking the series tree into $SRC"
	rm -rf "$SRC"
	cp -al "$TREE" "$SRC"
	rm -rf "$SRC/.pc"
	echo "$STAMP" > "$OUT/src.stamp"
fi
KST=$SRC/tools/testing/selftests/kvm

if [ ! -f "$SRC/usr/include/linux/kvm.h" ] || [ "$SRC/include/uapi/linux/kvm.h" -nt "$SRC/usr/include/linux/kvm.h" ]; then
	msg "$BASE: make headers"
	run_timeout 600 make -C "$SRC" -j"$JOBS" headers > "$LOG" 2>&1 || die "make headers failed, see $LOG"
fi

# x86/ in mainline (and the series' new test), x86_64/ in Debian's 6.12
targets=()
: > "$OUT/absent.new"
for t in $SELFTESTS; do
	if [ -f "$KST/x86/$t.c" ]; then
		targets+=("$OBJ/x86/$t")
	elif [ -f "$KST/x86_64/$t.c" ]; then
		targets+=("$OBJ/x86_64/$t")
	else
		echo "$t" >> "$OUT/absent.new"
		warn "$BASE: selftest $t: no x86/$t.c or x86_64/$t.c in the series tree, its tests will be skipped"
	fi
done
mv "$OUT/absent.new" "$OUT/absent"
suite=0
[[ " $SUITE_BASES " != *" $BASE "* ]] || suite=1

# EXTRA_CFLAGS, not LDFLAGS: a command-line LDFLAGS would drop the Makefile's -pthread.
if [ $suite = 1 ]; then
	msg "$BASE: building every x86 KVM selftest (static; log: $LOG)"
	run_timeout 1800 make -C "$KST" -j"$JOBS" OUTPUT="$OBJ" EXTRA_CFLAGS=-static >> "$LOG" 2>&1 ||
		{ grep -E 'error' "$LOG" | head -n 20 >&2; die "$BASE: selftests build failed, see $LOG"; }
	# every test program built: executables in $OBJ and $OBJ/x86, not the library's objects
	find "$OBJ" "$OBJ/x86" -maxdepth 1 -type f -perm -u+x | LC_ALL=C sort | while read -r f; do
		file -b "$f" | grep -q '^ELF.*executable' && basename "$f"
	done > "$OUT/suite"
	mapfile -t targets < <(find "$OBJ" "$OBJ/x86" -maxdepth 1 -type f -perm -u+x | LC_ALL=C sort |
		while read -r f; do file -b "$f" | grep -q '^ELF.*executable' && echo "$f"; done)
else
	msg "$BASE: building ${#targets[@]} KVM selftests (static; log: $LOG)"
	run_timeout 1800 make -C "$KST" -j"$JOBS" OUTPUT="$OBJ" EXTRA_CFLAGS=-static "${targets[@]}" >> "$LOG" 2>&1 ||
		{ grep -E 'error' "$LOG" | head -n 20 >&2; die "$BASE: selftests build failed, see $LOG"; }
	: > "$OUT/suite"
fi
# drop binaries of tests that are no longer built (e.g. a selftest removed from the series)
for b in "$BIN"/*; do
	[ -e "$b" ] || continue
	printf '%s\n' "${targets[@]}" | grep -q "/$(basename "$b")\$" || rm -f "$b"
done
for f in "${targets[@]}"; do
	b=$BIN/$(basename "$f")
	if [ ! -f "$b" ] || [ "$f" -nt "$b" ]; then
		strip -o "$b" "$f"
	fi
done
msg "$BASE: $(find "$BIN" -type f | wc -l) selftests in $BIN"
