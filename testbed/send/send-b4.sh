#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-b4.sh N
# The b4 alternative to send-email.sh: enroll a clone of the send tree's series branch with
# 'b4 prep', write the cover letter (subject and blurb from patches/0000-cover-letter.patch,
# To:/Cc: trailers from the same get_maintainer.pl run as send-format.sh) and print
# 'b4 send --dry-run', i.e. every message b4 would send.  Never sends.  Everything works
# offline.  Note: b4 names the local base (Debian linux-source of the primary base) in base-commit; the mails
# made by 'make format-patch' name MAINLINE_BASE instead, so send those ('make send').
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

N=${1:-}
check_version "$N"
need_tool b4 b4
OUT=$(version_dir "$N")
B4TREE=$SEND_DIR/b4-v$N

# Recipients and checks of the cover letter come from the format step.
"$TESTBED/send/send-format.sh" "$N"

msg "cloning the send tree into $B4TREE for b4 prep"
rm -rf "$B4TREE"
git clone -q --no-local -b series "$SEND_TREE" "$B4TREE"
git -C "$B4TREE" fetch -q origin 'refs/tags/base:refs/tags/base'
git -C "$B4TREE" checkout -q -b b4/apic-timer
git -C "$B4TREE" config user.name "$(ident_name)"
git -C "$B4TREE" config user.email "$(ident_email)"
for d in $SEND_TREE_DIRS; do mkdir -p "$B4TREE/$d"; done

REV=()
[ "$N" -gt 1 ] && REV=(--force-revision "$N")
(cd "$B4TREE" && run_timeout 120 b4 prep "${REV[@]}" -e base) > "$OUT/b4-prep.log" 2>&1 ||
	{ cat "$OUT/b4-prep.log" >&2; die "b4 prep --enroll failed (log above)"; }

COVER=$(mktemp)
trap 'rm -f "$COVER"' EXIT
{
	"$TESTBED/send/cover-letter.sh" --subject
	echo
	"$TESTBED/send/cover-letter.sh" --blurb
	echo
	sed 's/^/To: /' "$OUT/to.txt"
	sed 's/^/Cc: /' "$OUT/cc.txt"
} > "$COVER"
(cd "$B4TREE" && EDITOR="cp $COVER" GIT_EDITOR="cp $COVER" run_timeout 120 b4 prep --edit-cover) \
	>> "$OUT/b4-prep.log" 2>&1 ||
	{ cat "$OUT/b4-prep.log" >&2; die "b4 prep --edit-cover failed (log above)"; }

msg "b4 send --dry-run (nothing is sent)"
(cd "$B4TREE" && run_timeout 300 b4 send --dry-run --no-sign --not-me-too) > "$OUT/b4-dry-run.txt" 2>&1 ||
	{ cat "$OUT/b4-dry-run.txt" >&2; die "b4 send --dry-run failed (output above)"; }
cat "$OUT/b4-dry-run.txt"
msg "b4 dry run of v$N: $(grep -c -- '--- DRYRUN: message follows ---' "$OUT/b4-dry-run.txt") messages; kept in $OUT/b4-dry-run.txt"
