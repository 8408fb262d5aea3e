#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-kvm.sh BASE/VARIANT
# Build kvm.ko, kvm-intel.ko and kvm-amd.ko as external modules from the variant's
# arch/x86/kvm (with virt/kvm) against the base's kernel and strip them into
# $BUILD/modules/BASE/VARIANT/:
#  - debug bases: against the debug kernel's object tree (build-kernel.sh) with the variant
#    tree as the source tree, so every header the variant changes is seen;
#  - debian bases: against Debian's linux-headers (mk-kbuild-root.sh); everything outside
#    arch/x86/kvm and virt/kvm comes from the headers package there, so a change to another
#    header is not seen (a test-bed limit of the backport target).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

VARIANT=${1:?usage: build-kvm.sh BASE/VARIANT}
check_variant "$VARIANT"
BASE=$(vbase "$VARIANT")
load_resolved "$BASE"

TREE=$(tree_dir "$VARIANT")
[ -f "$TREE/.testbed-applied" ] || die "$VARIANT tree is not prepared: run 'make apply' first"
OUT=$(modules_dir "$VARIANT")
LOG=$BUILD/logs/build-kvm-$(vslug "$VARIANT").log
mkdir -p "$OUT" "$BUILD/logs"
if [ "$KERNEL_KIND" = debug ]; then
	OBJ=$(kernel_dir "$BASE")/obj
	[ -f "$OBJ/Module.symvers" ] || die "$BASE: no debug kernel: run 'make build' first"
	KMAKE=(make -C "$TREE" O="$OBJ")
else
	KB=$(kbuild_dir "$VARIANT")
	"$TESTBED/build/mk-kbuild-root.sh" "$BASE" "$KB" "$TREE"
	# No debug info and no BTF: not needed for kprobes or loading, and BTF would need pahole.
	KMAKE=(make -C "$KB/flavour" CONFIG_DEBUG_INFO= CONFIG_DEBUG_INFO_BTF_MODULES=)
fi
msg "$VARIANT: building KVM modules (log: $LOG)"
if ! run_timeout 1800 "${KMAKE[@]}" M="$TREE/arch/x86/kvm" -j"$JOBS" modules > "$LOG" 2>&1; then
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
