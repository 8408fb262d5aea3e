#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: htmldocs.sh
# The kernel's own documentation build of Documentation/virt/kvm/x86 (make htmldocs
# SPHINXDIRS=virt/kvm/x86, Sphinx with the kernel's conf.py and extensions) in the series tree
# made by 'make apply', output in $BUILD/htmldocs.  Fails on any warning except Sphinx's note
# that graphviz is not installed.  Takes a few seconds; not a static check because it needs
# the full tree.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

TREE=$(tree_dir "$PRIMARY_BASE/series")
[ -f "$TREE/.testbed-applied" ] || die "no series tree in $TREE: run 'make apply' first"
command -v sphinx-build >/dev/null || die "sphinx-build is missing: run 'make send-deps'"
OUT=$BUILD/htmldocs
LOG=$BUILD/logs/htmldocs-x86.log
mkdir -p "$BUILD/logs"
rm -rf "$OUT"
msg "make htmldocs SPHINXDIRS=virt/kvm/x86 in $TREE"
if ! run_timeout 900 make -C "$TREE" -s htmldocs SPHINXDIRS=virt/kvm/x86 BUILDDIR="$OUT" > "$LOG" 2>&1; then
	tail -n 30 "$LOG" >&2
	die "make htmldocs failed (log: $LOG)"
fi
if grep -E 'WARNING|ERROR' "$LOG" | grep -v 'dot(1) not found' >&2; then
	die "make htmldocs reported the warnings above (log: $LOG)"
fi
msg "htmldocs of virt/kvm/x86 built without warnings: $OUT/virt/kvm/x86/index.html"
