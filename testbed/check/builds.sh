#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check/builds.sh
# The build checks that KVM x86's maintainer guide (Documentation/process/maintainer-kvm-x86.rst,
# "Testing") asks for, on the primary base (PRIMARY_BASE of testbed/versions.conf):
#  1. bisect: after every kernel patch of the series (one touching arch/x86/kvm, virt/kvm,
#     arch/x86/include or include/), the tree with the patches up to it builds kvm.ko,
#     kvm-intel.ko and kvm-amd.ko (KVM_WERROR=y) without a warning, against the debug kernel
#     ($BUILD/kernel/BASE/obj: debug config, PROVE_LOCKING, KVM_SMM=y, KVM_XEN=n). The last
#     step is the series tip of that config. One tree walks the steps in order, so kbuild
#     rebuilds only what the next patch changes.
#  2. configs: the series tip's KVM objects build warning-free with x86_64 KVM_SMM=n +
#     KVM_XEN=y, and with i386 (KVM, KVM_INTEL, KVM_AMD=m, KVM_WERROR=y), where no KVM
#     object may call libgcc's 64-bit division helpers (__udivdi3, __divdi3, __umoddi3,
#     __moddi3: use div_u64() and friends). Object dirs: tinyconfig + the debug fragment
#     + overrides, 'make modules_prepare' only.
#  3. W=1 + sparse: the KVM objects the series touches (series_kvm_sources and lapic.o) have
#     no W=1 or sparse (C=1) warning that base has not, debug config, compared without line
#     and column numbers.
#  4. selftests: the selftests the series adds or changes build without a warning
#     ('make -C tools/testing/selftests/kvm' in a copy of the series tree).
# A build that is not clean is compared with base built the same way (built only then): a
# problem base has too is reported as pre-existing and does not fail the check.
#
# Everything lives in $BUILD/buildcheck: trees/ (hard-linked copies of the base's source
# cache; patched files are replaced, never written through, and checked for that), obj/
# (object dirs of the extra configs), results/ (one result per content key: the patched
# files' content, config, toolchain and this script, so an unchanged re-run takes seconds
# and an edited patch re-runs only the builds it changes), logs/. Exit status 0 when no
# build fails.
set -euo pipefail
# Run from 'make -s check-builds', the sub-makes would inherit -s through MAKEFLAGS and kbuild
# would not print the "CHECK file.c" lines the sparse check looks for: every make here gets
# its own flags.
unset MAKEFLAGS MFLAGS MAKELEVEL
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=$PRIMARY_BASE
load_resolved "$BASE"
[ "$KERNEL_KIND" = debug ] || die "builds.sh needs a debug-kernel base, $BASE is $KERNEL_KIND"
[ -f "$SRC_CACHE/.testbed-unpacked" ] || die "no unpacked $BASE source: run 'make apply' first"
KOBJ=$(kernel_dir "$BASE")/obj
{ [ -f "$KOBJ/Module.symvers" ] && [ -f "$(kernel_dir "$BASE")/stamp" ]; } ||
	die "no $BASE debug kernel: run 'make build' first"
FRAG=$TESTBED/bases/$BASE/debug.config

BC=$BUILD/buildcheck
TREES=$BC/trees
STATES=$BC/states
RES=$BC/results
LOGS=$BC/logs
mkdir -p "$TREES" "$RES" "$LOGS" "$BC/obj"
exec 9> "$BC/lock"
flock -n 9 || die "another builds.sh runs on $BC"

# --- the series as states: the patched files after patches 1..k ---------------------------

