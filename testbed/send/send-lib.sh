# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Helpers of testbed/send/*.sh, sourced.  The send tree $BUILD/send/tree: tag base (the files of the
# primary base that get_maintainer.pl and the series need), branches series and vP (version P).
# shellcheck source=testbed/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SEND_DIR=${SEND_DIR:-$BUILD/send} SEND_TREE=$SEND_DIR/tree
PLACEHOLDER='Lapic Timer Team <lapic-timer@example.org>' # the author in patches/, never mailed
# From: and Signed-off-by: of the mails, git's author and committer here: your git identity
IDENT=${SEND_IDENT:-$(git -C "$REPO" var GIT_AUTHOR_IDENT 2>/dev/null | sed 's/ [0-9]* [-+][0-9]*$//' || :)}
IDENT=${IDENT:-$PLACEHOLDER} EMAIL=${IDENT##*<}
export GIT_AUTHOR_NAME=${IDENT% <*} GIT_AUTHOR_EMAIL=${EMAIL%>}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
sgit() { git -C "$SEND_TREE" -c advice.detachedHead=false "$@"; }
refuse_placeholder() {
	[[ $IDENT != "${PLACEHOLDER% <*} <"* && $IDENT != *"<${PLACEHOLDER#*<}" && $IDENT == *" <"*@*">" ]] ||
		die "the mails would be from '$IDENT' (the placeholder, or no address): set your git identity (git config user.name/user.email) or SEND_IDENT='Name <address>'"
}
commit_all() { sgit add -A && sgit commit -q -m "$1"; }
# usage: am_patches MSG PATCH...; git am onto HEAD as $IDENT (in From:, Signed-off-by:), or die MSG
am_patches() {
	local m=$1 && shift
	[ $# -gt 0 ] || die "$m: no patches"
	awk -v old="$PLACEHOLDER" -v new="$IDENT" '/^(From|Signed-off-by): / && (i = index($0, old)) {
		$0 = substr($0, 1, i - 1) new substr($0, i + length(old)) } 1' "$@" > "$SEND_DIR/am.mbox"
	sgit am -q --committer-date-is-author-date "$SEND_DIR/am.mbox" > "$SEND_DIR/am.log" 2>&1 ||
		{ sgit am --abort > /dev/null 2>&1; cat "$SEND_DIR/am.log" >&2; die "$m (git am, above)"; }
}
# The versions sent: testbed/send/versions, "N COMMIT" (send-email.sh --tag appends; tag series-vN)
sent_versions() { awk '/^[0-9]/ { print $1 }' "$TESTBED/send/versions"; }
# usage: version_patches P; write version P's patches to $SEND_DIR/vP.patches/, print their paths
version_patches() {
	local rev e d=$SEND_DIR/v$1.patches
	rev=$(awk -v p="$1" '$1 == p { print $2 }' "$TESTBED/send/versions")
	rm -rf "$d" && mkdir -p "$d"
	git -C "$REPO" show "${rev:-series-v$1}:series" | grep -v '^#' | while read -r e _; do
		[ -z "$e" ] || { git -C "$REPO" show "${rev:-series-v$1}:patches/$e" > "$d/$e" && echo "$d/$e"; }
	done
}
# usage: send_tree P|''; base again if the Debian version or file list changed; series (and vP) always
send_tree() {
	local f p v STAMP PREP SERIES OLD VP
	load_resolved "$PRIMARY_BASE"
	mkdir -p "$SEND_DIR"
	mapfile -t PREP < <(base_prep_patches "$PRIMARY_BASE")
	mapfile -t SERIES < <(project_patches)
	mapfile -t OLD < <(for v in $(sent_versions); do version_patches "$v"; done)
	{
		printf '%s\n' MAINTAINERS .mailmap COPYING CREDITS Kbuild Makefile README scripts/get_maintainer.pl \
			scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
		cd "$REPO" && sed -n 's|^--- a/||p; s|^+++ b/||p' "${PREP[@]}" "${SERIES[@]}" "${OLD[@]}"
	} | sort -u > "$SEND_DIR/files.txt"
	STAMP=$(cd "$REPO" && cat "$SEND_DIR/files.txt" "${PREP[@]}" | sha256sum)-$PKGVER
	if [ "$(cat "$SEND_DIR/base.stamp" 2>/dev/null)" != "$STAMP" ] || ! sgit rev-parse -q --verify base > /dev/null 2>&1; then
		rm -rf "$SEND_TREE" && mkdir -p "$SEND_TREE"
		[ "$(cat "$SRC_CACHE/.testbed-unpacked" 2>/dev/null)" = "$PKGVER" ] || die "no $SRC_PKG $PKGVER in $SRC_CACHE: run 'make apply'"
		(cd "$SRC_CACHE" && while read -r f; do [ ! -f "$f" ] || cp --parents "$f" "$SEND_TREE/"; done) < "$SEND_DIR/files.txt"
		git -C "$SEND_TREE" init -q -b series
		commit_all "base: Debian $SRC_PKG $PKGVER (the files the series needs)"
		for p in "${PREP[@]}"; do
			sgit apply "$REPO/$p" || die "prep patch $p does not apply: check it with 'make apply'"
			commit_all "prep: $p"
		done
		sgit tag base && echo "$STAMP" > "$SEND_DIR/base.stamp"
	fi
	sgit am --abort > /dev/null 2>&1 || :
	# get_maintainer.pl and checkpatch.pl recognise a kernel tree by these directories
	(cd "$SEND_TREE" && mkdir -p Documentation arch include drivers fs init ipc kernel lib scripts)
	if [ -n "${1:-}" ]; then
		sgit checkout -q -f -B "v$1" base
		mapfile -t VP < <(version_patches "$1")
		am_patches "version $1 (testbed/send/versions) does not apply to the base" "${VP[@]}"
	fi
	sgit checkout -q -f -B series base
	am_patches "./series does not apply to the base (+ prep)" "${SERIES[@]/#/$REPO/}"
	msg "send tree: base + ${#SERIES[@]} patches from $IDENT in $SEND_TREE"
}
