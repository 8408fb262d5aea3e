#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-trailers.sh MBOX
# 'b4 trailers -u' for the quilt series: each mail of MBOX (an mbox or one saved mail) whose
# subject has [PATCH ... i/n] adds its own (unquoted) Reviewed-by:, Acked-by:, Tested-by: ...
# lines to patch i of ./series (0/n: to every patch) with git interpret-trailers, unless there.
set -euo pipefail
# shellcheck source=testbed/send/send-lib.sh
. "$(dirname "$0")/send-lib.sh"
[ -f "${1:-}" ] || die "usage: make trailers REPLY=FILE (the replies, an mbox or a mail)"
mapfile -t PATCHES < <(project_patches)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
{ head -n1 "$1" | grep -q '^From ' || echo 'From trailers Mon Sep 17 00:00:00 2001'; cat "$1"; } > "$T/in"
git mailsplit -o"$T" "$T/in" > /dev/null
for m in "$T"/[0-9]*; do
	s=$(git mailinfo -k "$T/msg" /dev/null < "$m" | sed -n 's/^Subject: //p')
	[[ $s =~ \[[^]]*\ ([0-9]+)/${#PATCHES[@]}\] ]] || { warn "skipping '$s': no [PATCH i/${#PATCHES[@]}]"; continue; }
	i=${BASH_REMATCH[1]}
	grep -E '^(Reviewed|Acked|Tested|Reported|Suggested)-by: [^<]+<[^>]+@[^>]+>' "$T/msg" | while read -r t; do
		for p in "${PATCHES[@]}"; do
			[ "$i" = 0 ] || [ "$p" = "${PATCHES[i - 1]}" ] || continue
			grep -qxF "$t" "$REPO/$p" || { git interpret-trailers --in-place --trailer "$t" "$REPO/$p" && msg "$p: $t"; }
		done
	done || :
done
