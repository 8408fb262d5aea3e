#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check-send.sh [cover]
# The send flow in a fresh $BUILD/send/check, git's configuration ignored: refusals, the next
# version's mails (throwaway identity, local base), git send-email --dry-run, recipients, kut.
# cover: the cover letter has no TODO, a base-commit: tag or id, the shortlog of ./series.
set -euo pipefail
export SEND_DIR=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}/send/check
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null SEND_IDENT='Send Check <send-check@kernel.invalid>'
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"
rm -rf "$SEND_DIR" && mkdir -p "$SEND_DIR"
mapfile -t PATCHES < <(project_patches)
n=${#PATCHES[@]}
if [ "${1:-}" = cover ]; then
	C=$REPO/patches/0000-cover-letter.patch
	! grep -n TODO "$C" >&2 || die "the cover letter has a TODO (above)"
	grep -qE '^base-commit: (v[0-9][0-9a-z.-]*|[0-9a-f]{40})$' "$C" || die "the cover letter needs 'base-commit: v$PRIMARY_BASE' (a tag) or a commit id"
	for ((i = n - 1; i >= 0; i--)); do # git shortlog reads git log's output, newest first
		git mailinfo /dev/null /dev/null < "$REPO/${PATCHES[$i]}" | awk '/^Author: / { a = substr($0, 9) }
			/^Email: / { e = $2 } /^Subject: / { printf "commit 0\nAuthor: %s <%s>\n\n    %s\n\n", a, e, substr($0, 10) }'
	done | git shortlog -w0,2 > "$SEND_DIR/shortlog"
	awk '/^[^ ].* \([0-9]+\):$/ { p = 1 } p && !/^base-commit: /' "$C" | diff -u - "$SEND_DIR/shortlog" >&2 ||
		die "the cover letter's patch list is not the shortlog of ./series (+ in the diff above)"
	exec echo "cover letter: the $n patches of ./series, base-commit: $(sed -n 's/^base-commit: //p' "$C")"
fi
S=$TESTBED/send V=$(($(sent_versions | tail -n1) + 1)) fail=0
bad() { warn "$*"; fail=1; }
! SEND_IDENT=$PLACEHOLDER "$S/send-format.sh" "$V" 2>/dev/null || bad "the placeholder identity was not refused"
! BASE_COMMIT='' LINUX_GIT='' "$S/send-format.sh" "$V" 2>/dev/null || bad "no base commit was not refused"
send_tree ''
BASE_COMMIT=$(sgit rev-parse base) LINUX_GIT='' "$S/send-format.sh" "$V"
"$S/send-email.sh" "$V" > "$SEND_DIR/dry-run.log" 2>&1 || { cat "$SEND_DIR/dry-run.log" >&2; die "send-email.sh $V failed"; }
mapfile -t MAILS < <(find "$SEND_DIR/v$V" -name '*.patch' | sort)
[ ${#MAILS[@]} = $((n + 1)) ] || bad "${#MAILS[@]} mails, expected $((n + 1))"
for i in $(seq 0 "$n"); do
	[ "$i" = 0 ] && p=patches/0000-cover-letter.patch || p=${PATCHES[$((i - 1))]}
	want="[PATCH v$V $i/$n] $(git mailinfo /dev/null /dev/null < "$REPO/$p" | sed -n 's/^Subject: //p')"
	[ "$(git mailinfo -k /dev/null /dev/null < "${MAILS[$i]}" | sed -n 's/^Subject: //p')" = "$want" ] || bad "mail $i: not '$want'"
	[ "$(git mailinfo /dev/null /dev/null < "${MAILS[$i]}" | sed -n 's/^Email: //p')" = "$GIT_AUTHOR_EMAIL" ] || bad "mail $i: not from $IDENT"
	[ "$i" = 0 ] || grep -qx "Signed-off-by: $IDENT" "${MAILS[$i]}" || bad "mail $i: no Signed-off-by: $IDENT"
done
[ "$(grep -c '^Dry-OK' "$SEND_DIR/dry-run.log")" = $((n + 1)) ] || bad "git send-email: not $((n + 1)) times Dry-OK"
! grep -q '^OK\. Log says:\|^Sent ' "$SEND_DIR/dry-run.log" || bad "git send-email reports a real send"
for a in kvm@vger.kernel.org seanjc@google.com pbonzini@redhat.com; do
	c=$(awk -v a="RCPT TO:<$a>" '/^Dry-OK/ { n += hit; hit = 0 } index($0, a) == 1 { hit = 1 } END { print n + hit }' "$SEND_DIR/dry-run.log")
	[ "$c" = $((n + 1)) ] || bad "$a receives $c of the $((n + 1)) messages"
done
sed 's/^base-commit: .*/base-commit: TODO/' "${MAILS[0]}" > "$SEND_DIR/hooks/todo.patch"
! "$SEND_DIR/hooks/sendemail-validate" "$SEND_DIR/hooks/todo.patch" 2>/dev/null || bad "the validate hook let a TODO through"
{ "$S/send-format.sh" kut && "$S/send-email.sh" kut; } > "$SEND_DIR/kut.log" 2>&1 || bad "kvm-unit-tests mail: see $SEND_DIR/kut.log"
[ $fail = 0 ] || die "send check failed (above; logs in $SEND_DIR)"
echo "send check: v$V, $((n + 1)) mails from $IDENT to kvm@vger.kernel.org, Sean and Paolo; dry runs only"
