# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # variables used by the scripts that source this file
#
# Helpers of the send tooling (send-*.sh, cover-letter.sh, maintainers-snippet.sh); sourced,
# never run.  Sources lib.sh for msg/die/paths.
#
# The send tree, $BUILD/send/tree, is a small git repository:
#   tag base     Debian linux-source of the primary base (only the files listed by send_tree_files)
#                with its prep patches (testbed/bases/BASE/prep) applied, one commit each
#   branch series  base + the project's series, applied with git am (one commit per patch)
# Only the files the patches touch, plus what get_maintainer.pl and checkpatch.pl need, are
# taken from the base: diffs, format-patch output and get_maintainer.pl results are the same
# as in a full tree, at a fraction of the cost.

# shellcheck source=testbed/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SEND_DIR=${SEND_DIR:-$BUILD/send}
SEND_TREE=$SEND_DIR/tree
SEND_IDENT=${SEND_IDENT:-Lapic Timer Team <lapic-timer@example.org>}
# Fixed dates for the base commits so that the tree, and what is made from it, is reproducible.
SEND_BASE_DATE='2000-01-01T00:00:00Z'

# Files taken from the base besides those the patches touch.
SEND_EXTRA_FILES="MAINTAINERS .mailmap COPYING CREDITS Kbuild Makefile README
scripts/get_maintainer.pl scripts/checkpatch.pl scripts/spelling.txt
scripts/const_structs.checkpatch"
# Directories get_maintainer.pl and checkpatch.pl look for to recognise a kernel tree.
SEND_TREE_DIRS="Documentation arch include drivers fs init ipc kernel lib scripts"

# The series' patch files (paths relative to $REPO), without a cover letter it may list.
series_patch_files() {
	project_patches | grep -v '/0000-cover-letter\.patch$' || true
}

