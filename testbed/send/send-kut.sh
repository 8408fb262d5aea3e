#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-kut.sh
# Make the mails of the kvm-unit-tests patches (kvm-unit-tests/series) in $BUILD/send/kut/:
# a git repository of the kvm-unit-tests tarball ($BUILD/send/kut-tree, tag upstream), the
# patches applied with git am, then git format-patch --subject-prefix="kvm-unit-tests PATCH"
# to kvm@vger.kernel.org, Cc the x86 maintainers, base-commit the tarball's commit.
# 'make send-dry-run-kut' shows what git send-email would send (send-email.sh kut).
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

OUT=$SEND_DIR/kut
SEND_TREE=$SEND_DIR/kut-tree
SERIES=$REPO/kvm-unit-tests/series
TO="kvm@vger.kernel.org"
CC=("Paolo Bonzini <pbonzini@redhat.com>" "Sean Christopherson <seanjc@google.com>")

shopt -s nullglob
tarballs=("$REPO"/../shared/kvm-unit-tests/kvm-unit-tests-*.tar.gz)
shopt -u nullglob
[ ${#tarballs[@]} = 1 ] || die "want one kvm-unit-tests-*.tar.gz in $REPO/../shared/kvm-unit-tests/, found ${#tarballs[@]}"
mapfile -t PATCHES < <(series_patches "$SERIES" kvm-unit-tests)
[ ${#PATCHES[@]} -gt 0 ] || die "$SERIES lists no patch"

msg "kvm-unit-tests: $(basename "${tarballs[0]}") + ${#PATCHES[@]} patches in $SEND_TREE"
rm -rf "$SEND_TREE" "$OUT"
mkdir -p "$SEND_TREE" "$OUT"
tar -xzf "${tarballs[0]}" -C "$SEND_TREE" --strip-components=1
sgit init -q
sgit add -A
GIT_AUTHOR_DATE=$SEND_BASE_DATE GIT_COMMITTER_DATE=$SEND_BASE_DATE sgit commit -q -m "kvm-unit-tests $(basename "${tarballs[0]}")"
sgit tag upstream
sgit am -q --committer-date-is-author-date "${PATCHES[@]/#/$REPO/}" ||
	die "kvm-unit-tests/series does not apply with git am (see $SEND_TREE)"

ARGS=(--no-signature --base=upstream -o "$OUT" --subject-prefix="kvm-unit-tests PATCH" --to="$TO")
for a in "${CC[@]}"; do ARGS+=(--cc="$a"); done
sgit format-patch -q "${ARGS[@]}" upstream..HEAD
# base-commit: the upstream commit the tarball was made from (git archive), not the local one
base=$(gzip -dc "${tarballs[0]}" 2> /dev/null | git get-tar-commit-id || true)
[ -z "$base" ] || sed -i "s/^base-commit: .*/base-commit: $base/" "$OUT"/*.patch
echo "$TO" > "$OUT/to.txt"
printf '%s\n' "${CC[@]}" > "$OUT/cc.txt"
msg "kvm-unit-tests: $(find "$OUT" -name '*.patch' | wc -l) mails in $OUT"
