#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check-i386.sh
# Build the KVM objects that the series touches for a 32-bit (i386) host with W=1, and fail
# on any compiler warning in them or on any call to libgcc's 64-bit division helpers
# (__udivdi3 and friends), which don't exist in a 32-bit kernel: 64-bit divisions must go
# through div64_u64() and friends.  6.12 still supports 32-bit KVM hosts (arch/x86/kvm/Kconfig:
# KVM depends on X86_LOCAL_APIC only), so the base allows this check.
#
# The series tree can't host an out-of-tree (O=) build once 'make headers' ran in it, so the
# build uses a hard-linked copy of it without the generated files; compiling never writes to
# source files, and the copy is refreshed whenever the applied series changes.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SERIES_TREE=$(tree_dir series)
[ -f "$SERIES_TREE/.testbed-applied" ] || die "no series tree yet: run 'make apply' first"

I386=$BUILD/i386
SRC=$I386/src
OBJ=$I386/obj
LOG=$BUILD/logs/i386.log
mkdir -p "$BUILD/logs" "$I386"

STAMP=$(cat "$SERIES_TREE/.testbed-applied")
if [ "$(cat "$I386/.stamp" 2>/dev/null)" != "$STAMP" ]; then
	msg "i386: hard-linking the series tree into $SRC"
	rm -rf "$SRC"
	cp -al "$SERIES_TREE" "$SRC"
	rm -rf "$SRC/.pc" "$SRC/.config" "$SRC/include/config" "$SRC/usr/include" \
	       "$SRC/arch/x86/include/generated"
	echo "$STAMP" > "$I386/.stamp"
fi

# The .c files under arch/x86/kvm that the series changes, as object targets (virt/kvm files
# are built through arch/x86/kvm's Makefile, which an O= object target can't name directly).
mapfile -t OBJS < <(series_kvm_sources | sed -n 's|^\(arch/x86/kvm/.*\)\.c$|\1.o|p')
if [ ${#OBJS[@]} = 0 ]; then
	msg "i386: the series changes no KVM C file, nothing to build"
	exit 0
fi

kmake() {
	run_timeout 1200 make -C "$SRC" O="$OBJ" ARCH=i386 -j"$JOBS" "$@"
}

if [ ! -f "$OBJ/.config" ]; then
	msg "i386: configuring (defconfig + KVM)"
	kmake -s defconfig >> "$LOG" 2>&1
	"$SRC/scripts/config" --file "$OBJ/.config" -e VIRTUALIZATION -e KVM -e KVM_INTEL -e KVM_AMD
	kmake -s olddefconfig >> "$LOG" 2>&1
fi
grep -q '^CONFIG_KVM=y' "$OBJ/.config" || die "i386 .config has no CONFIG_KVM=y, see $LOG"

msg "i386: building ${OBJS[*]} with W=1"
rm -f "${OBJS[@]/#/$OBJ/}"
if ! kmake W=1 "${OBJS[@]}" > "$LOG.build" 2>&1; then
	tail -n 30 "$LOG.build" >&2
	die "i386 build of ${OBJS[*]} failed, full log: $LOG.build"
fi
if grep -E 'warning:|error:' "$LOG.build" >&2; then
	die "i386 W=1 build of ${OBJS[*]} has warnings (above), full log: $LOG.build"
fi
for o in "${OBJS[@]}"; do
	if nm "$OBJ/$o" | grep -E '__(u)?(div|mod)di3' >&2; then
		die "i386: $o calls libgcc 64-bit division (above): use div64_u64() and friends"
	fi
done
msg "i386: ${OBJS[*]} build warning-free, no 64-bit libgcc division"
