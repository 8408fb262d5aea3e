#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-kut.sh OUTDIR
# Build kvm-unit-tests (KUT) for x86_64 and stage the selected x86 tests for the guest:
#   OUTDIR/src              the tarball's (or the commit's) tree with KUT_SERIES' patches
#                           applied (extracted once, again when the tarball, the commit or the
#                           patches change)
#   OUTDIR/root/kut/*.flat  the selected tests' binaries
#   OUTDIR/root/kut/tests   test list for testbed/guest/kut-run, made from x86/unittests.cfg:
#                           "name|flatfile|smp|extra qemu args|append|timeout[|check]"
#   OUTDIR/{configure,make}.log
# The .flat files are copied without their debug info. OUTDIR/root is meant to be merged into
# the guest's initramfs, with qemu-bundle.sh's.
# Environment:
#   KUT_DIR       a kvm-unit-tests checkout to use as is (built in place: 'make' there, and
#                 './configure --arch=x86_64' only if it has no config.mak yet); default: the
#                 tarball in shared/kvm-unit-tests/ next to the repository (KUT_TARBALL), and
#                 without one a clone of KUT_GIT at KUT_COMMIT (default: upstream at the
#                 commit testbed/versions.conf pins), fetched by 'make fetch' into
#                 $BUILD/kvm-unit-tests.git (testbed/lib.sh, kut_source, says more)
#   KUT_SERIES    quilt series file of patches to apply to the tarball's or the commit's tree
#                 (patch -p1, none may fail), entries relative to its folder; default:
#                 kvm-unit-tests/series of the repository; empty: none, the upstream tests
#                 ('make kut' builds both).
#                 Not applied to a KUT_DIR checkout.
#   KUT_TESTS     unittests.cfg section names to stage (space or comma separated); default:
#                 apic-split x2apic xapic ioapic tscdeadline_latency vmexit_tscdeadline
#                 vmexit_tscdeadline_immed
#   KUT_APIC_SMP  -smp of the tests in group "apic" (default 1; empty: unittests.cfg's value).
#                 Under -smp 2 apic.flat's NMI tests take 5-20 minutes under TCG (measured);
#                 -smp 1 skips the two 2-CPU ones (sti_nmi, multiple_nmi), not pending_nmi.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

OUT=${1:?usage: build-kut.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TESTS=${KUT_TESTS:-apic-split x2apic xapic ioapic tscdeadline_latency vmexit_tscdeadline vmexit_tscdeadline_immed}
TESTS=${TESTS//,/ }
APIC_SMP=${KUT_APIC_SMP-1}
case $APIC_SMP in ''|[1-9]|[1-9][0-9]) ;; *) die "KUT_APIC_SMP='$APIC_SMP' is not a CPU count";; esac
KUT_SERIES=${KUT_SERIES-$REPO/kvm-unit-tests/series}
PATCHES=()
if [ -n "$KUT_SERIES" ]; then
	[ -f "$KUT_SERIES" ] || die "KUT_SERIES=$KUT_SERIES does not exist"
	pdir=$(dirname "$KUT_SERIES")
	while read -r p _; do
		case $p in ''|'#'*) continue;; esac
		[ -f "$pdir/$p" ] || die "$KUT_SERIES lists $p, which is not in $pdir"
		PATCHES+=("$pdir/$p")
	done < "$KUT_SERIES"
fi

# Definitions for selected names that a checkout's unittests.cfg may lack, used only then
# (name|file|smp|qemu args|append|timeout|groups):
# - apic-split: deleted upstream in June 2025 ("x86: Delete split IRQ chip variants of apic and
#   ioapic tests", which asks users to run with ACCEL=kvm,kernel_irqchip=split instead); this
#   is its last definition.
# - tscdeadline_latency: built by x86/Makefile.x86_64 but never had a section; the CPU flags
#   it needs and "DELTA SAMPLES" = 10^9 TSC cycles, 100 samples. It prints one line per sample
#   and its timer keeps filling the table (up to 10000) while it prints; nested on QEMU TCG a
#   line takes ~0.1 s, so with the default 200000-cycle deadline it prints all 10000 (~20 min).
FALLBACK="apic-split|apic.flat|2|-cpu qemu64,+x2apic,+tsc-deadline -machine kernel_irqchip=split|||apic
tscdeadline_latency|tscdeadline_latency.flat|1|-cpu qemu64,+x2apic,+tsc-deadline|1000000000 100||"