mapfile -t PATCHES < <(variant_patches "$BASE/series")
NPREP=$(base_prep_patches "$BASE" | wc -l)     # state NPREP is base
NP=${#PATCHES[@]}

# usage: patch_files PATCH; the files a patch touches
patch_files() {
	sed -nE 's@^(\+\+\+ b|--- a)/([^[:space:]]+).*@\2@p' "$REPO/$1" | sort -u
}
# the KVM build sees these; a patch touching one is a kernel patch
KERN_RE='^(arch/x86/kvm|virt/kvm|arch/x86/include|include)/'
# the selftests build sees these
KST_RE='^(tools|include/uapi|arch/x86/include/uapi|usr)/'

mapfile -t ALLFILES < <(for p in "${PATCHES[@]}"; do patch_files "$p"; done | sort -u)

# $STATES/k holds the patched files (only those) after patches 1..k, from real copies of the
# cache's files: patch(1) never runs on a hard-linked tree. APPLIED: the last state that exists.
rm -rf "$STATES"
mkdir -p "$STATES/0"
for f in "${ALLFILES[@]}"; do
	[ ! -f "$SRC_CACHE/$f" ] || install -D -m 644 "$SRC_CACHE/$f" "$STATES/0/$f"
done
APPLIED=$NP
APPLY_ERR=""
for ((k = 1; k <= NP; k++)); do
	cp -a "$STATES/$((k - 1))" "$STATES/$k"
	if ! APPLY_ERR=$(patch -p1 -F0 -N --no-backup-if-mismatch -r - -s -d "$STATES/$k" \
			-i "$REPO/${PATCHES[k - 1]}" < /dev/null 2>&1); then
		rm -rf "${STATES:?}/$k"
		APPLIED=$((k - 1))
		APPLY_ERR="${PATCHES[k - 1]} does not apply without fuzz to $BASE: $APPLY_ERR"
		break
	fi
done

# usage: state_key K REGEX; content key of state K's files matching REGEX that differ from
# the cache (base: empty), so a patch's description or unrelated files don't count
state_key() {
	local f s
	for f in "${ALLFILES[@]}"; do
		[[ $f =~ $2 ]] || continue
		s=$STATES/$1/$f
		if [ -f "$s" ]; then
			cmp -s "$s" "$SRC_CACHE/$f" 2> /dev/null || echo "$f $(sha256sum < "$s" | cut -c1-64)"
		elif [ -f "$SRC_CACHE/$f" ]; then
			echo "$f deleted"
		fi
	done | sha256sum | cut -c1-64
}

# usage: key WORD...; a result key: the words and this script (a changed check re-runs)
SELF=$(sha256sum < "${BASH_SOURCE[0]}" | cut -c1-64)
hash_words() { printf '%s\n' "$@" | sha256sum | cut -c1-24; }
key() { hash_words "$SELF" "$@"; }

# usage: make_tree NAME; prints the tree, a hard-linked copy of the source cache
make_tree() {
	local t=$TREES/$1
	if [ "$(cat "$t/.buildcheck-tree" 2> /dev/null)" != "$PKGVER" ]; then
		rm -rf "$t"
		cp -al "$SRC_CACHE" "$t"
		rm -f "$t/.testbed-unpacked"
		echo "$PKGVER" > "$t/.buildcheck-tree"
	fi
	echo "$t"
}

# usage: sync_tree TREE K; make TREE's patched files those of state K. A file that differs is
# replaced by a new inode with the current time (kbuild rebuilds what uses it); an equal file
# is left alone (nothing rebuilt). Then every file that differs from the cache must be a file
# of its own (link count 1): the cache was not written through a hard link.
sync_tree() {
	local t=$1 k=$2 f s
	for f in "${ALLFILES[@]}"; do
		s=$STATES/$k/$f
		if [ -f "$s" ]; then
			cmp -s "$s" "$t/$f" 2> /dev/null && continue
			mkdir -p "$(dirname "$t/$f")"
			cp "$s" "$t/$f.buildcheck-new"
			mv -f "$t/$f.buildcheck-new" "$t/$f"
		else
			rm -f "$t/$f"
		fi
	done
	for f in "${ALLFILES[@]}"; do
		[ -f "$t/$f" ] || continue
		cmp -s "$t/$f" "$SRC_CACHE/$f" 2> /dev/null && continue
		[ "$(stat -c %h "$t/$f")" = 1 ] ||
			die "$t/$f is patched but still hard-linked to the source cache; rm -rf $BC and report this"
	done
}

# --- builds and their results ------------------------------------------------------------
# A result is $RES/KEY.rc (exit status of the build), KEY.diag (its warnings and errors
# without paths' tree prefixes, line and column numbers, sorted), KEY.show (the same lines
# as printed, with the compiler's context lines) and KEY.log (the build's output).

TOOLS=$( { gcc --version | head -n 1; ld --version | head -n 1; echo "$PKGVER"; } )
KSTAMP=$(cat "$(kernel_dir "$BASE")/stamp")

# usage: extract_diag LOG PREFIX...; warning and error lines of LOG, PREFIXes removed
DIAG_RE='(^|[[:space:]:])(warning|error|fatal error):|^(WARNING|ERROR): '
extract_diag() {
	local log=$1 p
	local -a sedargs=()
	shift
	for p in "$@"; do
		sedargs+=(-e "s|$p/||g")
	done
	grep -E "$DIAG_RE" "$log" | grep -v '^make\(\[[0-9]*\]\)\?: ' | sed "${sedargs[@]}" || true
}

# usage: record KEY RC LOG PREFIX...; store a build's result
record() {
	local k=$1 rc=$2 log=$3
	shift 3
	extract_diag "$log" "$@" | sed -E 's/^([^: ]+):[0-9]+(:[0-9]+)?:/\1:/' | LC_ALL=C sort -u > "$RES/$k.diag"
	# what the user sees: each diagnostic with the compiler's 3 context lines
	awk -v re="$DIAG_RE" '$0 ~ re && $0 !~ /^make(\[[0-9]+\])?: / { n = 4 } n > 0 { print; n-- }' "$log" |
		head -n 60 > "$RES/$k.show"
	[ -s "$RES/$k.show" ] || [ "$rc" = 0 ] || tail -n 15 "$log" > "$RES/$k.show"
	cp "$log" "$RES/$k.log"
	echo "$rc" > "$RES/$k.rc"
}

clean_result() { [ "$(cat "$RES/$1.rc")" = 0 ] && [ ! -s "$RES/$1.diag" ]; }

# usage: i386_divisions DIR LOG; append a line to LOG per KVM object of DIR (arch/x86/kvm)
# that calls a libgcc 64-bit division helper
DIV_RE='__(u?div|u?mod)di3'
i386_divisions() {
	local d=$1 log=$2 m o syms
	for m in kvm kvm-intel kvm-amd; do
		[ -f "$d/$m.o" ] || continue
		syms=$(nm -u "$d/$m.o" | grep -oE "$DIV_RE" | sort -u | tr '\n' ' ' || true)
		[ -n "$syms" ] || continue
		# name the culprits among the objects linked into it ($m.mod lists them)
		while read -r o; do
			nm -u "$d/$o" 2> /dev/null | awk -v o="$o" -v re="$DIV_RE" \
				'$2 ~ re { print "i386: " o ": error: calls " $2 " (64-bit division: use div_u64() and friends)" }'
		done < <(sed 's|^\./||' "$d/$m.mod" 2> /dev/null)
		echo "i386: $m.o: error: calls libgcc 64-bit division: ${syms% }"
	done >> "$log"
}

# The extra configs: NAME -> make arguments and scripts/config overrides of the fragment.
CONFIGS="x86_64-smm-n-xen-y i386"
cfg_arch() { case $1 in i386) echo i386;; *) echo x86_64;; esac; }
cfg_overrides() {
	case $1 in
	x86_64-smm-n-xen-y) echo "-e 64BIT -d KVM_SMM -e KVM_XEN";;
	i386) echo "-d 64BIT -m KVM -m KVM_INTEL -m KVM_AMD -e KVM_WERROR";;
	esac
}
# lines the final .config must have
cfg_required() {
	printf '%s\n' CONFIG_KVM=m CONFIG_KVM_INTEL=m CONFIG_KVM_AMD=m CONFIG_KVM_WERROR=y
	case $1 in
	x86_64-smm-n-xen-y) printf '%s\n' CONFIG_64BIT=y '# CONFIG_KVM_SMM is not set' CONFIG_KVM_XEN=y;;
	i386) echo CONFIG_X86_32=y;;
	esac
}
cfg_stamp() { hash_words "$PKGVER" "$TOOLS" "$(cat "$FRAG")" "$(cfg_arch "$1")" "$(cfg_overrides "$1")"; }

