#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: qemu-bundle.sh OUTDIR
# Copy the host's qemu-system-x86_64 (Debian package qemu-system-x86), every shared library it
# loads (ldd, the dynamic loader included) and the firmware that kvm-unit-tests' command line
# (-nodefaults -machine pc -kernel x86/<test>.flat: multiboot) needs into OUTDIR/root, at their
# absolute paths, so that OUTDIR/root can be merged into the guest's busybox initramfs; the
# guest then runs KUT the way x86/run does (testbed/guest/kut-run). Symlinks are resolved;
# binaries are stripped. Prints the size of the tree, plain and gzipped.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

OUT=${1:?usage: qemu-bundle.sh OUTDIR}
QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}
[ -x "$QEMU" ] || die "no $QEMU: install Debian's qemu-system-x86 (make deps)"
# Firmware that QEMU 7.2 opens for KUT's "-nodefaults -machine pc -kernel x.flat" (found by
# tracing its open() calls; the guest runs every test with just these): SeaBIOS (looked up in
# /usr/share/seabios), the multiboot option ROM (fw_cfg DMA variant) that loads the .flat, and
# the TPR-patching vapic ROM. No VGA, NIC or linuxboot ROM: add linuxboot_dma.bin to boot a
# Linux bzImage as the nested guest.
FIRMWARE="/usr/share/seabios/bios-256k.bin /usr/share/qemu/multiboot_dma.bin /usr/share/qemu/kvmvapic.bin"

command -v strip > /dev/null || die "no strip: install binutils"
R=$OUT/root
rm -rf "$R"
mkdir -p "$R"

# usage: put SRC [DEST]; copy SRC (symlinks resolved) to $R/DEST (default: SRC's own path)
put() {
	local src=$1 dest=${2:-$1}
	[ -e "$src" ] || die "$src does not exist: is Debian's qemu-system-x86 fully installed?"
	mkdir -p "$R$(dirname "$dest")"
	cp -L "$src" "$R$dest"
}

msg "qemu bundle: $QEMU ($(dpkg-query -W -f '${Package} ${Version}' qemu-system-x86 2> /dev/null || echo '?'))"
# QEMU finds its data relative to the binary (../share/qemu, ../share/seabios): keep /usr/bin.
put "$(realpath "$QEMU")" /usr/bin/qemu-system-x86_64

# Shared libraries at the paths ldd reports ("name => /path (addr)"; the loader as "/path
# (addr)"): the guest has no ld.so.cache, and /lib/x86_64-linux-gnu is in glibc's default path.
libs=$(ldd "$QEMU" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
[ -n "$libs" ] || die "ldd found no libraries for $QEMU"
loader=""
for l in $libs; do
	put "$l"
	case $(basename "$l") in ld-linux*) loader=$l;; esac
done
[ -n "$loader" ] || die "ldd reported no dynamic loader for $QEMU"
interp=$(readelf -l "$QEMU" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ "$interp" = "$loader" ] || [ -e "$R$interp" ] || put "$interp"

for f in $FIRMWARE; do
	put "$f"
done

# Strip what still has symbols; the dynamic loader stays as shipped (debuggers and valgrind
# want its symbols, and it is small).
before=$(du -sb "$R" | cut -f1)
find "$R" -type f \( -name '*.so*' -o -path '*/bin/*' \) ! -name 'ld-linux*' -print0 |
	xargs -0 strip --strip-unneeded
after=$(du -sb "$R" | cut -f1)
[ "$before" = "$after" ] || msg "qemu bundle: strip saved $(((before - after) / 1024)) KiB"

gz=$( (cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -6 | wc -c)
msg "qemu bundle: $(find "$R" -type f | wc -l) files in $R: $((after / 1024)) KiB, $((gz / 1024)) KiB as a gzipped cpio"
msg "  qemu-system-x86_64, $(wc -w <<< "$libs") libraries, firmware: $FIRMWARE"
