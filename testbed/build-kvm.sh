#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-kvm.sh VARIANT
# Build kvm.ko, kvm-intel.ko and kvm-amd.ko out of tree from the variant's arch/x86/kvm and
# virt/kvm against Debian's linux-headers of the emulated machines' kernel, strip them into
# $BUILD/modules/VARIANT/. Everything outside arch/x86/kvm and virt/kvm comes from the headers
# package, so the series may only change files in those two directories.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/lib.sh"

VARIANT=${1:?usage: build-kvm.sh VARIANT}
check_variant "$VARIANT"
load_resolved

TREE=$(tree_dir "$VARIANT")
[ -f "$TREE/.testbed-applied" ] || die "$VARIANT tree is not prepared: run 'make apply' first"
KB=$(kbuild_dir "$VARIANT")
"$TESTBED/mk-kbuild-root.sh" "$KB" "$TREE"

OUT=$(modules_dir "$VARIANT")
LOG=$BUILD/logs/build-kvm-$VARIANT.log
mkdir -p "$OUT" "$BUILD/logs"
msg "$VARIANT: building KVM modules (log: $LOG)"
# No debug info and no BTF: not needed for kprobes or loading, and BTF would need pahole.
if ! make -C "$KB/flavour" M="$TREE/arch/x86/kvm" -j"$JOBS" \
	CONFIG_DEBUG_INFO= CONFIG_DEBUG_INFO_BTF_MODULES= modules > "$LOG" 2>&1; then
	grep -E 'error|Error' "$LOG" | head -n 20 >&2
	die "$VARIANT: KVM module build failed, see $LOG"
fi
grep -E 'warning:' "$LOG" >&2 || true

for m in kvm kvm-intel kvm-amd; do
	strip --strip-debug -o "$OUT/$m.ko.new" "$TREE/arch/x86/kvm/$m.ko"
	if cmp -s "$OUT/$m.ko.new" "$OUT/$m.ko"; then
		rm "$OUT/$m.ko.new"
	else
		mv "$OUT/$m.ko.new" "$OUT/$m.ko"
	fi
done
msg "$VARIANT: modules in $OUT"
