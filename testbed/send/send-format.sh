#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-format.sh N
# Make the mails of version N of the series in $BUILD/send/vN/ from the send tree:
#   git format-patch --cover-letter [-v N] --base=base --to=... --cc=... base..series
# with To: = the maintainers (M:) and Cc: = the lists (L:) and reviewers (R:) that
# scripts/get_maintainer.pl finds for the patches, git's cover letter template filled from
# patches/0000-cover-letter.patch, and the base-commit line naming MAINLINE_BASE
# (testbed/versions.conf).  For N > 1, when the tag series-v(N-1) exists, git appends a
# range-diff against that version to the cover letter.
# Environment: SEND_PREFIX (default PATCH, e.g. "RFC PATCH"), SEND_EXCLUDE (addresses to drop
# from To/Cc, space-separated), SEND_TO_EXTRA / SEND_CC_EXTRA (addresses to add, comma-separated).
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

N=${1:-}
check_version "$N"
OUT=$(version_dir "$N")

"$TESTBED/send/send-tree.sh"
need_send_tree
"$TESTBED/send/cover-letter.sh" --check

mapfile -t SERIES < <(series_patch_files)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

msg "recipients: scripts/get_maintainer.pl over the ${#SERIES[@]} patches"
series_recipients "$WORK" "${SERIES[@]/#/$REPO/}"
[ -s "$WORK/to" ] || die "get_maintainer.pl found no maintainer for the series; see $WORK"
if ! grep -qiF 'kvm@vger.kernel.org' "$WORK/cc"; then
	die "kvm@vger.kernel.org is not among the recipients get_maintainer.pl found; is MAINTAINERS in $SEND_TREE complete?"
fi

ARGS=(--cover-letter --base=base --no-signature -o "$WORK/out"
	--subject-prefix="${SEND_PREFIX:-PATCH}")
[ "$N" -gt 1 ] && ARGS+=(-v "$N")
while read -r a; do ARGS+=(--to="$a"); done < "$WORK/to"
while read -r a; do ARGS+=(--cc="$a"); done < "$WORK/cc"

if [ "$N" -gt 1 ]; then
	P=$((N - 1))
	if prev_version_branch "$P"; then
		ARGS+=(--range-diff="base..v$P" --creation-factor=80)
		msg "adding a range-diff against v$P (series-v$P) to the cover letter"
	else
		warn "no range-diff: series-v$P is unknown (no tag, no testbed/send/versions entry) or its patches do not apply to the base"
	fi
fi

sgit checkout -q series
msg "git format-patch ${ARGS[*]:0:3} ... base..series"
sgit format-patch "${ARGS[@]}" base..series > "$WORK/files"

COVER_MAIL=$(head -n1 "$WORK/files")
case $COVER_MAIL in */*0000-cover-letter.patch) ;; *) die "git format-patch made no cover letter";; esac
"$TESTBED/send/cover-letter.sh" --subject > "$WORK/subject"
"$TESTBED/send/cover-letter.sh" --blurb > "$WORK/blurb"
if [ -n "${MAINLINE_BASE:-}" ]; then
	echo "base-commit: $MAINLINE_BASE" > "$WORK/base"
else
	echo "base-commit: TODO(lead): set MAINLINE_BASE in testbed/versions.conf" > "$WORK/base"
fi

python3 - "$COVER_MAIL" "$WORK/subject" "$WORK/blurb" "$WORK/base" <<'EOF'
import re, sys
mail, subj, blurb, base = sys.argv[1:]
text = open(mail, encoding='utf-8').read()
subject = open(subj, encoding='utf-8').read().strip()
for marker, value in (('*** SUBJECT HERE ***', subject),
                      ('*** BLURB HERE ***', open(blurb, encoding='utf-8').read().rstrip('\n'))):
    if text.count(marker) != 1:
        sys.exit('%s: expected one %r in git\'s cover letter template' % (mail, marker))
    text = text.replace(marker, value)
# The local base is Debian's tree; name the mainline commit the series targets instead.
text, n = re.subn(r'^base-commit: [0-9a-f]{40}\n', open(base).read(), text, flags=re.M)
if n != 1:
    sys.exit('%s: expected one base-commit line' % mail)
text = re.sub(r'^prerequisite-patch-id: .*\n', '', text, flags=re.M)
# A long subject must be folded like git folds headers (RFC 5322 line length).
def fold(m):
    words, lines, cur = m.group(1).split(' '), [], 'Subject:'
    for w in words:
        if len(cur) + 1 + len(w) > 78 and cur != 'Subject:':
            lines.append(cur)
            cur = ''
        cur += ' ' + w
    lines.append(cur)
    return '\n'.join(lines) + '\n'
text = re.sub(r'^Subject: (.*)\n', fold, text, count=1, flags=re.M)
open(mail, 'w', encoding='utf-8').write(text)
EOF

rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$WORK/out" "$OUT"
cp "$WORK/to" "$OUT/to.txt"
cp "$WORK/cc" "$OUT/cc.txt"
cp "$WORK/roles" "$OUT/get_maintainer.txt"
NMAIL=$(find "$OUT" -name '*.patch' | wc -l)
[ "$NMAIL" -eq $((${#SERIES[@]} + 1)) ] ||
	die "expected ${#SERIES[@]} patches and a cover letter in $OUT, found $NMAIL mails"
msg "v$N: $NMAIL mails in $OUT (To: $(wc -l < "$OUT/to.txt"), Cc: $(wc -l < "$OUT/cc.txt"))"
