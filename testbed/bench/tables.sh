#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: tables.sh [-d DIR] --list | NAME...
# Print the bench's result tables, generated from its CSVs in DIR (default
# testbed/results/bench: the tracked copy that the documents quote; summary.sh passes
# $BUILD/bench). Every number a reader sees in the documents comes from here:
# testbed/check/numbers.sh (make check-numbers) compares the blocks between
# "<!-- results:NAME -->" and "<!-- /results:NAME -->" of README.md and testbed/bench/README.md
# and the table of the cover letter with this output.
#   --list         the names of the tables DIR has data for (one a line, "NAME description")
#   bench-glance   host work per pause, 1 ms timer, three pause lengths (markdown)
#   bench-sweep    the pause sweep: host work / first interrupt, every point (markdown)
#   bench-vcpus    N paused vCPUs: host callbacks per second / time to resume all (markdown)
#   bench-cost     duration per call of the timer functions on the normal path (markdown)
#   bench-exits    short userspace exits, per guest tick (markdown)
#   bench-designs  the parking designs side by side (markdown; only with designs.csv rows)
#   bench-smoke    the smoke entry of make check on the bench boots (markdown)
#   bench-boots    wall time of the bench boots (markdown)
#   bench-source   where the numbers come from: CSVs, dates, commit, host (markdown)
#   cover-letter   host work per pause as plain text, for patches/0000-cover-letter.patch
#                  (numbers.sh finds it there by its first line)
#   cover-designs  the parking designs as plain text, for the cover letter's alternatives, from
#                  testbed/results/designs.txt (make bench-designs), not a CSV
#   cover-race     race-park's pauses off the grid / with an extra interrupt, base and series,
#                  as plain text, from the first race-park block of testbed/results/race.txt
#   pause-costs    callbacks in a 1 s pause (designs.txt) and race-park's pauses (race.txt),
#                  base / series (markdown, README.md)
#   selftest       the selftest's outcomes per machine and variant, from
#                  testbed/results/selftest-flakiness.txt (markdown, README.md)
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

DIR=$TESTBED/results/bench
if [ "${1:-}" = -d ]; then
	DIR=${2:?usage: tables.sh [-d DIR] --list | NAME...}
	shift 2