# usage: ensure_obj CFG; configure $BC/obj/CFG (tinyconfig + fragment + overrides) and run
# 'make modules_prepare' there, unless done for the same stamp
ensure_obj() {
	local cfg=$1 o=$BC/obj/$1 st log=$LOGS/obj-$1.log l missing
	st=$(cfg_stamp "$cfg")
	[ "$(cat "$o.stamp" 2> /dev/null)" = "$st" ] && return 0
	rm -rf "$o" "$o.stamp"
	mkdir -p "$o"
	local -a km=(make -C "$SRC_CACHE" O="$o" ARCH="$(cfg_arch "$cfg")" -j"$JOBS") ov
	read -ra ov <<< "$(cfg_overrides "$cfg")"
	{
		run_timeout 600 "${km[@]}" -s tinyconfig &&
		"$SRC_CACHE/scripts/kconfig/merge_config.sh" -m -O "$o" "$o/.config" "$FRAG" &&
		"$SRC_CACHE/scripts/config" --file "$o/.config" "${ov[@]}" &&
		run_timeout 600 "${km[@]}" -s olddefconfig
	} > "$log" 2>&1 || die "$cfg: configuring $o failed, see $log"
	missing=$(cfg_required "$cfg" | while read -r l; do grep -qxF "$l" "$o/.config" || echo "$l"; done)
	[ -z "$missing" ] || die "$cfg: the .config in $o lacks (a dependency is not met): $missing"
	run_timeout 1800 "${km[@]}" modules_prepare >> "$log" 2>&1 ||
		die "$cfg: make modules_prepare failed, see $log"
	echo "$st" > "$o.stamp"
}

