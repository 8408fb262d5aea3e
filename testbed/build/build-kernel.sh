#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-kernel.sh BASE
# Build the emulated machines' debug kernel of a base whose KERNEL_B is "debug": tinyconfig +
# testbed/bases/BASE/debug.config, from the base's pristine source cache, out of tree in
# $BUILD/kernel/BASE/obj (bzImage, irqbypass.ko, Module.symvers for the variants' KVM
# modules). Fails if an option of the fragment did not make it into the .config. Rebuilt only
# when the source version or the fragment changes. Nothing to do for a "debian" base.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=${1:?usage: build-kernel.sh BASE}
load_resolved "$BASE"
[ "$KERNEL_KIND" = debug ] || exit 0

FRAG=$TESTBED/bases/$BASE/debug.config
[ -f "$FRAG" ] || die "$BASE: no config fragment $FRAG"
[ -f "$SRC_CACHE/.testbed-unpacked" ] || die "$BASE: no unpacked source: run 'make apply' first"
KD=$(kernel_dir "$BASE")
OBJ=$KD/obj
LOG=$BUILD/logs/kernel-$BASE.log
mkdir -p "$OBJ" "$BUILD/logs"
STAMP=$( { echo "$PKGVER"; gcc --version | head -n 1; cat "$FRAG"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$KD/stamp" 2> /dev/null)" = "$STAMP" ] && [ -f "$OBJ/arch/x86/boot/bzImage" ]; then
	msg "$BASE: debug kernel up to date ($OBJ)"
	exit 0
fi

kmake() {
	run_timeout 3600 make -C "$SRC_CACHE" O="$OBJ" -j"$JOBS" "$@"
}

msg "$BASE: configuring the debug kernel (tinyconfig + $(basename "$FRAG"))"
rm -f "$KD/stamp"
kmake -s tinyconfig > "$LOG" 2>&1 || die "$BASE: make tinyconfig failed, see $LOG"
"$SRC_CACHE/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$FRAG" >> "$LOG" 2>&1 ||
	die "$BASE: merge_config.sh failed, see $LOG"
kmake -s olddefconfig >> "$LOG" 2>&1 || die "$BASE: make olddefconfig failed, see $LOG"
# every line of the fragment must hold in the final .config (a dependency may drop one)
missing=$(grep -E '^(CONFIG_[A-Z0-9_]+=.*|# CONFIG_[A-Z0-9_]+ is not set)$' "$FRAG" | while read -r l; do
	if [[ $l == "# "* ]]; then
		o=${l#\# }
		o=${o%% *}
		! grep -q "^$o=" "$OBJ/.config" || echo "$l"
	else
		grep -qxF "$l" "$OBJ/.config" || echo "$l"
	fi
done)
[ -z "$missing" ] || die "$BASE: options of $FRAG missing from the final .config (a dependency is not met):
$missing"

msg "$BASE: building bzImage and modules (log: $LOG; ~10 min on 2 cores)"
if ! kmake bzImage modules >> "$LOG" 2>&1; then
	grep -E 'error|Error' "$LOG" | head -n 20 >&2
	die "$BASE: debug kernel build failed, see $LOG"
fi
grep -E 'warning:' "$LOG" >&2 || true
echo "$STAMP" > "$KD/stamp"
msg "$BASE: debug kernel $(make -s -C "$SRC_CACHE" O="$OBJ" kernelrelease 2> /dev/null) in $OBJ"
