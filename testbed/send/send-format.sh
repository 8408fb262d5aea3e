#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-format.sh N|kut
# git format-patch of version N from the send tree into $BUILD/send/vN/ (kut: kvm-unit-tests/series,
# $BUILD/send/kut/).  Refuses the placeholder identity and N without a base commit (BASE_COMMIT,
# or LINUX_GIT: the commit of the cover letter's base-commit tag there).
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"
N=${1:-}
refuse_placeholder
read -ra OPTS <<< "${FORMAT_OPTS:-}"
if [ "$N" = kut ]; then
	SEND_TREE=$SEND_DIR/kut-tree OUT=$SEND_DIR/kut
	kut_source
	rm -rf "$SEND_TREE" "$OUT"
	mkdir -p "$SEND_TREE"
	if [ "$KUT_KIND" = tarball ]; then
		tar -xzf "$KUT_FROM" -C "$SEND_TREE" --strip-components=1
		BASE=$(gzip -dc "$KUT_FROM" 2>/dev/null | git get-tar-commit-id || :)
	else
		[ "$KUT_KIND" = git ] || die "KUT_DIR: mail from that checkout (git format-patch there)"
		BASE=$(kut_clone)
		git -C "$KUT_CLONE" archive "$BASE" | tar -x -C "$SEND_TREE"
	fi
	git -C "$SEND_TREE" init -q
	commit_all "kvm-unit-tests $BASE"
	[[ $BASE =~ ^[0-9a-f]{40}$ ]] || die "no upstream commit for $KUT_FROM (not made by git archive)"
	mapfile -t KP < <(series_patches "$REPO/kvm-unit-tests/series" kvm-unit-tests)
	sgit tag upstream
	am_patches "kvm-unit-tests/series does not apply" "${KP[@]/#/$REPO/}"
	sgit format-patch -q -o "$OUT" --base=upstream --subject-prefix="kvm-unit-tests PATCH" --to=kvm@vger.kernel.org \
		--cc="Paolo Bonzini <pbonzini@redhat.com>" --cc="Sean Christopherson <seanjc@google.com>" "${OPTS[@]}" upstream..
	sed -i "s/^base-commit: .*/base-commit: $BASE/" "$OUT"/*.patch
	msg "kvm-unit-tests: ${#KP[@]} mails in $OUT" && exit 0
fi
[[ $N =~ ^[1-9][0-9]*$ ]] || die "give the version as a number: make format-patch V=N"
COVER=$REPO/patches/0000-cover-letter.patch
REF=$(sed -n 's/^base-commit: //p' "$COVER")
if [ -z "${BASE_COMMIT:-}" ] && [ -n "${LINUX_GIT:-}" ]; then
	BASE_COMMIT=$(git -C "$LINUX_GIT" rev-parse -q --verify "$REF^{commit}") || die "no $REF in LINUX_GIT=$LINUX_GIT"
fi
[[ $REF =~ ^[0-9a-f]{40}$ ]] && BASE_COMMIT=${BASE_COMMIT:-$REF}
[[ ${BASE_COMMIT:-} =~ ^[0-9a-f]{40}$ ]] ||
	die "no base commit: give LINUX_GIT=~/linux (a kernel git tree with tag $REF) or BASE_COMMIT=<commit id of $REF>"
P=$((N - 1))
sent_versions | grep -qx "$P" || P=
send_tree "$P"
if [ -n "${LINUX_GIT:-}" ]; then
	mapfile -t F < <(sgit diff --name-only base series)
	diff <(git -C "$LINUX_GIT" ls-tree "$BASE_COMMIT" -- "${F[@]}") <(sgit ls-tree base -- "${F[@]}") >&2 ||
		warn "these files differ between $REF and Debian's: check 'git am' of the series on $REF"
fi

mapfile -t PATCHES < <(project_patches)
gm() {
	(cd "$SEND_TREE" && run_timeout 120 perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-fixes --no-tree --no-rolestats "$@" "${PATCHES[@]/#/$REPO/}") || die "get_maintainer.pl failed"
}
mapfile -t TO < <(gm --m --no-r --no-l)
mapfile -t CC < <(gm --no-m --r --l | grep -vxF -f <(printf '%s\n' "${TO[@]}"))
# the cover letter's subject and blurb (up to git's shortlog) as the branch's description
sgit config branch.series.description "$(git mailinfo /dev/null /dev/null < "$COVER" | sed -n 's/^Subject: //p')

$(awk 'p && /^[^ ].* \([0-9]+\):$/ { exit } p; /^$/ { p = 1 }' "$COVER")"
OUT=$SEND_DIR/v$N && rm -rf "$OUT"
[ "$N" = 1 ] || OPTS+=(-v "$N")
[ -z "$P" ] || OPTS+=(--range-diff="base..v$P" --creation-factor=80)
sgit format-patch -q -o "$OUT" --cover-letter --cover-from-description=subject --base=base \
	"${TO[@]/#/--to=}" "${CC[@]/#/--cc=}" "${OPTS[@]}" base..series
sed -i "s/^base-commit: .*/base-commit: $BASE_COMMIT/" "$OUT"/*0000-cover-letter.patch
msg "v$N: $(find "$OUT" -name '*.patch' | wc -l) mails from $IDENT in $OUT${P:+, range-diff against v$P}"
