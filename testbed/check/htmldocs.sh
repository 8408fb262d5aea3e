#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: htmldocs.sh
# The kernel's own documentation build of Documentation/virt, where the KVM documentation the
# series touches lives (make htmldocs SPHINXDIRS=virt: Sphinx with the kernel's conf.py and
# extensions), for the primary base's base and series trees made by 'make apply'.  The trees
# are only read: each build writes to its own output directory, $BUILD/htmldocs/VARIANT
# (make O=...), and Python writes no bytecode.  Fails if the series' build fails or reports a
# warning or error that the base's build does not (compared without line numbers, which the
# series shifts; Sphinx's note that graphviz is not installed is ignored).  About 25 s per
# tree on 2 cores.  It is the static check check-docs (also 'make htmldocs-virt'), in place of
# a minimal Sphinx project of a new page alone; checkpatch on the docs patch is check-checkpatch's.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v sphinx-build >/dev/null || die "sphinx-build is missing (Debian package python3-sphinx): run 'make deps'"
mkdir -p "$BUILD/logs"
export PYTHONDONTWRITEBYTECODE=1

# usage: build_docs VARIANT: build, then print its warnings normalized to stdout
build_docs() {
	local v=$1 tree out log start
	tree=$(tree_dir "$PRIMARY_BASE/$v")
	[ -f "$tree/.testbed-applied" ] || die "no $PRIMARY_BASE/$v tree in $tree: run 'make apply' first"
	out=$BUILD/htmldocs/$v
	log=$BUILD/logs/htmldocs-$v.log
	rm -rf "$out"
	mkdir -p "$out"
	start=$SECONDS
	msg "make htmldocs SPHINXDIRS=virt of $PRIMARY_BASE/$v (output in $out)" >&2
	if ! run_timeout 900 make -C "$tree" -s O="$out" htmldocs SPHINXDIRS=virt > "$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "make htmldocs of $PRIMARY_BASE/$v failed (log: $log)"
	fi
	msg "$PRIMARY_BASE/$v: built in $((SECONDS - start)) s" >&2
	grep -E 'WARNING|ERROR' "$log" | grep -v 'dot(1) not found' |
		sed -e "s|$tree/||g" -e 's|:[0-9]\+:|:|' | sort -u || true
}

mkdir -p "$BUILD/htmldocs"
build_docs base > "$BUILD/htmldocs/base.warnings"
build_docs series > "$BUILD/htmldocs/series.warnings"
NEW=$(comm -13 "$BUILD/htmldocs/base.warnings" "$BUILD/htmldocs/series.warnings")
if [ -n "$NEW" ]; then
	printf '%s\n' "$NEW" >&2
	die "make htmldocs SPHINXDIRS=virt: the series adds the warnings above (log: $BUILD/logs/htmldocs-series.log)"
fi
echo "htmldocs of Documentation/virt: no new warning ($(wc -l < "$BUILD/htmldocs/series.warnings") pre-existing, Sphinx $(sphinx-build --version | awk '{print $2}')): $BUILD/htmldocs/series/Documentation/output/virt/index.html"