# usage: kvm_make TREE OBJ LOG ARGS...; build KVM from TREE as an external module against
# OBJ; -k: every object that compiles is compiled, so all of a build's problems are seen
kvm_make() {
	local t=$1 o=$2 log=$3
	shift 3
	run_timeout 2400 make -k -C "$t" O="$o" M="$t/arch/x86/kvm" -j"$JOBS" "$@" > "$log" 2>&1
}

# Each build kind: KIND_key K prints its result key for state K (nothing is built), KIND_build
# K KEY builds state K and records the result.

# (1) + config debug: modules against the debug kernel, with its Module.symvers (modpost's
# checks included)
bisect_key() { key modules "$KSTAMP" "$TOOLS" "$(state_key "$1" "$KERN_RE")"; }
bisect_build() {
	local t rc=0 log=$LOGS/bisect.log m
	t=$(make_tree bisect)
	sync_tree "$t" "$1"
	kvm_make "$t" "$KOBJ" "$log" modules || rc=$?
	for m in kvm kvm-intel kvm-amd; do
		[ "$rc" != 0 ] || [ -f "$t/arch/x86/kvm/$m.ko" ] || echo "ERROR: $m.ko was not built" >> "$log"
	done
	record "$2" "$rc" "$log" "$t" "$KOBJ"
}

# (2) the extra configs. Objects only (kvm.o, kvm-intel.o, kvm-amd.o, i.e. every KVM
# object, linked per module), no modpost: modules_prepare makes no Module.symvers, so
# modpost could only call every kernel symbol undefined (or, with KBUILD_MODPOST_WARN=1,
# warn about each); its real checks run in the debug config's builds above. Compiler and
# objtool warnings, and the i386 division helpers, are all in the objects.
cfg_key() { key objects "$(cfg_stamp "$CFG")" "$TOOLS" "$(state_key "$1" "$KERN_RE")"; }
cfg_build() {
	local t o=$BC/obj/$CFG rc=0 log=$LOGS/$CFG.log
	ensure_obj "$CFG"
	t=$(make_tree "$CFG")
	sync_tree "$t" "$1"
	kvm_make "$t" "$o" "$log" ARCH="$(cfg_arch "$CFG")" kvm.o kvm-intel.o kvm-amd.o || rc=$?
	[ "$CFG" != i386 ] || i386_divisions "$t/arch/x86/kvm" "$log"
	record "$2" "$rc" "$log" "$t" "$o"
}

