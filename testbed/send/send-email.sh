#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-email.sh N|kut [--send | --tag]
# git send-email --dry-run of send-format.sh's mails; --send sends (HEAD must hold ./series,
# patches/, kvm-unit-tests/), then tags HEAD series-vN and records it in testbed/send/versions;
# --tag only tags.  As git's sendemail-validate hook (a link so named): refuse a TODO, a template
# marker or the placeholder, a patch without its author's sign-off, a cover without base-commit.
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$(readlink -f "$0")")/send-lib.sh"

if [ "$(basename "$0")" = sendemail-validate ]; then
	M=$1
	if grep -n -e TODO -e '\*\*\* [A-Z]* HERE \*\*\*' -e "${PLACEHOLDER% <*}" -e "<${PLACEHOLDER#*<}" "$M" >&2; then
		die "refusing $M: a TODO, git's template marker or the placeholder $PLACEHOLDER (above)"
	fi
	if grep -q '^Subject: \[[^]]* 0/[0-9]*\]' "$M"; then
		grep -qE '^base-commit: [0-9a-f]{40}$' "$M" || die "refusing $M: no base-commit: <commit id>"
	else
		a=$(git mailinfo /dev/null /dev/null < "$M" | sed -n 's/^Email: //p')
		grep -q "^Signed-off-by: .*<$a>$" "$M" || die "refusing $M: no Signed-off-by: of its author <$a>"
	fi
	exit 0
fi
N=${1:-} MODE=${2:-}
[[ $N =~ ^([1-9][0-9]*|kut)$ && $MODE =~ ^(|--send|--tag)$ ]] || die "usage: $0 N|kut [--send | --tag]"
refuse_placeholder
if [ -n "$MODE" ] && [ -n "$(git -C "$REPO" status --porcelain -- series patches kvm-unit-tests)" ]; then
	die "./series, patches/ or kvm-unit-tests/ have uncommitted changes: commit what you send"
fi
if [ "$MODE" != --tag ]; then
	OUT=$SEND_DIR/v$N
	[ "$N" != kut ] || OUT=$SEND_DIR/kut SEND_TREE=$SEND_DIR/kut-tree
	mapfile -t MAILS < <(find "$OUT" -name '*.patch' 2>/dev/null | sort)
	[ ${#MAILS[@]} -gt 0 ] || die "no mails in $OUT: run 'make format-patch V=$N' first"
	mkdir -p "$SEND_DIR/hooks" && ln -sf "$TESTBED/send/send-email.sh" "$SEND_DIR/hooks/sendemail-validate"
	echo "=== from $IDENT, the sign-offs in the ${#MAILS[@]} mails:"
	grep -h '^Signed-off-by: ' "${MAILS[@]}" | sort | uniq -c
	SE=(git -C "$SEND_TREE" -c core.hooksPath="$SEND_DIR/hooks" send-email --from="$IDENT" --suppress-cc=self)
	[ "$MODE" = --send ] || SE+=(--dry-run --confirm=never)
	run_timeout 600 "${SE[@]}" --8bit-encoding=UTF-8 "${MAILS[@]}" || die "git send-email failed (above)"
	[ "$MODE" = --send ] || { msg "dry run: nothing was sent ('make send V=$N SEND=yes' sends)"; exit 0; }
fi
if [ "$N" != kut ]; then
	! git -C "$REPO" rev-parse -q --verify "refs/tags/series-v$N" > /dev/null || die "tag series-v$N exists already"
	git -C "$REPO" tag -a "series-v$N" -m "series v$N as sent" HEAD
	echo "$N $(git -C "$REPO" rev-parse HEAD)" >> "$TESTBED/send/versions"
	msg "tagged HEAD series-v$N, added to testbed/send/versions: commit that, push the tag"
fi
