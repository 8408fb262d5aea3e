#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check/numbers.sh [--update [FILE...]]
# make check-numbers: every number the documents quote from the bench, the parking designs, the
# selftest runs and race-park agrees with its source: the tracked CSVs of testbed/results/bench/
# (written by make bench / make bench-publish), testbed/results/designs.txt, race.txt and
# selftest-flakiness.txt; never a fresh run. Static: nothing is booted or measured.
#  - README.md, testbed/bench/README.md: the lines between "<!-- results:NAME -->" and
#    "<!-- /results:NAME -->" (blank lines around them aside) must be what
#    testbed/bench/tables.sh NAME prints; every table that tables.sh --list names must be in
#    at least one such block, and every block must name one of them.
#  - patches/0000-cover-letter.patch (a mail: no markers): each table that tables.sh prints
#    for a name cover-* (cover-letter: host work per pause; cover-designs: the alternatives,
#    from testbed/results/designs.txt), found by its first line, up to the next blank line.
#  - testbed/bench/resume-cost.png: testbed/bench/resume-cost.png.sum holds the sha256 of the
#    plot's data (plot.sh --data, from testbed/results/bench/sweep.csv) and of the PNG.
# A block that disagrees is shown as a diff (-: the document, +: generated). --update rewrites
# the blocks, the cover letter's table and, if its data changed, the plot (gnuplot); with
# FILEs (paths from the repository's root), only those documents (the plot: resume-cost.png).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

