#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check-send.sh
# Static check of the send flow, from a fresh state (its own $BUILD/send-check, the user's and
# the system's git configuration ignored): make the send tree, the v1 mails and the
# git send-email dry run, then verify
#   - one cover letter plus one mail per patch of ./series, subjects "[PATCH i/n] <subject of
#     the i-th patch>" in series order, the cover letter filled in (no git template markers),
#     one base-commit line;
#   - every message goes to kvm@vger.kernel.org, Sean Christopherson and Paolo Bonzini (the
#     KVM x86 maintainers), as found by get_maintainer.pl;
#   - git send-email only dry-ran (Dry-OK for every message, nothing sent);
#   - the b4 dry run (b4 prep + b4 send --dry-run) yields the same number of messages and the
#     same required recipients.
set -euo pipefail
export SEND_DIR=${SEND_CHECK_DIR:-${BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}/send-check}
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null SEND_ISOLATED=1
REQUIRED="kvm@vger.kernel.org seanjc@google.com pbonzini@redhat.com"
read -r -a REQUIRED_LIST <<< "$REQUIRED"

"$TESTBED/send/send-deps.sh"
msg "fresh send state in $SEND_DIR"
rm -rf "$SEND_DIR"
mkdir -p "$SEND_DIR"
LOG=$SEND_DIR/check-send.log

"$TESTBED/send/send-format.sh" 1
OUT=$(version_dir 1)
mapfile -t SERIES < <(series_patch_files)
mapfile -t MAILS < <(find "$OUT" -maxdepth 1 -name '*.patch' | sort)
n=${#SERIES[@]}
fail=0
bad() { warn "$*"; fail=1; }

[ ${#MAILS[@]} -eq $((n + 1)) ] || bad "expected $((n + 1)) mails in $OUT, found ${#MAILS[@]}"
for i in $(seq 0 "$n"); do
	m=${MAILS[$i]:-}
	[ -n "$m" ] || continue
	if [ "$i" = 0 ]; then
		want="[PATCH 0/$n] $("$TESTBED/send/cover-letter.sh" --subject)"
	else
		want="[PATCH $i/$n] $(patch_subject "$REPO/${SERIES[$((i - 1))]}")"
	fi
	got=$(mail_subject "$m")
	[ "$got" = "$want" ] || bad "$(basename "$m"): subject '$got', expected '$want'"
done
COVER=${MAILS[0]}
if grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$COVER"; then
	bad "the cover letter still has git's template markers"
fi
[ "$(grep -c '^base-commit: ' "$COVER")" = 1 ] || bad "the cover letter must have exactly one base-commit line"

msg "git send-email --dry-run"
"$TESTBED/send/send-email.sh" 1 > "$LOG" 2>&1 || { cat "$LOG" >&2; die "send-email.sh dry run failed"; }
ok=$(grep -c '^Dry-OK\. Log says:' "$LOG" || true)
[ "$ok" = $((n + 1)) ] || bad "git send-email dry run reported $ok Dry-OK messages, expected $((n + 1)) (log: $LOG)"
if grep -q '^OK\. Log says:\|^Sent ' "$LOG"; then
	bad "git send-email reports a real send in $LOG"
fi
# Per message: the RCPT TO lines between one "Dry-OK. Log says:" and the next.
for a in $REQUIRED; do
	c=$(awk -v a="RCPT TO:<$a>" '/^Dry-OK\. Log says:/ { if (m) n += hit; m = 1; hit = 0 }
		index($0, a) == 1 { hit = 1 } END { if (m) n += hit; print n + 0 }' "$LOG")
	[ "$c" = $((n + 1)) ] || bad "$a is a recipient of $c of the $((n + 1)) messages (log: $LOG)"
done

msg "b4 send --dry-run"
"$TESTBED/send/send-b4.sh" 1 > "$SEND_DIR/check-b4.log" 2>&1 ||
	{ cat "$SEND_DIR/check-b4.log" >&2; die "send-b4.sh dry run failed"; }
B4=$OUT/b4-dry-run.txt
c=$(grep -c -- '--- DRYRUN: message follows ---' "$B4" || true)
[ "$c" = $((n + 1)) ] || bad "b4 dry run made $c messages, expected $((n + 1)) ($B4)"
# Per message: the unfolded To: and Cc: headers.
python3 - "$B4" "${REQUIRED_LIST[@]}" > "$SEND_DIR/check-b4.missing" <<'EOF'
import sys
text = open(sys.argv[1], encoding='utf-8').read()
for i, msg in enumerate(text.split('--- DRYRUN: message follows ---')[1:]):
    hdr = []
    for line in msg.split('\n'):
        if not line.startswith('    |'):
            continue
        line = line[6:]
        if line.strip() == '':
            break
        if line.startswith((' ', '\t')) and hdr:
            hdr[-1] += line
        else:
            hdr.append(line)
    rcpt = ' '.join(h for h in hdr if h.lower().startswith(('to:', 'cc:'))).lower()
    for a in sys.argv[2:]:
        if a.lower() not in rcpt:
            print('message %d: %s missing from To/Cc' % (i, a))
EOF
if [ -s "$SEND_DIR/check-b4.missing" ]; then
	cat "$SEND_DIR/check-b4.missing" >&2
	bad "b4 dry run: required recipients missing (above; $B4)"
fi

[ $fail = 0 ] || die "send check failed (details above)"
msg "send check passed: $((n + 1)) mails, each to ${REQUIRED// /, }; nothing was sent"
