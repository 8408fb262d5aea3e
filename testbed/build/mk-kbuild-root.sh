#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: mk-kbuild-root.sh BASE DIR TREE  (BASE: a base whose KERNEL_B is "debian")
# Make DIR a kbuild root for external KVM module builds: DIR/common is a hard-linked copy of
# Debian's linux-headers-<ver>-common with arch/x86/kvm and virt/kvm symlinked to TREE (the
# KVM Makefile includes $(srctree)/virt/kvm/Makefile.kvm and adds -I $(srctree)/arch/x86/kvm),
# DIR/flavour is the flavour's headers (.config, Module.symvers) including DIR/common.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=${1:?usage: mk-kbuild-root.sh BASE DIR TREE}
DIR=${2:?usage: mk-kbuild-root.sh BASE DIR TREE}
TREE=${3:?usage: mk-kbuild-root.sh BASE DIR TREE}
load_resolved "$BASE"

[ "$(cat "$DIR/.testbed-kbuild" 2>/dev/null)" = "$KABI $TREE" ] && exit 0
HDR=$DEBROOT/usr/src
[ -d "$HDR/linux-headers-$KABI" ] || die "no headers in $HDR: run 'make fetch' first"
rm -rf "$DIR"
mkdir -p "$DIR"
cp -al "$HDR/linux-headers-$KVER-common" "$DIR/common"
cp -al "$HDR/linux-headers-$KABI" "$DIR/flavour"
mkdir -p "$DIR/common/virt"
ln -sfn "$TREE/arch/x86/kvm" "$DIR/common/arch/x86/kvm"
ln -sfn "$TREE/virt/kvm" "$DIR/common/virt/kvm"
# Replace (not edit: the file is hard-linked) the Makefile that includes /usr/src/...-common.
rm "$DIR/flavour/Makefile"
echo "include $DIR/common/Makefile" > "$DIR/flavour/Makefile"
# Both point to ../../lib/linux-kbuild-<ver>/ relative to /usr/src: re-point them.
for d in common flavour; do
	for l in scripts tools; do
		rm "$DIR/$d/$l"
		ln -s "$DEBROOT/usr/lib/linux-kbuild-$KVER/$l" "$DIR/$d/$l"
	done
done
echo "$KABI $TREE" > "$DIR/.testbed-kbuild"