UPDATE=0
declare -A ONLY=()
case ${1:-} in
'') [ $# -eq 0 ] || die "usage: numbers.sh [--update [FILE...]]";;
--update)
	UPDATE=1
	shift
	for f in "$@"; do ONLY[${f#./}]=1; done;;
*) die "usage: numbers.sh [--update [FILE...]]";;
esac
# usage: updating FILE; true if --update rewrites FILE
updating() { [ $UPDATE = 1 ] && { [ ${#ONLY[@]} = 0 ] || [ -n "${ONLY[$1]:-}" ]; }; }
DOCS=(README.md testbed/bench/README.md)
COVER=patches/0000-cover-letter.patch
TABLES=$TESTBED/bench/tables.sh
SUM=$TESTBED/bench/resume-cost.png.sum
cd "$REPO"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

bad=0
# usage: fail MESSAGE; one problem (the check goes on to show every one)
fail() { echo "check-numbers: $*" >&2; bad=1; }

mapfile -t NAMES < <("$TABLES" --list | cut -d' ' -f1)
[ ${#NAMES[@]} -gt 0 ] || die "no tables: testbed/results/bench/ has no CSVs; run 'make bench' or 'make bench-publish'"
for n in "${NAMES[@]}"; do
	"$TABLES" "$n" > "$W/$n.gen" || die "tables.sh $n failed"
done

# usage: blocks DOC; "LINE NAME" of every opening marker of DOC; fails on a marker without
# its closing one, a nested or stray closing marker
blocks() {
	awk -v doc="$1" '
	match($0, /^<!-- (\/)?results:[A-Za-z0-9_-]+ -->$/) {
		name = $0; sub(/^<!-- \/?results:/, "", name); sub(/ -->$/, "", name)
		if ($0 ~ /^<!-- \//) {
			if (open != name) { printf "%s:%d: closing marker of %s without its opening one\n", doc, NR, name > "/dev/stderr"; err = 1 }
			open = ""
		} else {
			if (open != "") { printf "%s:%d: %s opens inside %s\n", doc, NR, name, open > "/dev/stderr"; err = 1 }
			open = name; print NR, name
		}
		next
	}
	/^[[:space:]]*<!-- *\/?results/ { printf "%s:%d: malformed marker (want a line \"<!-- results:NAME -->\")\n", doc, NR > "/dev/stderr"; err = 1 }
	END {
		if (open != "") { printf "%s: %s is not closed\n", doc, open > "/dev/stderr"; err = 1 }
		exit err
	}' "$1"
}
# usage: body DOC LINE; the lines after the opening marker at LINE up to its closing marker,
# without leading and trailing blank lines
body() {
	awk -v l="$2" 'NR > l && /^<!-- \/results:/ { exit } NR > l { print }' "$1" |
		sed -e '/./,$!d' | sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}'
}

declare -A SEEN=()
for doc in "${DOCS[@]}"; do
	if [ ! -f "$doc" ]; then
		fail "$doc is missing"
		continue
	fi
	if ! blocks "$doc" > "$W/blocks"; then
		fail "$doc: malformed result markers (above)"
		continue
	fi
	changed=0
	while read -r line name; do
		if [ ! -f "$W/$name.gen" ]; then
			fail "$doc:$line: no table '$name' (testbed/bench/tables.sh --list: ${NAMES[*]})"
			continue
		fi
		SEEN[$name]=1
		body "$doc" "$line" > "$W/doc"
		if ! cmp -s "$W/doc" "$W/$name.gen"; then
			if updating "$doc"; then
				changed=1
				echo "check-numbers: $doc:$line: $name rewritten" >&2
			else
				fail "$doc:$line: block $name disagrees with testbed/results/bench (numbers.sh --update rewrites it):"
				diff -u --label "$doc ($name)" --label "tables.sh $name" "$W/doc" "$W/$name.gen" >&2 || true
			fi
		fi
	done < "$W/blocks"
	if [ $changed = 1 ]; then
		# every block of the document: blank line, the table, blank line
		awk -v dir="$W" '
		/^<!-- results:[A-Za-z0-9_-]+ -->$/ {
			print; name = $0; sub(/^<!-- results:/, "", name); sub(/ -->$/, "", name)
			print ""; while ((getline l < (dir "/" name ".gen")) > 0) print l; close(dir "/" name ".gen"); print ""
			skip = 1; next
		}
		/^<!-- \/results:/ { skip = 0 }
		!skip { print }' "$doc" > "$W/new"
		cat "$W/new" > "$doc"
	fi
done
for n in "${NAMES[@]}"; do
	[[ $n == cover-* ]] || [ -n "${SEEN[$n]:-}" ] ||
		fail "table $n is in no document: add a block '<!-- results:$n -->' '<!-- /results:$n -->' to one of ${DOCS[*]} (numbers.sh --update fills it)"
done

# the cover letter: each cover-* table, found by its first line
for n in "${NAMES[@]}"; do
	[[ $n == cover-* ]] || continue
	head_line=$(head -n 1 "$W/$n.gen")
	at=$(grep -nxF -- "$head_line" "$COVER" | cut -d: -f1 || true)
	if [ -z "$at" ]; then
		fail "$COVER: no line '$head_line' (the first line of testbed/bench/tables.sh $n); paste its table"
	elif [ "$(echo "$at" | wc -l)" -gt 1 ]; then
		fail "$COVER: the header line of table $n is there more than once (lines $(echo "$at" | paste -sd,))"
	else
		awk -v l="$at" 'NR >= l { if ($0 == "") exit; print }' "$COVER" > "$W/doc"
		if ! cmp -s "$W/doc" "$W/$n.gen"; then
			if updating "$COVER"; then
				awk -v l="$at" -v f="$W/$n.gen" '
				NR == l { while ((getline x < f) > 0) print x; skip = 1; next }
				skip && $0 == "" { skip = 0 }
				!skip { print }' "$COVER" > "$W/new"
				cat "$W/new" > "$COVER"
				echo "check-numbers: $COVER:$at: table $n rewritten" >&2
			else
				fail "$COVER:$at: table $n disagrees with its source (numbers.sh --update rewrites it):"
				diff -u --label "$COVER" --label "tables.sh $n" "$W/doc" "$W/$n.gen" >&2 || true
			fi
		fi
	fi
done

# the plot: drawn from the tracked CSV (plot.sh --publish), its data and the PNG unchanged since
if [ -f "$TESTBED/results/bench/sweep.csv" ]; then
	data=$("$TESTBED/bench/plot.sh" --data | sha256sum | cut -d' ' -f1)
	png=$(sha256sum < "$TESTBED/bench/resume-cost.png" 2> /dev/null | cut -d' ' -f1 || true)
	if [ ! -f "$SUM" ] || [ "$(sed -n '1s/ .*//p' "$SUM")" != "$data" ] || [ "$(sed -n '2s/ .*//p' "$SUM")" != "$png" ]; then
		if updating testbed/bench/resume-cost.png; then
			"$TESTBED/bench/plot.sh" --publish
		else
			fail "testbed/bench/resume-cost.png is not the plot of testbed/results/bench/sweep.csv (or the PNG changed since): run 'make bench-publish' or numbers.sh --update"
		fi
	fi
fi

if [ $bad = 0 ]; then
	echo "check-numbers: ${#NAMES[@]} tables and the plot agree with testbed/results (bench/, designs.txt, race.txt, selftest-flakiness.txt)"
fi
exit $bad
