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

VARIANTS="prefix base series"
MACHINES="bochs-vmx qemu-svm"

# shellcheck source=testbed/versions.conf
. "$TESTBED/versions.conf"

msg()  { printf '[testbed %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
warn() { printf '[testbed] WARNING: %s\n' "$*" >&2; }
die()  { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }

check_variant() {
	case " $VARIANTS " in *" $1 "*) ;; *) die "unknown variant '$1' (one of: $VARIANTS)";; esac
}

check_machine() {
	case " $MACHINES " in *" $1 "*) ;; *) die "unknown machine '$1' (one of: $MACHINES)";; esac
}

# Resolved package versions written by fetch.sh: KABI (e.g. 6.12.117+deb12-cloud-amd64),
# KBUILD_VER (6.12.117+deb12), PKGVER (Debian package version) and DEBROOT (dpkg -x root).
load_resolved() {
	[ -f "$BUILD/debs/resolved.env" ] || die "no Debian kernel packages yet: run 'make fetch' first"
	# shellcheck source=/dev/null
	. "$BUILD/debs/resolved.env"
}

# Paths of one variant.
tree_dir()    { echo "$BUILD/trees/$1"; }
kbuild_dir()  { echo "$BUILD/kbuild/$1"; }
modules_dir() { echo "$BUILD/modules/$1"; }
image_dir()   { echo "$BUILD/images/$1/$2"; }
run_dir()     { echo "$BUILD/runs/$1/$2"; }
SRC_CACHE="$BUILD/src/linux-source"
SELFTESTS_OUT="$BUILD/selftests"

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

# Full ordered patch list (relative to $REPO) for a variant: prep first, then the variant's own.
variant_patches() {
	series_patches "$TESTBED/prep/series" testbed/prep
	case $1 in
	prefix) series_patches "$TESTBED/variants/prefix/series" testbed/variants/prefix;;
	base)   ;;
	series)
		project_patches
		# EXTRA_PATCHES: repo-relative patches stacked on the series, e.g. by 'make demo-broken'
		local p
		for p in ${EXTRA_PATCHES:-}; do
			[ -f "$REPO/$p" ] || die "EXTRA_PATCHES names $p, which does not exist"
			echo "$p"
		done;;
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

# Prints the plan as "name|timeout|needs|command" lines.
plan_entries() {
	# shellcheck source=testbed/plan.conf
	. "$TESTBED/plan.conf"
	printf '%s\n' "$PLAN" | grep -v '^$'
}

# usage: absent_selftests; the plan's selftests that the series tree has no source for.
absent_selftests() {
	[ -f "$SELFTESTS_OUT/absent" ] || die "selftests not built: run 'make build' first"
	cat "$SELFTESTS_OUT/absent"
}
