#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: mkimage.sh MACHINE BASE/VARIANT OUTDIR PLANFILE [KERNEL-ARGS...]
# Assemble the boot image of one emulated machine in OUTDIR: initrd.gz (busybox-static,
# testbed/guest/* and testbed/bench/guest/*, the variant's KVM modules, the base's static
# selftests and the test-bed programs (timer_race) that PLANFILE names, the files TB_EXTRA_FILES names, the guest plan PLANFILE), cmdline and, for Bochs, boot.iso (isolinux), and "inputs", the
# checksums of everything the boot depends on. The kernel is the base's: the debug kernel
# built by build-kernel.sh, or Debian's image. Takes a few seconds.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

MACHINE=${1:?usage: mkimage.sh MACHINE BASE/VARIANT OUTDIR PLANFILE [KERNEL-ARGS...]}
VARIANT=${2:?}
OUT=${3:?}
PLANFILE=${4:?}
shift 4
check_machine "$MACHINE"
check_variant "$VARIANT"
BASE=$(vbase "$VARIANT")
load_resolved "$BASE"
# shellcheck source=testbed/boot/machines/bochs-vmx.conf
. "$TESTBED/boot/machines/$MACHINE.conf"

MODS=$(modules_dir "$VARIANT")
[ -f "$MODS/kvm.ko" ] || die "no KVM modules for $VARIANT: run 'make build' first"
STBIN=$(selftests_dir "$BASE")/bin
[ -d "$STBIN" ] || die "no selftests for $BASE: run 'make build' first"
BUSYBOX=/bin/busybox
file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not static: run 'make deps' (busybox-static)"

rm -rf "$OUT"
R=$OUT/root
mkdir -p "$R/bin" "$R/tests" "$R/lib/testbed" "$R/etc/testbed" "$R/proc" "$R/sys" "$R/dev" "$R/tmp"
cp "$BUSYBOX" "$R/bin/busybox"
cp "$TESTBED/guest/init" "$R/init"
for f in "$TESTBED"/guest/* "$TESTBED"/bench/guest/*; do
	[ "$(basename "$f")" = init ] || cp "$f" "$R/bin/"
done
# TB_EXTRA_FILES (environment): more files for /tests, e.g. the bench's program (testbed/bench)
for f in ${TB_EXTRA_FILES:-}; do
	[ -f "$f" ] || die "TB_EXTRA_FILES names $f, which does not exist"
	cp "$f" "$R/tests/"
done
# only the selftests and the test-bed programs (testbed/race: $BUILD/race/bin; timer_pause:
# $BUILD/bench/bin) the plan runs: the whole suite would make the initrd slow to load in Bochs
RACEBIN=$BUILD/race/bin
if grep -qw timer_race "$PLANFILE" && [ ! -x "$RACEBIN/timer_race" ]; then
	die "no $RACEBIN/timer_race: run 'make build' first"
fi
if grep -qw timer_pause "$PLANFILE" && [ ! -x "$BUILD/bench/bin/timer_pause" ]; then
	die "no $BUILD/bench/bin/timer_pause: run 'make build' first"
fi
for f in "$STBIN"/* "$RACEBIN"/* "$BUILD/bench/bin/timer_pause"; do
	[ -e "$f" ] || continue
	! grep -qwF -- "$(basename "$f")" "$PLANFILE" || cp "$f" "$R/tests/"
done
# kvm-unit-tests and the QEMU that runs them, only for a plan that has a kut: test
if grep -q '^kut:' "$PLANFILE"; then
	if [ ! -f "$KUT_LIST" ] || [ ! -d "$QEMU_BUNDLE/root" ]; then
		die "no kvm-unit-tests or QEMU bundle: run 'make build' first"
	fi
	cp -a "$KUT_OUT/root/." "$QEMU_BUNDLE/root/." "$R/"
fi
cp "$PLANFILE" "$R/etc/testbed/plan"
cp "$PLANFILE" "$OUT/plan"
# shellcheck disable=SC2153 # KERNEL_KIND comes from load_resolved
if [ "$KERNEL_KIND" = debug ]; then
	KOBJ=$(kernel_dir "$BASE")/obj
	KERNEL=$KOBJ/arch/x86/boot/bzImage
	[ -f "$KERNEL" ] || die "no $BASE debug kernel: run 'make build' first"
	strip --strip-debug -o "$R/lib/testbed/irqbypass.ko" "$KOBJ/virt/lib/irqbypass.ko"
	KERNEL_ID="debug $(sha256sum < "$KERNEL" | cut -c1-16) $PKGVER"
else
	KERNEL=$DEBROOT/boot/vmlinuz-$KABI
	xz -dc "$DEBROOT/lib/modules/$KABI/kernel/virt/lib/irqbypass.ko.xz" > "$R/lib/testbed/irqbypass.ko"
	KERNEL_ID="$KABI $PKGVER"
fi
for m in ${MODULES//,/ }; do
	[ "$m" = irqbypass ] && continue
	cp "$MODS/${m//_/-}.ko" "$R/lib/testbed/$m.ko"
done
# What the boot depends on, for run-machine.sh's cache of unchanged boots.
(cd "$R" && find . -type f | LC_ALL=C sort | xargs sha256sum) > "$OUT/inputs"
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 > "$OUT/initrd.gz"
rm -rf "$R"

echo "console=ttyS0,115200 panic=-1 loglevel=5 tb.modules=$MODULES tb.settle=$SETTLE tb.refined=$REFINED $KERNEL_ARGS${*:+ $*}" > "$OUT/cmdline"
{
	echo "kernel $KERNEL_ID"
	echo "cmdline $(cat "$OUT/cmdline")"
} >> "$OUT/inputs"
if [ "$EMULATOR" = bochs ]; then
	I=$OUT/iso
	mkdir -p "$I/isolinux"
	cp "$KERNEL" "$I/vmlinuz"
	mv "$OUT/initrd.gz" "$I/initrd.gz"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$I/isolinux/"
	cat > "$I/isolinux/isolinux.cfg" <<-EOT
		SERIAL 0 115200
		DEFAULT linux
		PROMPT 0
		TIMEOUT 0
		LABEL linux
		  KERNEL /vmlinuz
		  INITRD /initrd.gz
		  APPEND $(cat "$OUT/cmdline")
	EOT
	xorriso -as mkisofs -quiet -o "$OUT/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table "$I" 2> "$OUT/xorriso.log" ||
		die "xorriso failed, see $OUT/xorriso.log"
	rm -rf "$I"
else
	ln -sf "$KERNEL" "$OUT/vmlinuz"
fi