fi
[ $# -gt 0 ] || die "usage: tables.sh [-d DIR] --list | NAME..."

# usage: rows CSV; true if DIR/CSV exists and has data rows (comment lines start with #)
rows() { [ -f "$DIR/$1" ] && [ "$(grep -cv '^#' "$DIR/$1")" -gt 1 ]; }
# usage: need CSV; fail unless rows CSV
need() { rows "$1" || die "no rows in $DIR/$1: run 'make bench' (or 'make bench-publish')"; }

# awk prelude: skip comment lines, map the header's column names (col["name"] = index);
# v(NAME) is the field NAME of the current row; variant names without the base; machine labels
# shellcheck disable=SC2016 # awk's $i, not the shell's
AWK_LIB='
/^#/ { next }
!hdr { for (i = 1; i <= NF; i++) col[$i] = i; hdr = 1; next }
function v(n) { if (!(n in col)) { print "tables.sh: no column " n > "/dev/stderr"; exit 1 }; return $col[n] }
function var(x) { sub(/.*\//, "", x); return x }
function vrank(x) { x = var(x); return x == "prefix" ? 1 : x == "base" ? 2 : x == "series" ? 3 : 4 }
function mrank(m) { return m == "bochs-vmx" ? 1 : m == "bochs-vmx-pt0" ? 2 : m == "qemu-svm" ? 3 : 4 }
function path(m) { return m == "bochs-vmx" ? m " (hv)" : m " (hrtimer)" }
function per(p) { return p >= 1000 ? p / 1000 " ms" : p " us" }
function pause(d) { return d >= 1000 ? d / 1000 " s" : d " ms" }
'
# usage: csv_awk CSV PROGRAM; awk -F, with the prelude over DIR/CSV
csv_awk() { awk -F, "$AWK_LIB$2" "$DIR/$1"; }
# drop the sort key in front of each line (key TAB line)
unkey() { LC_ALL=C sort -t"$(printf '\t')" -k1,1 | cut -f2-; }

# the sweep's cell of a point: host work (/ first interrupt in us); cap: capped (bench.conf),
# n/r: not run (left out by BENCH_FILTER), miss: no result (the test stopped before its trace
# was counted, e.g. at its timeout: see the boot's results)
SWEEP_CELL='
function cell(withirq) {
	s = v("status")
	if (s == "capped") return "cap"
	if (s == "not-run") return "n/r"
	if (s == "missing") return "miss"
	return withirq ? v("host_work") "/" (v("first_irq_us") == "" ? "-" : v("first_irq_us")) : v("host_work")
}'

t_sweep() {
	need sweep.csv
	echo "| machine (timer path) | variant | period | 10 ms | 100 ms | 1 s | 10 s | 100 s | 1000 s |"
	echo "|---|---|---|---|---|---|---|---|---|"
	csv_awk sweep.csv "$SWEEP_CELL"'
	{
		k = sprintf("%d%d%08d", mrank(v("machine")), vrank(v("variant")), v("period_us"))
		row[k] = "| " path(v("machine")) " | " var(v("variant")) " | " per(v("period_us"))
		c[k, v("pause_ms")] = cell(1)
		# a row only for a period with a point that ran: not one that the run left out
		# (BENCH_FILTER) or capped entirely
		if (v("status") != "not-run" && v("status") != "capped") ran[k] = 1
	}
	END {
		n = split("10 100 1000 10000 100000 1000000", d, " ")
		for (k in ran) {
			l = row[k]
			for (i = 1; i <= n; i++) l = l " | " ((k, d[i]) in c ? c[k, d[i]] : "-")
			print k "\t" l " |"
		}
	}' | unkey
}

t_glance() {
	need sweep.csv
	echo "| machine (timer path) | variant | 10 ms | 1 s | 1000 s |"
	echo "|---|---|---|---|---|"
	csv_awk sweep.csv "$SWEEP_CELL"'
	v("period_us") == 1000 {
		k = mrank(v("machine")) vrank(v("variant"))
		row[k] = "| " path(v("machine")) " | " var(v("variant"))
		c[k, v("pause_ms")] = cell(0)
	}
	END {
		for (k in row) {
			l = row[k]
			for (i = 1; i <= 3; i++) { d = i == 1 ? 10 : i == 2 ? 1000 : 1000000; l = l " | " ((k, d) in c ? c[k, d] : "-") }
			print k "\t" l " |"
		}
	}' | unkey
}

t_cover() {
	need sweep.csv
	csv_awk sweep.csv "$SWEEP_CELL"'
	v("period_us") == 1000 && (v("machine") == "bochs-vmx" || v("machine") == "bochs-vmx-pt0") {
		x = cell(0); if (x !~ /^[0-9]+$/) x = "-"
		c[v("machine"), var(v("variant")), v("pause_ms")] = x
	}
	END {
		# a label column of 24, per machine 3 columns of 8 and a gap of 2
		printf "%-24s%24s  %24s\n", "  host work per pause", "hv timer (VMX)", "sw timer (VMX)"
		printf "%-24s%8s%8s%8s  %8s%8s%8s\n", "  1 ms periodic timer", "10 ms", "1 s", "1000 s", "10 ms", "1 s", "1000 s"
		n = split("prefix base series", vs, " ")
		split("before 18ab3fc8e880,base,series", lab, ",")
		for (i = 1; i <= n; i++) {
			l = sprintf("  %-22s", lab[i])
			for (m = 1; m <= 2; m++) {
				mm = m == 1 ? "bochs-vmx" : "bochs-vmx-pt0"
				for (j = 1; j <= 3; j++) {
					d = j == 1 ? 10 : j == 2 ? 1000 : 1000000
					l = l sprintf("%8s", ((mm, vs[i], d) in c) ? c[mm, vs[i], d] : "-")
				}
				if (m == 1) l = l "  "
			}
			print l
		}
	}'
}

t_vcpus() {
	need vcpus.csv
	echo "| machine | variant | 1 | 2 | 4 | 8 | 16 |"
	echo "|---|---|---|---|---|---|---|"
	csv_awk vcpus.csv '
	{
		k = mrank(v("machine")) vrank(v("variant")); row[k] = "| " v("machine") " | " var(v("variant"))
		s = v("status")
		cb = sprintf("%.0f", v("callbacks_per_s"))
		c[k, v("vcpus")] = (s == "ok" ? cb : s == "incomplete" ? "n/a" : cb " (lost)") "/" v("resume_all_us")
	}
	END {
		for (k in row) {
			l = row[k]
			for (n = 1; n <= 16; n *= 2) l = l " | " ((k, n) in c ? c[k, n] : "not run")
			print k "\t" l " |"
		}
	}' | unkey
}

t_cost() {
	need cost-summary.csv
	echo "| machine | function | calls per run (base / series) | base: mean ± sd (runs) | series: mean ± sd (runs) | base: median | series: median | series vs base (mean / median) |"
	echo "|---|---|---|---|---|---|---|---|"
	csv_awk cost-summary.csv '
	function pct(a, b) { return b > 0 ? sprintf("%+.1f%%", 100 * (a / b - 1)) : "-" }
	{
		k = v("machine") SUBSEP v("function"); keys[k] = 1; x = var(v("variant"))
		m[k, x] = v("mean_of_means_ns"); cell[k, x] = v("mean_of_means_ns") " ± " v("stdev_of_means_ns") " (" v("runs") ")"
		md[k, x] = v("median_of_medians_ns"); calls[k, x] = v("calls_per_run")
	}
	END {
		lab["kvm_lapic_expired_hv_timer"] = " (PREEMPTION_TIMER exit)"; lab["apic_timer_fn"] = " (hrtimer callback)"
		for (k in keys) {
			split(k, f, SUBSEP); b = (k, "base") in m; s = (k, "series") in m
			print mrank(f[1]) f[2] "\t| " f[1] " | " f[2] lab[f[2]] " | " (b ? calls[k, "base"] : "-") " / " \
				(s ? calls[k, "series"] : "-") " | " (b ? cell[k, "base"] : "-") " | " \
				(s ? cell[k, "series"] : "-") " | " (b ? md[k, "base"] : "-") " | " (s ? md[k, "series"] : "-") " | " \
				(b && s ? pct(m[k, "series"], m[k, "base"]) " / " pct(md[k, "series"], md[k, "base"]) : "-") " |"
		}
	}' | unkey
}

t_exits() {
	need exits-summary.csv
	echo "| machine | variant | runs | us/exit | exits/tick | callbacks | hv expiries | injections | start_sw_timer | hrtimer starts | timer ns/tick (min..max run) |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	csv_awk exits-summary.csv '
	{
		print mrank(v("machine")) vrank(v("variant")) "\t| " v("machine") " | " var(v("variant")) " | " v("runs") " | " \
			v("us_per_user_exit") " | " v("user_exits_per_tick") " | " v("callbacks_per_tick") " | " \
			v("hv_expiries_per_tick") " | " v("injections_per_tick") " | " v("start_sw_timer_per_tick") " | " \
			v("hrtimer_starts_per_tick") " | " v("timer_ns_per_tick_mean") \
			" (" v("timer_ns_per_tick_min") ".." v("timer_ns_per_tick_max") ") |"
	}' | unkey
}

t_designs() {
	need designs.csv
	echo "| machine | design | callbacks in a 1 s pause | runs | us/exit (min..max) | exits/tick | callbacks/exit | hrtimer starts/exit | cancels/exit | timer ns/exit (hooks) |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	csv_awk designs.csv '
	function c(x) { return x == "" ? "-" : x }
	{
		print mrank(v("machine")) v("design") "\t| " v("machine") " | " v("design") ": " v("name") " | " c(v("paused_callbacks")) \
			" | " v("runs") " | " c(v("us_per_user_exit")) " (" c(v("us_per_user_exit_min")) ".." c(v("us_per_user_exit_max")) \
			") | " c(v("exits_per_tick")) " | " c(v("callbacks_per_exit")) " | " c(v("hrtimer_starts_per_exit")) " | " \
			c(v("hrtimer_cancels_per_exit")) " | " c(v("timer_ns_per_exit")) " (" c(v("hook_ns_per_exit")) ") |"
	}' | unkey
}

t_smoke() {
	need smoke.csv
	echo "| machine | variant | outcome | guest time (s) |"
	echo "|---|---|---|---|"
	csv_awk smoke.csv '
	{ print mrank(v("machine")) vrank(v("variant")) "\t| " v("machine") " | " var(v("variant")) " | " v("outcome") " | " v("guest_s") " |" }' | unkey
}

t_boots() {
	need boots.csv
	echo "| machine | variant | plan entries | wall time |"
	echo "|---|---|---|---|"
	csv_awk boots.csv '
	{
		print mrank(v("machine")) vrank(v("variant")) v("part") "\t| " v("machine") " | " var(v("variant")) \
			(v("part") == "all" ? "" : " (part " v("part") ")") " | " v("plan_entries") " | " \
			sprintf("%d s (%.1f min)", v("wall_s"), v("wall_s") / 60) " |"
		n++; s += v("wall_s")
	}
	END { printf "9\t| all | %d boots | | %d s (%.1f min) |\n", n, s, s / 60 }' | unkey
}

t_source() {
	need boots.csv
	local f first last end commits hosts files=()
	for f in "$DIR"/*.csv; do
		rows "${f##*/}" && files+=("${f##*/}")
	done
	# the boots' start times (UTC) and the end of the last one
	first=$(csv_awk boots.csv '{ print v("date") }' | sort | head -n 1)
	last=$(csv_awk boots.csv '{ print v("date") "," v("wall_s") }' | sort | tail -n 1)
	end=$(date -u -d "@$(($(date -u -d "${last%,*}" +%s) + ${last#*,}))" +%H:%M)
	commits=$(for f in "${files[@]}"; do csv_awk "$f" '{ print v("commit") }'; done | tr ';' '\n' | sort -u | paste -sd' ')
	hosts=$(for f in "${files[@]}"; do csv_awk "$f" '{ print v("host") }'; done | tr ';' '\n' | sort -u | paste -sd' ')
	echo "| data | boots (UTC) | commit | host |"
	echo "|---|---|---|---|"
	echo "| ${files[*]} | ${first%Z} to $end, $(($(grep -cv '^#' "$DIR/boots.csv") - 1)) boots | $commits | $hosts |"
}

# The cover letter's alternatives: per sw-timer machine and design, callbacks in the 1 s pause,
# hrtimer starts / cancels per exit, and the exit's cost relative to re-arming (0:none)
# The rows of designs.txt: "machine design cb/pause us/exit starts/exit cancels/exit"
designs_rows() {
	awk '/^#/ || $1 == "machine" || NF < 9 { next }
	{ us = $5; sub(/\(.*/, "", us); print $1, $2, $3, us, $8, $9 }' "$DIR/../designs.txt"
}

t_cover_designs() {
	need ../designs.txt
	printf '%-26s%-26s%s\n' "" "sw timer on VMX (Bochs)" "sw timer on SVM (TCG)"
	printf '%-26s%s\n' "" "cb   start/cancel  cost   cb   start/cancel  cost"
	designs_rows | awk '
	$1 == "bochs-vmx-pt0" || $1 == "qemu-svm" {
		g = $1 == "qemu-svm"; d = $2
		cb[g, d] = $3; cost[g, d] = $4; st[g, d] = $5; ca[g, d] = $6
		if (!(d in seen)) { seen[d] = 1; order[n++] = d }
	}
	END {
		label["0:none"] = "re-arm every period"; label["1:kvm_run"] = "park, restart on entry"
		label["2:exit"] = "cancel on every exit"; label["3:v2"] = "v2: park on pending"
		for (i = 0; i < n; i++) {
			d = order[i]
			line = sprintf("  %-22s", label[d])
			for (g = 0; g < 2; g++)
				line = line sprintf(g ? "%5s" : "%4s", cb[g, d]) sprintf("%8.2f / %-4s %5s", st[g, d],
					ca[g, d] + 0 == 0 ? "0" : sprintf("%.2f", ca[g, d]),
					sprintf("%d%%", 100 * cost[g, d] / cost[g, "0:none"] + 0.5))
			print line
		}
	}'
}

# The first race-park block of race.txt: "machine variant off_grid extra_irq", the first row of
# each machine and variant (base; v3 printed as series)
race_park() {
	awk '
	/^# race-park \(vCPU pauses/ { on = 1; next }
	on && /^# / && !/^# (run-one|windows|qemu-svm:|machine)/ { exit }
	on && $3 == "race-park" && ($2 == "base" || $2 == "v3") && !(($1, $2) in seen) {
		seen[$1, $2] = 1; og = 0; ex = 0
		if (match($7, /off_grid=[0-9]+/)) og = substr($7, RSTART + 9, RLENGTH - 9)
		if (match($7, /extra_irq=[0-9]+/)) ex = substr($7, RSTART + 10, RLENGTH - 10)
		print $1, $2 == "v3" ? "series" : $2, og, ex
	}' "$DIR/../race.txt"
}

t_cover_race() {
	need ../race.txt
	race_park | awk '
	{ og[$1, $2] = $3; ex[$1, $2] = $4 }
	function row(what, a, v) {
		printf "    %-30s%8s%14s%13s\n", v, a[m[1], v], a[m[2], v], a[m[3], v]
	}
	END {
		m[1] = "bochs-vmx"; m[2] = "bochs-vmx-pt0"; m[3] = "qemu-svm"
		printf "%-37s%-13s%-13s%s\n", "", "hv timer", "sw timer", "sw timer"
		printf "%-37s%-13s%-13s%s\n", "", "(VMX)", "(VMX)", "(SVM)"
		print "  pauses that left the timer off its grid"; row("", og, "base"); row("", og, "series")
		print "  pauses followed by an extra interrupt"; row("", ex, "base"); row("", ex, "series")
	}'
}

t_pause_costs() {
	need ../race.txt
	need ../designs.txt
	{
		designs_rows | awk '$2 == "0:none" { print "cb", $1, "base", $3 }
			$2 == "1:kvm_run" { print "cb", $1, "series", $3 }'
		race_park | awk '{ print "og", $1, $2, $3; print "ex", $1, $2, $4 }'
	} | awk '
	{ x[$1, $2, $3] = $4 }
	function row(k, label,   i, l) {
		l = "| " label
		for (i = 1; i <= 3; i++) l = l " | " x[k, m[i], "base"] " / " x[k, m[i], "series"]
		print l " |"
	}
	END {
		m[1] = "bochs-vmx"; m[2] = "bochs-vmx-pt0"; m[3] = "qemu-svm"
		print "| | bochs-vmx | bochs-vmx-pt0 | qemu-svm |"
		print "|---|---|---|---|"
		row("cb", "hrtimer callbacks in a 1 s pause of a 1 kHz timer (1)")
		row("og", "pauses that left the timer off its grid (2)")
		row("ex", "pauses followed by an extra interrupt (2)")
	}'
}

# Per machine and variant: the tests that failed every run, then those that failed some
t_selftest() {
	need ../selftest-flakiness.txt
	awk '
	/^#/ || NF < 11 { next }
	{
		m = $3; v = $4; t = $5; sub(/^pause-/, "", t); runs = $6 + $7 + $8 + $9
		if (!(m in mseen)) { mseen[m] = 1; ms[nm++] = m }
		n[m, v]++
		if ($7 == runs) { all[m, v] = all[m, v] (all[m, v] == "" ? "" : ", ") t; nall[m, v]++ }
		else if ($7 > 0) some[m, v] = some[m, v] "; " t " " $7 "/" runs
		if ($8 + $9 > 0) some[m, v] = some[m, v] "; " t " skipped or other " $8 + $9 "/" runs
	}
	END {
		split("7.3/prefix 7.3/base 7.3/series 6.12/base 6.12/series", vs, " ")
		print "| machine | 7.3/prefix | 7.3/base | 7.3/series | 6.12/base | 6.12/series |"
		print "|---|---|---|---|---|---|"
		for (i = 0; i < nm; i++) {
			m = ms[i]; l = "| " m
			for (j = 1; j <= 5; j++) {
				v = vs[j]
				if (!n[m, v]) c = "not run"
				else if (nall[m, v] == n[m, v]) c = "fails all " n[m, v]
				else if (nall[m, v]) c = "fails " all[m, v]
				else c = v ~ /series/ ? "**passes all " n[m, v] "**" : "passes all " n[m, v]
				if (some[m, v] != "") c = c (nall[m, v] ? "" : ";") some[m, v]
				sub(/^passes all [0-9]+;/, "passes but", c)
				l = l " | " c
			}
			print l " |"
		}
	}' "$DIR/../selftest-flakiness.txt"
}

# name, CSV it needs, description
TABLES="bench-glance sweep.csv host work per pause, 1 ms timer, 10 ms / 1 s / 1000 s (README.md)
bench-sweep sweep.csv the pause sweep: host work / first interrupt
bench-vcpus vcpus.csv N paused vCPUs: host callbacks per second / time to resume all
bench-cost cost-summary.csv duration per call of the timer functions on the normal path
bench-exits exits-summary.csv short userspace exits, per guest tick
bench-designs designs.csv the parking designs side by side
bench-smoke smoke.csv the smoke entry of make check on the bench boots
bench-boots boots.csv wall time of the bench boots
bench-source boots.csv where the numbers come from: CSVs, dates, commit, host
cover-letter sweep.csv host work per pause as plain text (patches/0000-cover-letter.patch)
cover-designs ../designs.txt the parking designs as plain text (patches/0000-cover-letter.patch)
cover-race ../race.txt race-park's pauses, base and series, as plain text (patches/0000-cover-letter.patch)
pause-costs ../race.txt callbacks in a pause and race-park's pauses, base / series (README.md)
selftest ../selftest-flakiness.txt the selftest's outcomes per machine and variant (README.md)"

first=1
for name in "$@"; do
	if [ "$name" = --list ]; then
		while read -r n csv desc; do
			! rows "$csv" || echo "$n $desc"
		done <<< "$TABLES"
		continue
	fi
	[ $first = 1 ] || echo
	first=0
	case $name in
	bench-glance) t_glance;;
	bench-sweep) t_sweep;;
	bench-vcpus) t_vcpus;;
	bench-cost) t_cost;;
	bench-exits) t_exits;;
	bench-designs) t_designs;;
	bench-smoke) t_smoke;;
	bench-boots) t_boots;;
	bench-source) t_source;;
	cover-letter) t_cover;;
	cover-designs) t_cover_designs;;
	cover-race) t_cover_race;;
	pause-costs) t_pause_costs;;
	selftest) t_selftest;;
	*) die "no table '$name' (tables.sh --list)";;
	esac
done
