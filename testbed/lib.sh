# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers of the test bed; sourced by every testbed/*.sh script, never run.
# Paths: $REPO (repository root) and $BUILD (generated files, default $REPO/build).
# Variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034

TESTBED=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTBED/.." && pwd)
BUILD=${BUILD:-$REPO/build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
JOBS=${JOBS:-2}

# shellcheck source=testbed/versions.conf
. "$TESTBED/versions.conf"

msg()  { printf '[testbed %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
warn() { printf '[testbed] WARNING: %s\n' "$*" >&2; }
die()  { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }

# --- bases, variants, machines (testbed/versions.conf) ---------------------------------------
# A variant is named BASE/NAME, e.g. 7.3/series; versions.conf says which bases exist, which
# variants and machines each has, and where its kernel comes from.

# usage: bvar NAME BASE; the value of versions.conf's per-base variable NAME_<BASE> (dots as _)
bvar() {
	local n="${1}_${2//./_}"
	printf '%s' "${!n-}"
}

base_variants() { bvar VARIANTS "$1"; }
base_machines() { bvar MACHINES "$1"; }

# All variants (BASE/NAME), primary base first.
all_variants() {
	local b v
	for b in $BASES; do
		for v in $(base_variants "$b"); do
			echo "$b/$v"
		done
	done
}

# All boots as MACHINE:BASE/NAME.
all_boots() {
	local b v m
	for b in $BASES; do
		for v in $(base_variants "$b"); do
			for m in $(base_machines "$b"); do
				echo "$m:$b/$v"
			done
		done
	done
}

MACHINES=$(for b in $BASES; do base_machines "$b"; echo; done | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')

# Variants of the benchmark only (testbed/bench): built and booted by testbed/bench, never by
# make check. designs = series + testbed/bench/designs.patch (the parking designs side by side).
BENCH_ONLY_VARIANTS="$PRIMARY_BASE/designs"

# Checks of what a user names (make's MACHINE, VARIANT, BOOTS_SEL, TORTURE_BOOTS; the Makefile
# runs them through 'matrix.sh check' before any prerequisite): each dies naming the valid choices.

# usage: check_variant BASE/NAME; dies unless it is a variant of versions.conf or of the bench
check_variant() {
	local all
	all=$(all_variants; printf '%s\n' $BENCH_ONLY_VARIANTS)
	if [ -z "$1" ] || ! grep -qxF -- "$1" <<< "$all"; then
		die "unknown variant '$1' (one of: $(paste -sd' ' <<< "$all"))"
	fi
}

# usage: check_machine MACHINE; dies unless versions.conf names it and it has its
# testbed/boot/machines/MACHINE.conf
check_machine() {
	if [ -z "$1" ] || [[ " $MACHINES " != *" $1 "* ]] || [ ! -f "$TESTBED/boot/machines/$1.conf" ]; then
		die "unknown machine '$1' (one of: ${MACHINES% })"
	fi
}

# usage: check_pair MACHINE:BASE/VARIANT; dies unless MACHINE and the variant are valid, each
# (run-one.sh makes its own image of any pair: make torture)
check_pair() {
	[[ $1 == *:*/* ]] || die "'$1' is not MACHINE:BASE/VARIANT"
	check_machine "${1%%:*}"
	check_variant "${1#*:}"
}

# usage: check_boot MACHINE:BASE/VARIANT; dies unless it is a boot of the matrix, i.e. one whose
# image 'make images' makes (make boots/check/run/report BOOTS_SEL=...)
check_boot() {
	local all
	all=$(all_boots)
	grep -qxF -- "$1" <<< "$all" || die "unknown boot '$1' (one of: $(paste -sd' ' <<< "$all"))"
}

# usage: check_args KIND VALUE [KIND VALUE...]; KIND: machine, variant, boots (VALUE: a list of
# boots of the matrix) or pairs (a list of MACHINE:BASE/VARIANT)
check_args() {
	local w
	local -a ws
	while [ $# -gt 0 ]; do
		[ $# -ge 2 ] || die "usage: check_args KIND VALUE [KIND VALUE...]"
		read -ra ws <<< "$2"
		case $1 in
		machine) check_machine "$2";;
		variant) check_variant "$2";;
		boots)   for w in "${ws[@]}"; do check_boot "$w"; done;;
		pairs)   for w in "${ws[@]}"; do check_pair "$w"; done;;
		*)       die "check_args: unknown kind '$1' (machine, variant, boots or pairs)";;
		esac
		shift 2
	done
}

vbase() { echo "${1%%/*}"; }
vname() { echo "${1#*/}"; }

# usage: load_resolved [BASE]; reads what fetch.sh resolved for BASE (default: the primary):
# PKGVER (Debian package version of the source), SRC_PKG (its name, also the tarball's top folder), SRC_TARBALL,
# KERNEL_KIND (debug: built here; debian: Debian's image) and, for debian, KVER, KABI, DEBROOT.
load_resolved() {
	local b=${1:-$PRIMARY_BASE}
	[ -f "$BUILD/debs/$b/resolved.env" ] ||
		die "no Debian packages for base $b yet: run 'make fetch' first"
	# shellcheck source=/dev/null
	. "$BUILD/debs/$b/resolved.env"
	SRC_CACHE=$BUILD/src/$b
}

# Paths of one variant (BASE/NAME) or base.
tree_dir()      { echo "$BUILD/trees/$1"; }
kbuild_dir()    { echo "$BUILD/kbuild/$1"; }
modules_dir()   { echo "$BUILD/modules/$1"; }
# IMAGES_DIR / RUNS_DIR (environment): another home for boots that run a part of the plan
# (testbed/boot/quick.sh), so that they never replace the full gate's images and results
image_dir()     { echo "${IMAGES_DIR:-$BUILD/images}/$1/$2"; }
run_dir()       { echo "${RUNS_DIR:-$BUILD/runs}/$1/$2"; }
kernel_dir()    { echo "$BUILD/kernel/$1"; }
selftests_dir() { echo "$BUILD/selftests/$1"; }
# kvm-unit-tests (build-kut.sh) and the QEMU that runs them in the guest (qemu-bundle.sh):
# trees merged into the initramfs of a boot that runs a kut: test
KUT_OUT=$BUILD/kut
KUT_LIST=$KUT_OUT/root/kut/tests
QEMU_BUNDLE=$BUILD/qemu-bundle

# --- where kvm-unit-tests come from (build-kut.sh; fetch.sh reports it) -----------------------
# The first that applies:
#   KUT_DIR      a kvm-unit-tests checkout, used as is
#   KUT_TARBALL  a tarball made by 'git archive' (top folder kvm-unit-tests/); default: the one
#                kvm-unit-tests-*.tar.gz in ../shared/kvm-unit-tests/ beside the repository, if
#                there is one; empty: none
#   KUT_GIT      else a clone of this repository (default: versions.conf's KUT_UPSTREAM; a URL
#                or a local repository) at KUT_COMMIT (default: versions.conf's KUT_PIN), kept
#                in $BUILD/kvm-unit-tests.git: 'make fetch' fetches the commit, no network later
KUT_GIT=${KUT_GIT:-$KUT_UPSTREAM}
KUT_COMMIT=${KUT_COMMIT:-$KUT_PIN}
KUT_CLONE=$BUILD/kvm-unit-tests.git

# usage: kut_source; sets KUT_KIND (dir, tarball or git), KUT_FROM (the checkout, the tarball
# or KUT_GIT, as absolute paths when local) and KUT_WHAT (a line that says which, for msg);
# dies when the choice cannot work.
kut_source() {
	local shared id why
	shared=$(realpath -m "$REPO/../shared/kvm-unit-tests")
	local -a t=()
	if [ -n "${KUT_DIR:-}" ]; then
		[ -f "$KUT_DIR/x86/unittests.cfg" ] ||
			die "KUT_DIR=$KUT_DIR is not a kvm-unit-tests checkout (no x86/unittests.cfg)"
		KUT_KIND=dir KUT_FROM=$(cd "$KUT_DIR" && pwd)
		KUT_WHAT="the checkout KUT_DIR=$KUT_FROM, as is"
		return
	fi
	if [ -n "${KUT_TARBALL+set}" ]; then
		[ -z "$KUT_TARBALL" ] || [ -f "$KUT_TARBALL" ] || die "KUT_TARBALL=$KUT_TARBALL does not exist"
		[ -z "$KUT_TARBALL" ] || t=("$KUT_TARBALL")
		why="KUT_TARBALL is empty"
	else
		shopt -s nullglob
		t=("$shared"/kvm-unit-tests-*.tar.gz)
		shopt -u nullglob
		why="no tarball in $shared/"
		[ ${#t[@]} -le 1 ] ||
			die "several tarballs in $shared/: keep one, or name one with KUT_TARBALL, or set KUT_DIR"
	fi
	if [ ${#t[@]} = 1 ]; then
		KUT_KIND=tarball KUT_FROM=$(realpath "${t[0]}")
		# git archive records the commit in the tar header
		id=$(gzip -dc "$KUT_FROM" 2> /dev/null | git get-tar-commit-id 2> /dev/null || true)
		KUT_WHAT="the tarball $KUT_FROM${id:+ (commit $id)}"
		if [ -n "$id" ] && [[ $KUT_COMMIT =~ ^[0-9a-f]{40}$ ]] && [ "$id" != "$KUT_COMMIT" ]; then
			warn "kvm-unit-tests: the tarball is commit $id, not $KUT_COMMIT (KUT_COMMIT or KUT_PIN of testbed/versions.conf): using the tarball; KUT_TARBALL= clones KUT_GIT at KUT_COMMIT instead"
		fi
		return
	fi
	KUT_KIND=git KUT_FROM=$KUT_GIT
	[ ! -d "$KUT_FROM" ] || KUT_FROM=$(cd "$KUT_FROM" && pwd)
	KUT_WHAT="a clone of $KUT_FROM at $KUT_COMMIT ($why), in $KUT_CLONE"
}

# usage: kut_clone; after kut_source found git: makes sure $KUT_CLONE (a bare repository) has
# KUT_COMMIT, fetching it from KUT_FROM if not (the commit alone if the server lets, else every
# branch and tag; one fetch at a time under make -j), tags it testbed-<id> and prints the
# commit's full id.
kut_clone() {
	local c
	[ "${KUT_KIND:-}" = git ] || die "kut_clone: kvm-unit-tests do not come from git here"
	(
		flock 9
		[ -f "$KUT_CLONE/HEAD" ] || git init -q --bare "$KUT_CLONE" ||
			die "cannot make the repository $KUT_CLONE"
		if ! c=$(git -C "$KUT_CLONE" rev-parse -q --verify "$KUT_COMMIT^{commit}"); then
			msg "kvm-unit-tests: fetching commit $KUT_COMMIT of $KUT_FROM into $KUT_CLONE"
			git -C "$KUT_CLONE" fetch -q --depth=1 "$KUT_FROM" "+$KUT_COMMIT:refs/testbed/fetched" 2> /dev/null ||
				git -C "$KUT_CLONE" fetch -q "$KUT_FROM" '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*' ||
				die "cannot fetch from KUT_GIT=$KUT_FROM: check the network, or use KUT_DIR or the tarball (../shared/kvm-unit-tests/)"
			c=$(git -C "$KUT_CLONE" rev-parse -q --verify "$KUT_COMMIT^{commit}") ||
				die "KUT_GIT=$KUT_FROM has no commit $KUT_COMMIT (KUT_COMMIT or KUT_PIN of testbed/versions.conf)"
		fi
		# a tag of its own: no gc drops it, and a 'git clone' of $KUT_CLONE has it
		git -C "$KUT_CLONE" update-ref "refs/tags/testbed-$c" "$c"
		echo "$c"
	) 9> "$BUILD/kvm-unit-tests.lock"
}

# Print the patch files (paths relative to $REPO) of a quilt series file, one per line.
# Entries are resolved relative to the directory given as $2 (the series' patch dir).
series_patches() {
	local series=$1 dir=$2 p
	[ -f "$series" ] || return 0
	while read -r p _; do
		case $p in ''|'#'*) continue;; esac
		[ -f "$REPO/$dir/$p" ] || die "$series lists $p but $dir/$p does not exist"
		echo "$dir/$p"
	done < "$series"
}

# The project's own series: ./series with entries relative to patches/ (or to the repo root).
project_patches() {
	local p
	[ -f "$REPO/series" ] || return 0
	while read -r p _; do
		case $p in ''|'#'*) continue;; esac
		if [ -f "$REPO/patches/$p" ]; then echo "patches/$p"
		elif [ -f "$REPO/$p" ]; then echo "$p"
		else die "series lists $p, found neither patches/$p nor $p"
		fi
	done < "$REPO/series"
}

# The KVM C files (arch/x86/kvm, virt/kvm) that the project's series changes, one per line.
series_kvm_sources() {
	local p
	project_patches | while read -r p; do
		sed -n 's|^+++ b/||p' "$REPO/$p"
	done | grep -E '^(arch/x86/kvm|virt/kvm)/.*\.c$' | sort -u || true
}

# Test-bed patches of BASE applied before anything else (bridge patches; none on the primary).
base_prep_patches() {
	series_patches "$TESTBED/bases/$1/prep/series" "testbed/bases/$1/prep"
}

# Full ordered patch list (relative to $REPO) of a variant BASE/NAME: the base's prep patches,
# then the variant's own (prefix: testbed/bases/BASE/prefix/series; series: ./series;
# designs: ./series + testbed/bench/designs.patch).
variant_patches() {
	local b v p
	b=$(vbase "$1") v=$(vname "$1")
	base_prep_patches "$b"
	case $v in
	prefix) series_patches "$TESTBED/bases/$b/prefix/series" "testbed/bases/$b/prefix";;
	base)   ;;
	series)
		project_patches
		# EXTRA_PATCHES: repo-relative patches stacked on the series, e.g. by 'make demo-broken'
		for p in ${EXTRA_PATCHES:-}; do
			[ -f "$REPO/$p" ] || die "EXTRA_PATCHES names $p, which does not exist"
			echo "$p"
		done;;
	designs)
		project_patches
		echo testbed/bench/designs.patch;;
	*) die "no patch list for variant $1";;
	esac
}

# Run a command under timeout, killing the whole process group on expiry.
# usage: run_timeout SECONDS cmd...
run_timeout() {
	local secs=$1; shift
	timeout --kill-after=10 "$secs" "$@"
}

# Content hash of a list of files (for cache stamps).
hash_files() {
	local f
	for f in "$@"; do
		printf '%s\n' "$f"
		cat "$f"
	done | sha256sum | cut -d' ' -f1
}

# --- expectations (testbed/expectations) -----------------------------------------------------

# usage: expectation MACHINE VARIANT CHECK; sets EXPECT and REASON from the last matching line
# (EXPECT is empty when nothing matches).
expectation() {
	local m v c e r
	EXPECT="" REASON=""
	while read -r m v c e r; do
		case $m in ''|'#'*|@*) continue;; esac
		# shellcheck disable=SC2053 # the file's columns are globs
		[[ $1 == $m && $2 == $v && $3 == $c ]] || continue
		EXPECT=$e REASON=$r
	done < "$TESTBED/expectations"
}

# usage: attempts MACHINE VARIANT TEST; prints the retry count (default 1).
attempts() {
	local kw m v t n r out=1
	while read -r kw m v t n r; do
		[ "$kw" = @attempts ] || continue
		# shellcheck disable=SC2053
		[[ $1 == $m && $2 == $v && $3 == $t ]] && out=$n
	done < "$TESTBED/expectations"
	echo "$out"
}

# usage: metric_eval METRICS TEST EXPR; evaluate a metric check's EXPR (an awk expression over
# metric names) with TEST's lines of the metrics file METRICS. Sets METRIC_VALS ("name=value;"
# per metric that EXPR uses) and METRIC_MISSING (those TEST did not print). Returns 0 if EXPR
# holds, 3 if a metric is missing, another non-zero status if EXPR does not hold.
metric_eval() {
	local id val
	METRIC_VALS="" METRIC_MISSING=""
	while read -r id; do
		val=$(awk -v t="$2" -v id="$id" '$1 == t && $2 == id { print $3 }' "$1")
		if [ -n "$val" ]; then
			METRIC_VALS="$METRIC_VALS$id=$val;"
		else
			METRIC_MISSING="$METRIC_MISSING $id"
		fi
	done < <(grep -oE '[a-z_][a-z_0-9]*' <<< "$3" | sort -u)
	[ -z "$METRIC_MISSING" ] || return 3
	awk "BEGIN { $METRIC_VALS exit !($3) }"
}

# usage: metric_checks MACHINE VARIANT TEST; prints "LABEL EXPR REASON" per metric check of
# TEST (the last matching line per label).
metric_checks() {
	local m v c e r
	declare -A expr reason
	local -a order=()
	while read -r m v c e r; do
		case $m in ''|'#'*|@*) continue;; esac
		[[ $c == *:* ]] || continue
		# shellcheck disable=SC2053
		[[ $1 == $m && $2 == $v && $3 == ${c%%:*} ]] || continue
		[ -n "${expr[${c#*:}]+set}" ] || order+=("${c#*:}")
		expr[${c#*:}]=$e
		reason[${c#*:}]=$r
	done < "$TESTBED/expectations"
	for c in "${order[@]}"; do
		echo "$c ${expr[$c]} ${reason[$c]}"
	done
}

# --- the plan (testbed/plan.conf) ------------------------------------------------------------

# usage: plan_entries BASE; prints the plan of BASE as "name|timeout|needs|command" lines:
# PLAN of testbed/plan.conf, then one "kst:NAME" test per selftest of the base's regression
# suite (build-selftests.sh; SUITE_BASES) that PLAN does not run already, then one "kut:NAME"
# test per kvm-unit-test of build-kut.sh's list (needs "kut": the tests and QEMU's bundle).
# PLAN_ONLY (environment, an extended regular expression): only the tests whose whole name
# matches it (testbed/boot/quick.sh).
plan_entries() {
	if [ -n "${PLAN_ONLY:-}" ]; then
		all_plan_entries "$1" | grep -E "^($PLAN_ONLY)[|]" || true
	else
		all_plan_entries "$1"
	fi
}

all_plan_entries() {
	local suite t name tmo ovr
	# shellcheck source=testbed/plan.conf
	. "$TESTBED/plan.conf"
	printf '%s\n' "$PLAN" | grep -v '^$'
	suite=$(selftests_dir "$1")/suite
	if [ -f "$suite" ]; then
		while read -r t; do
			[[ " $SELFTESTS " == *" $t "* ]] || echo "kst:$t|$SUITE_TIMEOUT|$t|$t"
		done < "$suite"
	fi
	[ -f "$KUT_LIST" ] || return 0
	while IFS='|' read -r name _ _ _ _ tmo _; do
		case $name in ''|'#'*) continue;; esac
		# kut-run's timeout is KUT_TIMEOUTS' for the test, else unittests.cfg's times
		# KUT_TIMEOUT_FACTOR; the guest's leaves room for QEMU's start
		ovr=" ${KUT_TIMEOUTS:-} "
		if [[ $ovr == *" $name="* ]]; then
			ovr=${ovr#*" $name="}
			ovr=${ovr%% *}
			echo "kut:$name|$((ovr + 60))|kut|kut-run -t $ovr $name"
		else
			echo "kut:$name|$((${tmo%s} * KUT_TIMEOUT_FACTOR + 60))|kut|kut-run -x $KUT_TIMEOUT_FACTOR $name"
		fi
	done < "$KUT_LIST"
}

# usage: absent_selftests BASE; the plan's selftests not built for BASE (no source in its
# series tree).
absent_selftests() {
	local f
	f=$(selftests_dir "$1")/absent
	[ -f "$f" ] || die "selftests of $1 not built: run 'make build' first"
	cat "$f"
}

# usage: vslug BASE/NAME; the variant as one file-name word (7.3/series -> 7.3-series)
vslug() { echo "${1//\//-}"; }
