#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-selftests.sh
# Build the KVM selftests the plan needs (SELFTESTS in testbed/plan.conf), statically, once,
# from the series tree: make headers, then only those targets. Binaries go, stripped, to
# $BUILD/selftests/bin/. A test whose source does not exist in the tree (e.g. the series' new
# test before its patch exists) is listed in $BUILD/selftests/absent and skipped by the runs.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=testbed/plan.conf
. "$TESTBED/plan.conf"

TREE=$(tree_dir series)
[ -f "$TREE/.testbed-applied" ] || die "series tree is not prepared: run 'make apply' first"
KST=$TREE/tools/testing/selftests/kvm
OBJ=$SELFTESTS_OUT/obj
BIN=$SELFTESTS_OUT/bin
LOG=$BUILD/logs/build-selftests.log
mkdir -p "$OBJ" "$BIN" "$BUILD/logs"


if [ ! -f "$TREE/usr/include/linux/kvm.h" ] || [ "$TREE/include/uapi/linux/kvm.h" -nt "$TREE/usr/include/linux/kvm.h" ]; then
	msg "make headers in the series tree"
	make -C "$TREE" -j"$JOBS" headers > "$LOG" 2>&1 || die "make headers failed, see $LOG"
fi

targets=()
: > "$SELFTESTS_OUT/absent.new"
for t in $SELFTESTS; do
	# mainline (and the series' new test) uses x86/, Debian's 6.12 uses x86_64/
	if [ -f "$KST/x86/$t.c" ]; then
		targets+=("$OBJ/x86/$t")
	elif [ -f "$KST/x86_64/$t.c" ]; then
		targets+=("$OBJ/x86_64/$t")
	else
		echo "$t" >> "$SELFTESTS_OUT/absent.new"
		warn "selftest $t: no x86/$t.c or x86_64/$t.c in the series tree, its tests will be skipped"
	fi
done
mv "$SELFTESTS_OUT/absent.new" "$SELFTESTS_OUT/absent"

msg "building ${#targets[@]} KVM selftests (static; log: $LOG)"
# EXTRA_CFLAGS, not LDFLAGS: a command-line LDFLAGS would drop the Makefile's -pthread.
if ! make -C "$KST" -j"$JOBS" OUTPUT="$OBJ" EXTRA_CFLAGS=-static "${targets[@]}" >> "$LOG" 2>&1; then
	grep -E 'error' "$LOG" | head -n 20 >&2
	die "selftests build failed, see $LOG"
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
msg "selftests in $BIN"
