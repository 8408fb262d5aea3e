#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: tag-series.sh N
# Tag the current commit of this repository as series-vN, the record of what version N of the
# series was (./series and patches/ at that commit); send-range-diff.sh and send-format.sh use
# it to compare later versions.  The commit is also appended to testbed/send/versions, for
# clones without the tag.  Refuses if the tag exists or ./series or patches/ have
# uncommitted changes, so that the tag holds exactly what was sent.
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"

N=${1:-}
check_version "$N"
git -C "$REPO" rev-parse -q --verify HEAD >/dev/null || die "this repository has no commit yet"
if git -C "$REPO" rev-parse -q --verify "refs/tags/series-v$N" >/dev/null; then
	die "tag series-v$N exists already (at $(git -C "$REPO" rev-parse --short "series-v$N^{commit}"))"
fi
if [ -n "$(git -C "$REPO" status --porcelain -- series patches)" ]; then
	git -C "$REPO" status --short -- series patches >&2
	die "./series or patches/ have uncommitted changes (above): commit them first"
fi
git -C "$REPO" tag -a "series-v$N" -m "series v$N as sent" HEAD
printf '%s %s\n' "$N" "$(git -C "$REPO" rev-parse HEAD)" >> "$TESTBED/send/versions"
msg "tagged $(git -C "$REPO" rev-parse --short HEAD) as series-v$N and recorded it in testbed/send/versions (commit that file; push the tag with the branch)"