# --- source ---------------------------------------------------------------------------------
# KUT_DIR, else the tarball, else a clone of KUT_GIT at KUT_COMMIT (testbed/lib.sh, kut_source)

# usage: fresh_tree SUM WHAT COMMAND...; unless $SRC has the stamp SUM, make it again: COMMAND
# extracts the kvm-unit-tests tree into the empty $SRC, then KUT_SERIES' patches are applied
fresh_tree() {
	local sum=$1 what=$2 p
	shift 2
	if [ "$(cat "$SRC/.testbed-tarball" 2> /dev/null)" != "$sum" ]; then
		msg "kvm-unit-tests: extracting $what into $SRC"
		rm -rf "$SRC"
		mkdir -p "$SRC"
		"$@" || die "extracting $what into $SRC failed"
		for p in "${PATCHES[@]}"; do
			msg "kvm-unit-tests: applying $(basename "$p")"
			patch -d "$SRC" -p1 -N -s --batch --fuzz=0 --no-backup-if-mismatch < "$p" ||
				die "$p does not apply to $what: refresh it ($KUT_SERIES)"
		done
		echo "$sum" > "$SRC/.testbed-tarball"
	else
		msg "kvm-unit-tests: $SRC is up to date with $what and ${#PATCHES[@]} patches"
	fi
}

kut_source
case $KUT_KIND in
dir)
	SRC=$KUT_FROM
	ORIGIN=$SRC
	msg "kvm-unit-tests: using the checkout $SRC as is"
	[ ${#PATCHES[@]} = 0 ] || warn "KUT_DIR: the ${#PATCHES[@]} patches of $KUT_SERIES are not applied (KUT_SERIES= to silence)";;
tarball)
	TARBALL=$KUT_FROM
	ORIGIN=$TARBALL
	SRC=$OUT/src
	fresh_tree "$(hash_files "$TARBALL" "${PATCHES[@]}")" "$(basename "$TARBALL")" \
		tar -xzf "$TARBALL" -C "$SRC" --strip-components=1;;
git)
	# 'make fetch' fetched the commit already; if not, this does
	commit=$(kut_clone)
	ORIGIN="commit $commit of $KUT_FROM"
	SRC=$OUT/src
	# the same tree as the tarball's when the commit is the same: git archive of it
	extract_commit() { git -C "$KUT_CLONE" archive --format=tar "$commit" | tar -x -C "$SRC"; }
	fresh_tree "$(printf 'git %s %s\n' "$commit" "$(hash_files "${PATCHES[@]}")" | sha256sum | cut -d' ' -f1)" \
		"commit ${commit:0:12}" extract_commit;;
esac

# --- build ----------------------------------------------------------------------------------
if [ ! -f "$SRC/config.mak" ]; then
	msg "kvm-unit-tests: ./configure --arch=x86_64"
	(cd "$SRC" && ./configure --arch=x86_64) > "$OUT/configure.log" 2>&1 ||
		die "configure failed, see $OUT/configure.log"
fi
grep -q '^ARCH=x86_64$' "$SRC/config.mak" ||
	die "$SRC/config.mak is not configured for x86_64: run './configure --arch=x86_64' there"
msg "kvm-unit-tests: make -j$JOBS in $SRC (log: $OUT/make.log)"
(cd "$SRC" && make -j"$JOBS") > "$OUT/make.log" 2>&1 || die "make failed, see $OUT/make.log"

