#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-email.sh N|kut [--send]
# Show what 'git send-email' would send for version N of the series (the mails made by
# send-format.sh in $BUILD/send/vN/): the mails, their recipients and git send-email --dry-run's
# report of every message.  Nothing is sent unless --send is given, and --send refuses while
# the mails still hold placeholders (TODO(lead), MAINLINE_BASE unset, example.org sender).
# "kut": the kvm-unit-tests mails of send-kut.sh in $BUILD/send/kut/, dry run only.
# Environment: SEND_FROM (sender, default the placeholder identity), SEND_SHOW_MAILS=1 (print
# the full text of every mail too), SEND_ISOLATED=1 (ignore the user's and the system's git
# configuration, as the static check does).
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

N=${1:-}
SEND=0
case ${2:-} in
--send) SEND=1;;
'') ;;
*) die "usage: $0 N|kut [--send]";;
esac
if [ "$N" = kut ]; then
	[ $SEND = 0 ] || die "the kvm-unit-tests mails are dry-run only here"
	OUT=$SEND_DIR/kut FMT="make format-patch-kut" HINT=""
else
	check_version "$N"
	OUT=$(version_dir "$N") FMT="make format-patch V=$N" HINT=" (to send: 'make send V=$N SEND=yes')"
fi
FROM=${SEND_FROM:-$SEND_IDENT}

git send-email --help >/dev/null 2>&1 ||
	die "git send-email is not installed (Debian package git-email): run 'make send-deps'"
mapfile -t MAILS < <(find "$OUT" -maxdepth 1 -name '*.patch' 2>/dev/null | sort)
[ ${#MAILS[@]} -gt 0 ] || die "no mails in $OUT: run '$FMT' first"

if [ "${SEND_ISOLATED:-0}" = 1 ]; then
	export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
fi
# git send-email asks git for the committer identity: make it the sender.
SEND_IDENT=$FROM
GIT_COMMITTER_NAME=$(ident_name)
GIT_COMMITTER_EMAIL=$(ident_email)
GIT_AUTHOR_NAME=$GIT_COMMITTER_NAME GIT_AUTHOR_EMAIL=$GIT_COMMITTER_EMAIL
export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL

# Thread: every patch in reply to the cover letter (git send-email's default, spelt out).
OPTS=(--from="$FROM" --confirm=never --thread --no-chain-reply-to --suppress-cc=self
	--8bit-encoding=UTF-8 --transfer-encoding=8bit)

echo "=== git send-email plan for $(basename "$OUT"): ${#MAILS[@]} mails from $OUT"
echo "From: $FROM"
echo "To:   $(paste -sd, "$OUT/to.txt" | sed 's/,/, /g')"
echo "Cc:   $(paste -sd, "$OUT/cc.txt" | sed 's/,/, /g')"
for m in "${MAILS[@]}"; do
	printf '  %s\n      %s\n' "$(basename "$m")" "$(mail_subject "$m")"
done
if [ "${SEND_SHOW_MAILS:-0}" = 1 ]; then
	for m in "${MAILS[@]}"; do
		echo "=== $(basename "$m")"
		cat "$m"
	done
fi

echo "=== git send-email --dry-run ${OPTS[*]}"
run_timeout 300 git send-email --dry-run "${OPTS[@]}" "${MAILS[@]}" ||
	die "git send-email --dry-run failed (output above)"

if [ $SEND = 0 ]; then
	msg "dry run only: nothing was sent$HINT"
	exit 0
fi

# Refuse to mail placeholders.
if grep -l 'TODO(lead)' "${MAILS[@]}" >&2; then
	die "the mails above still contain TODO(lead) (e.g. the evidence table or base-commit); fill them in, 'make format-patch V=$N' and try again"
fi
case $FROM in
*@example.org*) die "the sender is the placeholder '$FROM': pass SEND_FROM='Your Name <you@example.com>'";;
esac
[ -n "${MAINLINE_BASE:-}" ] || die "MAINLINE_BASE is not set in testbed/versions.conf"
msg "sending ${#MAILS[@]} mails for v$N with git send-email (your sendemail.* configuration)"
run_timeout 600 git send-email "${OPTS[@]}" "${MAILS[@]}"
msg "sent v$N; tag the commit that holds these patches: 'make tag-series V=$N'"
