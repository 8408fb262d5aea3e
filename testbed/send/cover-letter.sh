#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: cover-letter.sh [--check | --subject | --blurb]
# patches/0000-cover-letter.patch has three parts: the mail header, the blurb (written by
# hand: motivation, design, evidence, how to reproduce) and a generated tail (the shortlog of
# the patches in ./series, in order, and the base-commit line from testbed/versions.conf).
#   (no option)  regenerate the tail and the "0/N" of the subject in place
#   --check      fail if the file differs from what regenerating would write
#   --subject    print the subject without the [PATCH ...] prefix (for send-format.sh)
#   --blurb      print the blurb (for send-format.sh)
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

MODE=${1:-}
case $MODE in ''|--check|--subject|--blurb) ;; *) die "usage: $0 [--check | --subject | --blurb]";; esac

COVER=$REPO/patches/0000-cover-letter.patch
[ -f "$COVER" ] || die "$COVER is missing; write the cover letter first (see README, 'Sending the series')"
if project_patches | grep -q '/0000-cover-letter\.patch$'; then
	die "./series lists the cover letter; remove it from ./series (it is not a patch)"
fi

mapfile -t SERIES < <(series_patch_files)
[ ${#SERIES[@]} -gt 0 ] || die "the series is empty: ./series lists no patches"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Shortlog like git's cover letter: authors sorted by name, their subjects in series order.
for p in "${SERIES[@]}"; do
	author=$(sed -n 's/^From: \(.*\) <.*/\1/p; /^$/q' "$REPO/$p" | head -n1)
	subject=$(patch_subject "$REPO/$p")
	if [ -z "$author" ] || [ -z "$subject" ]; then
		die "$p has no From: or Subject: header; make it with 'git format-patch'"
	fi
	printf '%s\t%s\n' "$author" "$subject"
done > "$WORK/list"

if [ -n "${MAINLINE_BASE:-}" ]; then
	BASE_LINE="base-commit: $MAINLINE_BASE"
else
	BASE_LINE="base-commit: TODO(lead): set MAINLINE_BASE in testbed/versions.conf"
fi

python3 - "$COVER" "$WORK/list" "${#SERIES[@]}" "$BASE_LINE" "${MODE:-write}" "$WORK/new" <<'EOF'
import re, sys
cover, listfile, count, base_line, mode, out = sys.argv[1:]
text = open(cover, encoding='utf-8').read()
head, sep, body = text.partition('\n\n')
if not sep or not re.search(r'^Subject: ', head, re.M):
    sys.exit('%s: no mail header (From:, Subject:) followed by an empty line' % cover)
# The generated tail starts at the shortlog header "Author Name (N):".
m = re.search(r'^\S[^\n]* \(\d+\):\n', body, re.M)
blurb = (body[:m.start()] if m else body).rstrip('\n')
subject = re.search(r'^Subject: (.*(?:\n[ \t].*)*)', head, re.M).group(1)
subject = re.sub(r'\n[ \t]+', ' ', subject)
subject = re.sub(r'^(\[[^]]*\] *)+', '', subject)
if mode == '--subject':
    print(subject)
    sys.exit(0)
if mode == '--blurb':
    print(blurb)
    sys.exit(0)

authors = {}
order = []
for line in open(listfile, encoding='utf-8').read().splitlines():
    a, s = line.split('\t', 1)
    if a not in authors:
        authors[a] = []
        order.append(a)
    authors[a].append(s)
tail = ''
for a in sorted(order):
    tail += '%s (%d):\n' % (a, len(authors[a]))
    tail += ''.join('  %s\n' % s for s in authors[a])
    tail += '\n'
tail += base_line + '\n'

# Keep the subject's own prefix and folding, only fix the 0/N count.
head = re.sub(r'^(Subject: \[[^]]*?)\b0/\d+\]', r'\g<1>0/%s]' % count, head, flags=re.M)
open(out, 'w', encoding='utf-8').write(head + '\n\n' + blurb + '\n\n' + tail)
EOF

case $MODE in
--subject|--blurb)
	;;
--check)
	if ! diff -u "$COVER" "$WORK/new" >&2; then
		die "patches/0000-cover-letter.patch does not list the patches of ./series (diff above): run 'make cover-letter'"
	fi
	msg "cover letter lists the ${#SERIES[@]} patches of ./series in order"
	;;
'')
	if cmp -s "$COVER" "$WORK/new"; then
		msg "cover letter already up to date (${#SERIES[@]} patches)"
	else
		cp "$WORK/new" "$COVER"
		msg "regenerated the patch list of patches/0000-cover-letter.patch (${#SERIES[@]} patches)"
	fi
	;;
esac