# --- test list from x86/unittests.cfg -------------------------------------------------------
# Prints "name|file|smp|qemu args|append|timeout|groups|check|arch|accel" per section, the way
# scripts/common.bash reads it (qemu_params or extra_params, """ multi-line values, quotes of
# test_args removed since KUT's eval drops them).
parse_cfg() {
	awk '
	function flush() {
		if (name != "")
			printf "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n", name, file, smp, opts, args, tmo, groups, check, arch, accel
	}
	function val(l) { sub(/^[a-z_]+[ \t]*=[ \t]*/, "", l); return l }
	multi {
		if (sub(/"""[ \t]*$/, "")) multi = 0
		sub(/\\$/, "")
		opts = opts " " $0
		next
	}
	/^\[.*\]$/ { flush(); name = substr($0, 2, length($0) - 2)
		file = ""; smp = 1; opts = ""; args = ""; tmo = ""; groups = ""; check = ""; arch = ""; accel = ""; next }
	/^file[ \t]*=/ { file = val($0); next }
	/^smp[ \t]*=/ { smp = val($0); next }
	/^test_args[ \t]*=/ { args = val($0); gsub(/^["\047]|["\047]$/, "", args); next }
	/^(qemu_params|extra_params)[ \t]*=[ \t]*"""/ { opts = val($0); sub(/^"""/, "", opts)
		if (!sub(/"""[ \t]*$/, "", opts)) { multi = 1; sub(/\\$/, "", opts) }; next }
	/^(qemu_params|extra_params)[ \t]*=/ { opts = val($0); next }
	/^timeout[ \t]*=/ { tmo = val($0); next }
	/^groups[ \t]*=/ { groups = val($0); next }
	/^check[ \t]*=/ { check = val($0); next }
	/^arch[ \t]*=/ { arch = val($0); next }
	/^accel[ \t]*=/ { accel = val($0); next }
	END { flush() }' "$1" | tr -s ' \t' '  ' | sed 's/| /|/g; s/ |/|/g'
}

# KUT timeouts are timeout(1) durations (default 90s); the list holds seconds.
to_secs() {
	local t=${1:-90s}
	case $t in
	*[0-9]) echo "$t";;
	*s) echo "${t%s}";;
	*m) echo $((${t%m} * 60));;
	*h) echo $((${t%h} * 3600));;
	*) die "unsupported timeout '$t' in unittests.cfg";;
	esac
}

CFG=$SRC/x86/unittests.cfg
DEST=$OUT/root/kut
rm -rf "$DEST"
mkdir -p "$DEST"
ALL=$(parse_cfg "$CFG")
LIST=$DEST/tests
{
	echo "# kvm-unit-tests x86 tests for testbed/guest/kut-run, made by testbed/build/build-kut.sh"
	if [ "$KUT_KIND" = dir ]; then
		echo "# from $ORIGIN ($(basename "$CFG"))"
	else
		echo "# from $ORIGIN ($(basename "$CFG")), ${#PATCHES[@]} patches${KUT_SERIES:+ of $KUT_SERIES}"
	fi
	echo "# name|flatfile|smp|extra qemu args|append|timeout (s)[|check path=value ...]"
} > "$LIST"
n=0
for t in $TESTS; do
	line=$(awk -F'|' -v t="$t" '$1 == t { print; exit }' <<< "$ALL")
	src=unittests.cfg
	if [ -z "$line" ]; then
		line=$(awk -F'|' -v t="$t" '$1 == t { print; exit }' <<< "$FALLBACK")
		[ -n "$line" ] || die "no test '$t' in $CFG (KUT_TESTS names its sections)"
		src=fallback
		warn "$t: not in this checkout's x86/unittests.cfg, using the test bed's definition"
		echo "# $t: not in x86/unittests.cfg of this checkout; definition from build-kut.sh" >> "$LIST"
	fi
	IFS='|' read -r name file smp opts args tmo groups check arch accel <<< "$line"
	if [ -n "$arch" ] && [ "$arch" != x86_64 ]; then
		warn "$t: arch = $arch, not staged"
		echo "# $t: not staged: arch = $arch" >> "$LIST"
		continue
	fi
	if [ -n "$accel" ] && [[ ! $accel =~ ^kvm(,|$) ]]; then
		warn "$t: accel = $accel, not staged"
		echo "# $t: not staged: accel = $accel (the guest runs -accel kvm)" >> "$LIST"
		continue
	fi
	if [ -z "$file" ] || [ ! -f "$SRC/x86/$file" ]; then
		die "$t: x86/$file was not built (see $OUT/make.log)"
	fi
	if [ -n "$APIC_SMP" ] && [[ " $groups " == *" apic "* ]] && [ "$smp" != "$APIC_SMP" ]; then
		echo "# override: $t smp $smp -> $APIC_SMP (KUT_APIC_SMP; under -smp 2 the NMI tests take 5-20 minutes under TCG)" >> "$LIST"
		smp=$APIC_SMP
	fi
	tmo=$(to_secs "$tmo")
	printf '%s|%s|%s|%s|%s|%s%s\n' "$name" "$file" "$smp" "$opts" "$args" "$tmo" "${check:+|$check}" >> "$LIST"
	# without debug info: a third of the size; the stack traces KUT prints are addresses anyway
	[ -f "$DEST/$file" ] || strip --strip-debug -o "$DEST/$file" "$SRC/x86/$file"
	n=$((n + 1))
	msg "  $name: $file -smp $smp${opts:+ $opts}${args:+ -append \"$args\"} (${tmo}s, from $src)"
done
msg "kvm-unit-tests: $n tests, $(du -sh "$DEST" | cut -f1) in $DEST (list: $LIST)"