# Paths (relative to the tree root) that the given patch files touch, old and new names.
patch_touched_files() {
	awk '
	function strip(p) { sub(/^[^\/]*\//, "", p); return p }
	/^--- / {
		old = $2
		if ((getline nxt) <= 0) exit
		if (nxt !~ /^\+\+\+ /) next
		split(nxt, f, /[ \t]+/)
		if (old != "/dev/null") print strip(old)
		if (f[2] != "/dev/null") print strip(f[2])
	}' "$@" | sort -u
}

# The subject of a mail, unfolded.
mail_subject() {
	awk '
	/^Subject: / { s = substr($0, 10); insub = 1; next }
	insub && /^[ \t]/ { sub(/^[ \t]+/, " "); s = s $0; next }
	insub { exit }
	/^$/ { exit }
	END { print s }' "$1"
}

# The subject of a mail-format patch: unfolded, without the [PATCH ...] prefix.
patch_subject() {
	mail_subject "$1" | sed -E 's/^(\[[^]]*\] *)+//'
}

# Name and address of $SEND_IDENT ("Name <address>").
ident_name()  { echo "${SEND_IDENT%% <*}"; }
ident_email() { local e=${SEND_IDENT##*<}; echo "${e%>}"; }

# git in the send tree with the placeholder identity.
sgit() {
	local name email
	name=$(ident_name)
	email=$(ident_email)
	GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email \
	GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email \
		git -C "$SEND_TREE" -c core.autocrlf=false -c advice.detachedHead=false "$@"
}

# Abort with a hint unless the send tree is built.
need_send_tree() {
	if ! git -C "$SEND_TREE" rev-parse -q --verify refs/tags/base >/dev/null 2>&1 ||
	   ! git -C "$SEND_TREE" rev-parse -q --verify refs/heads/series >/dev/null 2>&1; then
		die "no send tree in $SEND_TREE: run 'make send-tree' first"
	fi
}

# The version number given as V=N (1, 2, ...).
check_version() {
	case ${1:-} in
	''|*[!0-9]*|0*) die "give the series version as a positive number, e.g. 'make format-patch V=1'";;
	esac
}

# Directory of the generated mails of version $1.
version_dir() { echo "$SEND_DIR/v$1"; }

# Fail with a hint when a tool is missing; CI installs them with 'make send-deps'.
need_tool() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' is not installed (Debian package $2): run 'make send-deps' or 'apt-get install $2'"
}

# usage: series_recipients DIR PATCH...
# Ask scripts/get_maintainer.pl (in the send tree, i.e. the base's MAINTAINERS) about the
# patches and write DIR/to (maintainers), DIR/cc (lists and reviewers) and DIR/roles (the
# default report with roles, for review), one entry a line.  SEND_EXCLUDE drops addresses,
# SEND_TO_EXTRA / SEND_CC_EXTRA (comma-separated) add some.  Fixes: authors are not looked up:
# the commits are not in the send tree (add them with SEND_CC_EXTRA).
series_recipients() {
	local dir=$1 gm x
	shift
	gm=(perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-fixes --no-tree)
	(cd "$SEND_TREE" && run_timeout 120 "${gm[@]}" "$@") > "$dir/roles" ||
		die "get_maintainer.pl failed in $SEND_TREE"
	(cd "$SEND_TREE" && run_timeout 120 "${gm[@]}" --no-rolestats --m --no-r --no-l "$@") > "$dir/to.all"
	(cd "$SEND_TREE" && run_timeout 120 "${gm[@]}" --no-rolestats --no-m --r --l "$@") > "$dir/cc.all"
	tr ',' '\n' <<< "${SEND_TO_EXTRA:-}" | sed 's/^ *//; s/ *$//' | grep -v '^$' >> "$dir/to.all" || true
	tr ',' '\n' <<< "${SEND_CC_EXTRA:-}" | sed 's/^ *//; s/ *$//' | grep -v '^$' >> "$dir/cc.all" || true
	for x in to cc; do
		awk -v excl="${SEND_EXCLUDE:-}" '
		BEGIN { n = split(tolower(excl), e, /[ \t]+/) }
		{
			a = tolower($0)
			for (i = 1; i <= n; i++) if (e[i] != "" && index(a, e[i])) next
			if (!seen[a]++) print
		}' "$dir/$x.all" > "$dir/$x"
	done
	# An address in To: is not repeated in Cc:.
	grep -vxF -f "$dir/to" "$dir/cc" > "$dir/cc.tmp" || true
	mv "$dir/cc.tmp" "$dir/cc"
}

# usage: version_commit P
# Print the commit of this repository that held version P of the series: tag series-vP or,
# where tags did not travel (e.g. a clone without them), the commit testbed/send/versions
# records for P (lines "P COMMIT", written by tag-series.sh).  Fails if neither exists.
version_commit() {
	local p=$1 c
	if git -C "$REPO" rev-parse -q --verify "refs/tags/series-v$p^{commit}" 2>/dev/null; then
		return 0
	fi
	c=$(awk -v p="$p" '$1 == p { print $2 }' "$TESTBED/send/versions" 2>/dev/null | tail -n 1)
	[ -n "$c" ] && git -C "$REPO" rev-parse -q --verify "$c^{commit}" 2>/dev/null
}

# usage: version_patches_to_dir P DIR
# Write the patches of version P of the series (see version_commit) to DIR as 0001, 0002, ...
# in series order.  Fails if P is unknown, lists no patch, or a listed patch is missing.
version_patches_to_dir() {
	local p=$1 dir=$2 rev e i=0
	rev=$(version_commit "$p") || return 1
	git -C "$REPO" show "$rev:series" > "$dir/series" 2>/dev/null || return 1
	while read -r e _; do
		case $e in ''|'#'*|*0000-cover-letter.patch) continue;; esac
		i=$((i + 1))
		git -C "$REPO" show "$rev:patches/$e" > "$dir/$(printf '%04d' "$i")" 2>/dev/null ||
			git -C "$REPO" show "$rev:$e" > "$dir/$(printf '%04d' "$i")" 2>/dev/null || return 1
	done < "$dir/series"
	rm -f "$dir/series"
	[ "$i" -gt 0 ]
}

# usage: version_patches_text P
# Print the patches of version P of the series concatenated, or nothing.
version_patches_text() {
	local tmp
	tmp=$(mktemp -d)
	version_patches_to_dir "$1" "$tmp" && cat "$tmp"/0*
	rm -rf "$tmp"
}

# usage: versions_sent
# Print the version numbers of the series recorded as sent (tags series-vN, testbed/send/versions).
versions_sent() {
	{
		git -C "$REPO" tag -l 'series-v*' | sed 's/^series-v//'
		awk '$1 ~ /^[0-9]+$/ { print $1 }' "$TESTBED/send/versions" 2>/dev/null
	} | grep -E '^[0-9]+$' | sort -un
}

# usage: prev_version_branch P
# Make branch vP in the send tree from the patches of tag series-vP of this repository (see
# README, 'Sending the series'), applied to the base with git am.  Fails if there is no such
# tag or its patches do not apply.  Leaves the series branch checked out.
prev_version_branch() {
	local p=$1 tmp rc=0
	tmp=$(mktemp -d)
	version_patches_to_dir "$p" "$tmp" || { rm -rf "$tmp"; return 1; }
	sgit checkout -q -B "v$p" base
	sgit am -q -3 --committer-date-is-author-date "$tmp"/0* >/dev/null 2>&1 || { sgit am --abort >/dev/null 2>&1; rc=1; }
	sgit checkout -q series
	rm -rf "$tmp"
	return $rc
}