# (3) W=1 + sparse of the objects the series touches. The objects are removed first (a
# compiler or sparse warning shows only when the file is compiled) and KVM's -Werror is off
# (CONFIG_KVM_WERROR= on the command line): sparse runs after a successful compile only.
# Debian 12's sparse 0.6.4 predates two constructs this kernel shows it (kbuild would
# otherwise switch C=1 off with just a make warning, and an error makes sparse drop every
# later warning of the file), so CF (kbuild's sparse flags) maps them for sparse alone:
# __typeof_unqual__ (used under __CHECKER__) to __typeof__, and __builtin_strlen() of the
# string literals of MODULE_INFO's _Static_assert to sizeof - 1 (a constant for sparse).
# On the series' side, sparse must have run on every file and any error fails the check
# (sparse would have been blind after it), whether base has it or not.
W1_FILES=$( { echo arch/x86/kvm/lapic.c; series_kvm_sources; } | sort -u | tr '\n' ' ')
SPARSE_VERSION=$(sparse --version 2> /dev/null || echo none)
SPARSE_CF="-D__typeof_unqual__=__typeof__ '-D__builtin_strlen(s)=(sizeof(s) - 1)'"
w1_key() {
	key w1-sparse "$KSTAMP" "$TOOLS" "$SPARSE_VERSION" "$SPARSE_CF" "$W1_FILES" \
		"$(state_key "$1" "$KERN_RE")"
}
w1_build() {
	local t rc=0 log=$LOGS/w1.log f
	local -a targets=()
	t=$(make_tree w1)
	sync_tree "$t" "$1"
	for f in $W1_FILES; do
		f=${f%.c}.o
		rm -f "$t/$f"
		case $f in
		arch/x86/kvm/*) targets+=("${f#arch/x86/kvm/}");;
		*) targets+=("../../../$f");;
		esac
	done
	kvm_make "$t" "$KOBJ" "$log" W=1 C=1 CF="$SPARSE_CF" CONFIG_KVM_WERROR= "${targets[@]}" || rc=$?
	if [ "$1" != "$NPREP" ]; then
		for f in $W1_FILES; do
			grep -qE "^  CHECK +(.*/)?$(basename "$f")\$" "$log" ||
				echo "ERROR: sparse did not check $f" >> "$log"
		done
		! grep -qE '(^|[[:space:]:])error:' "$log" ||
			echo "ERROR: an error above: sparse drops a file's warnings after one" >> "$log"
	fi
	record "$2" "$rc" "$log" "$t" "$KOBJ"
}

# (4) the selftests the series adds or changes (x86/NAME.c or NAME.c, not the library), built
# twice: all, then the tests alone again, whose output must have no warning.
mapfile -t KST_TESTS < <(for p in "${PATCHES[@]:NPREP}"; do patch_files "$p"; done |
	sed -nE 's@^tools/testing/selftests/kvm/((x86/)?[^/]+)\.c$@\1@p' | sort -u)
