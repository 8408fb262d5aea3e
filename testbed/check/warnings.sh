#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check/warnings.sh
# Build the KVM objects the series touches (its .c files under arch/x86/kvm and virt/kvm, and
# always lapic.o) with W=1 and sparse (C=1) for base and series, and fail on any warning in
# series that base does not have. Warnings are compared without line and column numbers.
# Each build runs in $BUILD/wcheck/VARIANT, a hard-linked copy of the variant's sources (the
# variant's own objects stay as they are); a log is reused while the sources are unchanged.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"
load_resolved

objects() {
	{ echo arch/x86/kvm/lapic.c; series_kvm_sources; } | sort -u
}

# usage: wlog VARIANT; prints the path of the variant's normalized warning log
wlog() {
	local v=$1 tree w src key log
	tree=$(tree_dir "$v")
	[ -f "$tree/.testbed-applied" ] || die "no $v tree: run 'make apply' first"
	w=$BUILD/wcheck/$v
	src=$w/src
	key=$(cd "$tree" && { objects | tr '\n' ' '; find arch/x86/kvm virt/kvm -name '*.[ch]' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -d' ' -f1)
	log=$w/warnings.log
	if [ "$(cat "$w/key" 2> /dev/null)" != "$key" ]; then
		msg "$v: W=1 + sparse build of $(objects | tr '\n' ' ')"
		rm -rf "$w"
		mkdir -p "$src/arch/x86" "$src/virt"
		# sources only (never objects: a compiler writing through a hard link would change
		# the variant's own build)
		(cd "$tree" && find arch/x86/kvm virt/kvm \( -name '*.[chS]' -o -name 'Makefile*' -o -name Kconfig \) \
			! -name '*.mod.c' ! -name 'kvm-asm-offsets.h' -print0 | cpio -0 -pdlm --quiet "$src")
		"$TESTBED/build/mk-kbuild-root.sh" "$w/kbuild" "$src"
		local targets=()
		while read -r f; do
			case $f in
			arch/x86/kvm/*) targets+=("${f#arch/x86/kvm/}");;
			virt/kvm/*) targets+=("../../../${f%.c}.o");;
			esac
		done < <(objects | sed 's/\.c$/.o/')
		make -C "$w/kbuild/flavour" M="$src/arch/x86/kvm" -j"$JOBS" W=1 C=1 \
			CONFIG_DEBUG_INFO= CONFIG_DEBUG_INFO_BTF_MODULES= "${targets[@]}" > "$w/build.log" 2>&1 ||
			die "$v: W=1/sparse build failed, see $w/build.log"
		grep -E '(warning|error):' "$w/build.log" |
			sed -e "s|$src/||g" -e "s|$w/kbuild/common/||g" -e 's|^\([^:]*\):[0-9]*:[0-9]*:|\1:|' | LC_ALL=C sort -u > "$log"
		echo "$key" > "$w/key"
	fi
	echo "$log"
}

base=$(wlog base)
series=$(wlog series)
new=$(LC_ALL=C comm -13 "$base" "$series")
if [ -n "$new" ]; then
	echo "new W=1/sparse warnings in series (full logs: $BUILD/wcheck/{base,series}/build.log):"
	printf '%s\n' "$new" | sed 's/^/    /'
	exit 1
fi
echo "W=1 + sparse on $(objects | wc -l) objects: base $(wc -l < "$base"), series $(wc -l < "$series") warnings, none new"
