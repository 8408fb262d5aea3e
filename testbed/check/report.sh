#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: report.sh [STATIC_CHECK...]
# Compare every outcome with testbed/expectations and print TAP: one line per static check
# (results in $BUILD/checks/NAME.result), per (machine, variant, test), per metric check and
# per boot's console scan; then the results table and the final "N passed, N failed[, N
# skipped]" line. Exit 1 if any outcome differs from its expectation. BOOTS_SEL (environment,
# MACHINE:BASE/VARIANT words) selects the runs.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

n=0 passed=0 failed=0 skipped=0
declare -A CELL
ROWS=()

tap() { # tap ok|notok|skip DESCRIPTION [DIAGNOSTICS]
	n=$((n + 1))
	case $1 in
	ok)    passed=$((passed + 1)); echo "ok $n - $2";;
	skip)  skipped=$((skipped + 1)); echo "ok $n - $2 # SKIP ${3:-}"; return;;
	notok) failed=$((failed + 1)); echo "not ok $n - $2";;
	esac
	[ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/#   /'
}

cell() { # cell ROW COLUMN TEXT
	[[ " ${ROWS[*]} " == *" $1 "* ]] || ROWS+=("$1")
	CELL[$1@$2]=$3
}

# The console lines of TEST's last attempt (for failure diagnostics).
test_output() {
	awk -v t="$2" '$1 == "@@TEST" && $2 == t && $3 == "BEGIN" { buf = ""; on = 1; next }
		$1 == "@@TEST" && $2 == t && $3 == "END" { on = 0 }
		on { buf = buf $0 "\n" } END { printf "%s", buf }' "$1" | tail -n 25
}

# usage: metrics MACHINE VARIANT TEST OUTCOME: TAP lines for the metric checks of TEST
metrics() {
	local m=$1 v=$2 name=$3 out=$4 label expr reason mdesc row rc
	while read -r label expr reason; do
		[ -n "$label" ] || continue
		mdesc="$m/$v $name:$label [$expr]"
		row="$name:$label"
		if [ "${out%%(*}" = skip ]; then
			tap skip "$mdesc" "$name skipped"
			cell "$row" "$m/$v" "skip"
			continue
		fi
		rc=0
		metric_eval "$(run_dir "$m" "$v")/metrics" "$name" "$expr" || rc=$?
		if [ $rc = 3 ]; then
			tap notok "$mdesc" "metric(s)$METRIC_MISSING not printed by $name (timer-trace and the selftest's -v pause lines)"
			cell "$row" "$m/$v" "none!"
		elif [ $rc = 0 ]; then
			tap ok "$mdesc: ${METRIC_VALS//;/ }"
			cell "$row" "$m/$v" "yes="
		else
			tap notok "$mdesc: ${METRIC_VALS//;/ }" "expected $expr: $reason"
			cell "$row" "$m/$v" "no!"
		fi
	done < <(metric_checks "$m" "$v" "$name")
}

# --- static checks ---------------------------------------------------------------------------
for c in "$@"; do
	f=$BUILD/checks/$c.result
	if [ ! -f "$f" ]; then
		tap notok "static: $c" "no result: the check did not run"
		continue
	fi
	read -r res rest < "$f"
	case $res in
	pass) tap ok "static: $c${rest:+ ($rest)}";;
	skip) tap skip "static: $c" "$rest";;
	*)    tap notok "static: $c" "$(tail -n +2 "$f" | head -n 40)";;
	esac
done

