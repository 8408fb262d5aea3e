#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check-docs.sh
# Static checks of the documentation the series adds (the pages are found in the patches;
# that the overlay copies are identical to them is check-overlay's job):
#   1. scripts/checkpatch.pl --strict of the base tree is clean on every patch that touches
#      only Documentation/ (FILE_PATH_CHANGES is ignored: checkpatch raises it for every new
#      file; the page is covered by the KVM entry's F: Documentation/virt/kvm/, see
#      MAINTAINERS-snippet; UNKNOWN_COMMIT_ID too, as in check/checkpatch.sh: the send tree
#      has no history, the commit ids the changelogs cite are mainline's);
#   2. sphinx-build -W -n builds each new page in a minimal Sphinx project without a warning.
# The kernel's own build of the directory is 'make htmldocs-x86' (needs the full series tree).
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

"$TESTBED/send/send-deps.sh"
need_tool sphinx-build python3-sphinx
"$TESTBED/send/send-tree.sh"
need_send_tree

mapfile -t SERIES < <(series_patch_files)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# New .rst pages under Documentation/ and the patches that touch only Documentation/.
PAGES=()
DOCPATCHES=()
for p in "${SERIES[@]}"; do
	mapfile -t files < <(patch_touched_files "$REPO/$p")
	docs_only=1
	for f in "${files[@]}"; do
		case $f in Documentation/*) ;; *) docs_only=0;; esac
	done
	[ $docs_only = 1 ] && DOCPATCHES+=("$p")
	while read -r f; do PAGES+=("$f"); done < <(awk '
		/^--- \/dev\/null/ { getline n; split(n, f, /[ \t]+/); p = f[2]; sub(/^[^\/]*\//, "", p)
			if (p ~ /^Documentation\/.*\.rst$/) print p }' "$REPO/$p")
done
[ ${#PAGES[@]} -gt 0 ] || die "the series adds no Documentation/*.rst page"

fail=0
for p in "${DOCPATCHES[@]}"; do
	if (cd "$SEND_TREE" && run_timeout 120 perl scripts/checkpatch.pl --strict --quiet \
		--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$REPO/$p") > "$WORK/cp" 2>&1; then
		msg "$p: checkpatch.pl --strict clean"
	else
		cat "$WORK/cp" >&2
		warn "$p: checkpatch.pl --strict found problems (above)"; fail=1
	fi
done

# Minimal Sphinx project: the pages and an index that includes them.
mkdir -p "$WORK/src"
cat > "$WORK/src/conf.py" <<'EOF'
project = 'testbed docs check'
extensions = []
root_doc = 'index'
EOF
{
	printf 'Pages added by the series\n=========================\n\n.. toctree::\n\n'
	i=0
	for f in "${PAGES[@]}"; do
		i=$((i + 1))
		sgit show "series:$f" > "$WORK/src/page$i.rst"
		printf '   page%s\n' "$i"
	done
} > "$WORK/src/index.rst"
if run_timeout 300 sphinx-build -W --keep-going -n -q -b html "$WORK/src" "$WORK/out" > "$WORK/sphinx.log" 2>&1; then
	msg "sphinx-build -W -n: ${#PAGES[@]} page(s) build without warnings ($(sphinx-build --version))"
else
	cat "$WORK/sphinx.log" >&2
	warn "sphinx-build reported problems (above; pageN.rst is ${PAGES[*]} in that order)"; fail=1
fi

[ $fail = 0 ] || die "documentation checks failed (details above)"
msg "documentation checks passed"