kst_key() { key selftests "$TOOLS" "${KST_TESTS[*]}" "$(state_key "$1" "$KST_RE")"; }
kst_build() {
	local t out=$BC/kst-out rc=0 log=$LOGS/selftests.log x
	local -a targets=()
	t=$(make_tree kst)
	sync_tree "$t" "$1"
	for x in "${KST_TESTS[@]}"; do
		[ -f "$t/tools/testing/selftests/kvm/$x.c" ] && targets+=("$out/$x")
	done
	(
		[ ${#targets[@]} -gt 0 ] || { echo "ERROR: no test source in the tree"; exit 1; }
		run_timeout 900 make -C "$t" -j"$JOBS" headers > "$LOGS/selftests-headers.log" 2>&1 ||
			{ echo "ERROR: make headers failed, see $LOGS/selftests-headers.log"; exit 1; }
		# 1st pass: the library and the tests (the library's warnings are not the tests')
		run_timeout 1800 make -C "$t/tools/testing/selftests/kvm" -j"$JOBS" OUTPUT="$out" \
			"${targets[@]}" > "$LOGS/selftests-all.log" 2>&1 || true
		rm -f "${targets[@]}" "${targets[@]/%/.o}"
		# 2nd pass: the tests alone
		run_timeout 1800 make -C "$t/tools/testing/selftests/kvm" -j"$JOBS" OUTPUT="$out" \
			"${targets[@]}"
	) > "$log" 2>&1 || rc=$?
	record "$2" "$rc" "$log" "$t/tools/testing/selftests/kvm" "$t"
}

# --- running the checks ------------------------------------------------------------------

NB=0 NCLEAN=0 NPRE=0 NFAIL=0 NCACHED=0 NCMP=0
T0=$SECONDS

dur() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# usage: build KIND K LABEL; make sure the result of KIND at state K exists; sets KEY
build() {
	local kind=$1 k=$2 label=$3 t=$SECONDS how
	KEY=$("${kind}_key" "$k")
	if [ -f "$RES/$KEY.rc" ]; then
		how=cached
		[ "$label" = "" ] || NCACHED=$((NCACHED + 1))
	else
		"${kind}_build" "$k" "$KEY"
		how=$(dur $((SECONDS - t)))
	fi
	BUILD_HOW=$how
}

# usage: report KIND K LABEL [COMPARE]; build state K (one line of progress) and judge it:
# clean; or, compared with base (state NPREP) built the same way when COMPARE is set,
# pre-existing (nothing base doesn't have); or failed (what is new is printed)
report() {
	local kind=$1 k=$2 label=$3 compare=${4:-} skey bkey new="" what how
	NB=$((NB + 1))
	build "$kind" "$k" "$label"
	skey=$KEY how=$BUILD_HOW
	if clean_result "$skey"; then
		NCLEAN=$((NCLEAN + 1))
		msg "$label: clean ($how)"
		return
	fi
	what="$(wc -l < "$RES/$skey.diag") warnings/errors$([ "$(cat "$RES/$skey.rc")" = 0 ] || echo ", build failed")"
	if [ -n "$compare" ] && [ "$k" != "$NPREP" ]; then
		build "$kind" "$NPREP" ""
		bkey=$KEY
		if [ "$BUILD_HOW" != cached ]; then
			NCMP=$((NCMP + 1))
			msg "$label: base built for comparison ($BUILD_HOW)"
		fi
		new=$(LC_ALL=C comm -23 "$RES/$skey.diag" "$RES/$bkey.diag")
		if [ -z "$new" ] && { [ "$(cat "$RES/$skey.rc")" = 0 ] || [ "$(cat "$RES/$bkey.rc")" != 0 ]; }; then
			NPRE=$((NPRE + 1))
			msg "$label: $what, all also in base ($how): pre-existing, not the series'"
			return
		fi
	else
		new=$(cat "$RES/$skey.diag")
	fi
	NFAIL=$((NFAIL + 1))
	msg "$label: FAILED, $what ($how)"
	echo "FAIL $label: $what (log: $RES/$skey.log)"
	if [ -n "$new" ]; then
		echo "  new (not in base) or all, normalized:"
		printf '%s\n' "$new" | sed 's/^/    /'
	fi
	echo "  as printed:"
	sed 's/^/    /' "$RES/$skey.show"
}

# usage: unapplied LABEL; a build that can't be made because a patch does not apply
unapplied() {
	NB=$((NB + 1)) NFAIL=$((NFAIL + 1))
	msg "$1: FAILED, not built: a patch does not apply"
	echo "FAIL $1: $APPLY_ERR"
}

# 1. bisect, debug config
mapfile -t KSTEPS < <(for ((k = NPREP + 1; k <= NP; k++)); do
	grep -qE "^(\+\+\+ b|--- a)/${KERN_RE#^}" "$REPO/${PATCHES[k - 1]}" && echo "$k"; done)
TIP=$NPREP
[ ${#KSTEPS[@]} = 0 ] || TIP=${KSTEPS[${#KSTEPS[@]} - 1]}
i=0
for k in "${KSTEPS[@]}"; do
	i=$((i + 1))
	label="bisect $i/${#KSTEPS[@]} $(basename "${PATCHES[k - 1]}" .patch | cut -c1-40) [debug]"
	[ "$k" != "$TIP" ] || label="$label = series tip, debug config"
	if [ "$k" -le "$APPLIED" ]; then report bisect "$k" "$label" compare; else unapplied "$label"; fi
done
[ ${#KSTEPS[@]} -gt 0 ] || msg "the series has no kernel patch: no bisect builds"

# 2. configs, series tip
for CFG in $CONFIGS; do
	label="config $CFG, series tip"
	[ "$CFG" != i386 ] || label="$label (+ no 64-bit libgcc division)"
	if [ "$TIP" -le "$APPLIED" ]; then report cfg "$TIP" "$label" compare; else unapplied "$label"; fi
done

# 3. W=1 + sparse, series tip versus base (always compared)
label="W=1 + sparse of ${W1_FILES% }, series tip vs base [debug]"
if [ "$TIP" -le "$APPLIED" ]; then report w1 "$TIP" "$label" compare; else unapplied "$label"; fi

# 4. the selftests the series adds or changes, at the end of the series
if [ ${#KST_TESTS[@]} -gt 0 ]; then
	label="selftests ${KST_TESTS[*]}"
	if [ "$NP" -le "$APPLIED" ]; then report kst "$NP" "$label"; else unapplied "$label"; fi
fi

echo "$NB builds: $NCLEAN clean, $NPRE pre-existing problems only, $NFAIL failed" \
	"($NCACHED cached, $NCMP base builds for comparison; $(dur $((SECONDS - T0))))"
[ "$NFAIL" = 0 ]