# --- emulated runs ---------------------------------------------------------------------------
# BOOTS_SEL (environment): only these boots (MACHINE:BASE/VARIANT words)
BOOTS=$(all_boots)
# shellcheck disable=SC2086 # a list of words
[ -z "${BOOTS_SEL:-}" ] || BOOTS=$(printf '%s\n' $BOOTS_SEL)
for boot in $BOOTS; do
	m=${boot%%:*} v=${boot#*:}
	b=$(vbase "$v")
	absent=" $( (absent_selftests "$b" 2> /dev/null || true) | tr '\n' ' ') "
	col=$m/$v
	RUN=$(run_dir "$m" "$v")
	have_run=0
	[ -f "$RUN/results" ] && have_run=1
	while IFS='|' read -r name _ needs _; do
		expectation "$m" "$v" "$name"
		exp=${EXPECT:-undeclared}
		desc="$col $name"
		if [[ $absent == *" $needs "* ]]; then
			tap skip "$desc" "$needs is not in the series yet"
			cell "$name" "$col" "skip(absent)"
			metrics "$m" "$v" "$name" skip
			continue
		fi
		if [ "$exp" = skip ]; then
			tap skip "$desc" "declared: $REASON"
			cell "$name" "$col" "skip="
			metrics "$m" "$v" "$name" skip
			continue
		fi
		line=""
		[ $have_run = 0 ] || line=$(awk -v t="$name" '$1 == t' "$RUN/results")
		if [ -z "$line" ]; then
			tap notok "$desc: not run" "no result in $RUN: run 'make run' (or the boot failed)"
			cell "$name" "$col" "none!"
			continue
		fi
		read -r _ out att rc secs <<< "$line"
		info="${out} (expected $exp) ${att} ${rc} ${secs#secs=}s"
		[ "${att#attempts=}" -le 1 ] || out="$out(${att#attempts=})"
		if [ "$exp" = any ] || [ "${out%%(*}" = "$exp" ]; then
			tap ok "$desc: $info"
			cell "$name" "$col" "$out="
		else
			tap notok "$desc: $info" "expectation: $exp — ${REASON:-no line in testbed/expectations}
$(test_output "$RUN/console.txt" "$name")"
			cell "$name" "$col" "$out!"
		fi
		metrics "$m" "$v" "$name" "$out"
	done < <(plan_entries "$b")

	expectation "$m" "$v" console
	exp=${EXPECT:-undeclared}
	if [ $have_run = 0 ]; then
		tap notok "$col console: not run" "no console in $RUN"
		cell console "$col" "none!"
		continue
	fi
	read -r out detail < "$RUN/console-scan"
	if [ "$exp" = any ] || [ "$out" = "$exp" ]; then
		tap ok "$col console: $out${detail:+ ($detail)} (expected $exp)" \
			"$([ "$out" = pass ] || tail -n +2 "$RUN/console-scan" | head -n 8)"
		cell console "$col" "$out="
	else
		tap notok "$col console: $out${detail:+ ($detail)} (expected $exp)" "$(tail -n +2 "$RUN/console-scan")"
		cell console "$col" "$out!"
	fi
done
echo "1..$n"

# --- tables, one per base ------------------------------------------------------------------
for b in $BASES; do
	cols=()
	for boot in $BOOTS; do
		[ "$(vbase "${boot#*:}")" = "$b" ] && cols+=("${boot%%:*}/${boot#*:}")
	done
	[ ${#cols[@]} -gt 0 ] || continue
	# rows in plan order, each test followed by its metric checks, the console scan last
	ORDERED=()
	while IFS='|' read -r name _; do
		for r in "${ROWS[@]}"; do
			[ "$r" != "$name" ] && [[ $r != "$name:"* ]] || ORDERED+=("$r")
		done
	done < <(plan_entries "$b")
	ORDERED+=(console)
	echo "#"
	echo "# Results on $b (outcome, = as expected, ! NOT as expected; (n) attempts; see testbed/expectations):"
	{
		printf '# %s' test
		printf ' %s' "${cols[@]/\/$b\//\/}"
		echo
		for r in "${ORDERED[@]}"; do
			printf '# %s' "$r"
			for c in "${cols[@]}"; do
				printf ' %s' "${CELL[$r@$c]:--}"
			done
			echo
		done
	} | column -t | sed 's/^#  */# /'
done
echo "#"
summary="$passed passed, $failed failed"
[ $skipped = 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ $failed = 0 ]
