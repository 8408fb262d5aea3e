#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: collect.sh
# Turn the bench boots' results ($BUILD/bench/runs/PART/MACHINE/BASE/VARIANT: metrics,
# console.txt; the parts of run-bench.sh are merged)
# into one CSV per experiment in $BUILD/bench/:
#   sweep.csv        item 1: one row per (machine, variant, period, pause), capped points too;
#                    the first pause of each run (timer_pause may pause up to 3
#                    more times when a resume cannot tell the grids apart: column pauses)
#   vcpus.csv        item 2: one row per (machine, variant, vCPUs)
#   cost.csv         item 3: one row per (machine, variant, run, function)
#   cost-summary.csv item 3: mean and spread of the runs' mean durations
#   exits.csv        item 4: one row per (machine, variant, run)
#   exits-summary.csv item 4: per (machine, variant), means over the runs
#   designs.csv      item 5: per (machine, variant, parking design): the paused run's host
#                    callbacks and, over the short-exit runs, counts and time per user exit
#   smoke.csv        the smoke entry of testbed/plan.conf on each bench boot: outcome, guest time
#   boots.csv        the wall time of each bench boot ($BUILD/bench/durations)
# Every row ends with the provenance of the boot it comes from: date (UTC start of the boot),
# commit (of the test bed; "+": uncommitted changes) and host (the machine that ran the
# emulator), from RUN.meta (run-bench.sh); a boot without one: the time of its results file,
# "unknown". Summary rows over several boots list their distinct values joined by ";".
# `make bench-publish` (publish.sh) copies these CSVs to testbed/results/bench/.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

B=$BUILD/bench
[ -d "$B/runs" ] || die "no bench runs in $B/runs: run 'make bench' first"
mapfile -t RUNS < <(cd "$B/runs" && find . -name metrics -printf '%h\n' | sed 's|^\./||' | LC_ALL=C sort)
[ ${#RUNS[@]} -gt 0 ] || die "no bench results in $B/runs: run 'make bench' first"
msg "bench: collecting ${#RUNS[@]} boot(s) from $B/runs"

# usage: meta RUN; "date,commit,host" of the boot RUN (PART/MACHINE/BASE/VARIANT)
meta() {
	local f=$B/runs/$1.meta date commit=unknown host=unknown
	date=$(date -u -r "$B/runs/$1/results" +%Y-%m-%dT%H:%MZ 2> /dev/null || echo unknown)
	if [ -f "$f" ]; then
		date=$(sed -n 's/^date=//p' "$f") commit=$(sed -n 's/^commit=//p' "$f")
		host=$(sed -n 's/^host=//p' "$f")
	fi
	echo "$date,$commit,$host"
}
# usage: meta_mv MACHINE BASE/VARIANT; meta of the latest boot of MACHINE and VARIANT
meta_mv() {
	local r last=
	for r in "${RUNS[@]}"; do
		[[ $r == */"$1/$2" ]] || continue
		[ -n "$last" ] && [ ! "$B/runs/$r/results" -nt "$B/runs/$last/results" ] || last=$r
	done
	if [ -n "$last" ]; then meta "$last"; else echo "unknown,unknown,unknown"; fi
}

# usage: rows PATTERN; "machine variant test metric value meta" of the tests matching PATTERN
rows() {
	local r m v
	for r in "${RUNS[@]}"; do
		m=${r#*/} m=${m%%/*} v=${r#*/*/}
		awk -v m="$m" -v v="$v" -v p="$1" -v mt="$(meta "$r")" \
			'$1 ~ p { print m, v, $1, $2, $3, mt }' "$B/runs/$r/metrics"
	done
}
# awk function: the distinct values of meta column i of key k, joined by ";" (arrays mk, mv)
AWK_META='function addmeta(k, s,   a, i) {
	split(s, a, ",")
	for (i = 1; i <= 3; i++)
		if (!((k, i) in mv)) mv[k, i] = a[i]
		else if (index(";" mv[k, i] ";", ";" a[i] ";") == 0) mv[k, i] = mv[k, i] ";" a[i]
}
function getmeta(k) { return mv[k, 1] "," mv[k, 2] "," mv[k, 3] }'

# --- 1. sweep ---------------------------------------------------------------------------------
{
	echo "machine,variant,period_us,pause_ms,status,pause_ns,paused_callbacks,resume_expiries,resume_extra,resume_host_expiries,resume_window_us,host_work,inject_10p,first_irq_us,ticks_on_grid,ticks_checked,late_min_us,late_max_us,median_interval_us,test_rc,trace_overrun,pauses,date,commit,host"
	for r in "${RUNS[@]}"; do
		m=${r#*/} m=${m%%/*} v=${r#*/*/}
		# the selftest's -v line of each sweep test, from the console
		awk -v m="$m" -v v="$v" -v metrics="$B/runs/$r/metrics" -v capped="$B/images/$r.capped" -v mt="$(meta "$r")" \
			-v plan="$B/images/$r.plan" '
		BEGIN {
			# every sweep test of the plan; those without metrics are "missing"
			while ((getline l < plan) > 0) {
				split(l, f, "|")
				if (f[1] ~ /^sweep-/) tests[f[1]] = 1
			}
			while ((getline l < metrics) > 0) {
				split(l, f, " ")
				# the first pause: pause0.NAME; the run: cmd_rc, trace_overrun, pauses
				if (f[1] ~ /^sweep-/) {
					n = f[2]; sub(/^pause0[.]/, "", n)
					if (n == f[2] && n != "cmd_rc" && n != "trace_overrun" && n != "pauses")
						continue
					val[f[1], n] = f[3]; tests[f[1]] = 1
				}
			}
			while ((getline l < capped) > 0) {
				split(l, f, " ")
				if (f[1] == "capped") { t = f[2]; sub(":", "", t); cap[t] = 1; tests[t] = 1 }
			}
		}
		$1 == "@@TEST" && $3 == "BEGIN" { cur = $2 }
		$1 == "@@TEST" && $3 == "END" { cur = "" }
		# the first pause (timer_pause may pause again, see its source)
		cur ~ /^sweep-/ && match($0, /pause 0: first interrupt after -?[0-9]+ us, [0-9]+ of [0-9]+ ticks on the grid \(-?[0-9]+\.\.-?[0-9]+ us\), median interval -?[0-9]+ us/) {
			s = substr($0, RSTART, RLENGTH)
			gsub(/[(),]|\.\./, " ", s)
			split(s, w, " ")
			line[cur] = w[6] "," w[8] "," w[10] "," w[15] "," w[16] "," w[20]
		}
		END {
			for (t in tests) {
				split(t, f, "-"); p = substr(f[2], 2); d = substr(f[3], 2)
				if (t in cap) {
					printf "%s,%s,%s,%s,capped,,,,,,,,,,,,,,,,,,%s\n", m, v, p, d, mt
					continue
				}
				if (!((t, "paused_callbacks") in val)) {
					printf "%s,%s,%s,%s,missing,,,,,,,,,,,,,,,,,,%s\n", m, v, p, d, mt
					continue
				}
				pc = val[t, "paused_callbacks"]; ex = val[t, "resume_extra"]
				work = pc + (ex > 0 ? ex : 0)
				gl = (t in line) ? line[t] : ",,,,,"
				printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", m, v, p, d,
					(t in line) ? "ok" : "no-resume-line", val[t, "pause_ns"], pc,
					val[t, "resume_expiries"], ex, val[t, "resume_host_expiries"],
					val[t, "resume_window_us"], work, val[t, "inject_10p"], gl,
					val[t, "cmd_rc"], val[t, "trace_overrun"], val[t, "pauses"], mt
			}
		}' "$B/runs/$r/console.txt"
	done | awk -F, '
		# one row per point over the parts: a measured row beats capped, capped beats missing
		{ k = $1 "," $2 "," $3 "," $4; r = $5 == "ok" ? 4 : $5 == "no-resume-line" ? 3 : $5 == "capped" ? 2 : 1
		  if (!(k in best) || r > best[k]) { best[k] = r; row[k] = $0 } }
		END { for (k in row) print row[k] }' > "$B/sweep.rows"
	cat "$B/sweep.rows"
	# points of bench.conf that no boot ran (e.g. left out by BENCH_FILTER): "not-run"
	cut -d, -f1,2 "$B/sweep.rows" | sort -u | while read -r mv; do
		"$TESTBED/bench/bench-plan.sh" "${mv%%,*}" "${mv#*,}" 2> /dev/null | cut -d'|' -f1 |
			sed -n 's/^sweep-p\([0-9]*\)-d\([0-9]*\)$/\1,\2/p' | while read -r pd; do
			grep -q "^$mv,$pd," "$B/sweep.rows" || echo "$mv,$pd,not-run,,,,,,,,,,,,,,,,,,$(meta_mv "${mv%%,*}" "${mv#*,}")"
		done
	done
	rm -f "$B/sweep.rows"
} | sort -t, -k1,1 -k2,2 -k3,3n -k4,4n > "$B/sweep.csv.new"
{ grep '^machine,' "$B/sweep.csv.new"; grep -v '^machine,' "$B/sweep.csv.new" || true; } > "$B/sweep.csv"
rm -f "$B/sweep.csv.new"

# --- 2. many paused vCPUs -----------------------------------------------------------------------
{
	echo "machine,variant,vcpus,status,pause_ns,paused_callbacks,callbacks_per_s,resume_all_us,resume_max_us,trace_overrun,date,commit,host"
	rows '^vcpus-' | awk '
		{ k = $1 "," $2 "," substr($3, 7); v[k, $4] = $5; keys[k] = 1; mt[k] = $6 }
		END {
			for (k in keys) {
				# no counts: the run stopped before timer-trace parsed its trace
				if (!((k, "paused_callbacks") in v)) {
					printf "%s,incomplete,,,,%.0f,%.0f,%s,%s\n", k, v[k, "resume_all_ns"] / 1000,
						v[k, "resume_max_ns"] / 1000, v[k, "trace_overrun"], mt[k]
					continue
				}
				pn = v[k, "pause_ns"]
				printf "%s,%s,%s,%s,%.1f,%.0f,%.0f,%s,%s\n", k,
					v[k, "trace_overrun"] ? "trace-overrun" : "ok", pn, v[k, "paused_callbacks"],
					pn ? v[k, "paused_callbacks"] / (pn / 1e9) : 0,
					v[k, "resume_all_ns"] / 1000, v[k, "resume_max_ns"] / 1000,
					v[k, "trace_overrun"], mt[k]
			}
		}' | sort -t, -k1,1 -k2,2 -k3,3n
} > "$B/vcpus.csv"

# --- 3. cost per expiry (and the per-function rows of 4.) ---------------------------------------
{
	echo "machine,variant,run,function,calls,mean_ns,median_ns,min_ns,max_ns,sum_ns,ticks,date,commit,host"
	rows '^(cost|exits)-r' | awk '
		$4 ~ /^fg_.*_n$/ { f = $4; sub(/^fg_/, "", f); sub(/_n$/, "", f); fn[f] = 1 }
		{ k = $1 "," $2 "," $3; v[k, $4] = $5; keys[k] = 1; mt[k] = $6 }
		END {
			for (k in keys)
				for (f in fn)
					if ((k, "fg_" f "_n") in v)
						printf "%s,%s,%d,%s,%s,%s,%s,%s,%s,%s\n", k, f, v[k, "fg_" f "_n"],
							v[k, "fg_" f "_mean_ns"], v[k, "fg_" f "_median_ns"],
							v[k, "fg_" f "_min_ns"], v[k, "fg_" f "_max_ns"],
							v[k, "fg_" f "_sum_ns"] + 0, v[k, "ticks"], mt[k]
		}' | sort -t, -k1,1 -k2,2 -k3,3 -k4,4
} > "$B/cost-all.csv"
{
	head -n 1 "$B/cost-all.csv"
	grep ',cost-r' "$B/cost-all.csv" || true
} > "$B/cost.csv"
{
	echo "machine,variant,function,runs,calls_per_run,mean_of_means_ns,stdev_of_means_ns,min_mean_ns,max_mean_ns,median_of_medians_ns,date,commit,host"
	awk -F, "$AWK_META"'
	NR > 1 && $5 > 0 {
		k = $1 "," $2 "," $4; n[k]++; s[k] += $6; q[k] += $6 * $6; c[k] += $5
		addmeta(k, $12 "," $13 "," $14)
		if (!(k in lo) || $6 < lo[k]) lo[k] = $6
		if (!(k in hi) || $6 > hi[k]) hi[k] = $6
		med[k, n[k]] = $7
	}
	END {
		for (k in n) {
			m = s[k] / n[k]; sd = n[k] > 1 ? sqrt((q[k] - n[k] * m * m) / (n[k] - 1)) : 0
			# median of the runs medians (small n: insertion sort)
			for (i = 1; i <= n[k]; i++) a[i] = med[k, i]
			for (i = 2; i <= n[k]; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			printf "%s,%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%s\n", k, n[k], c[k] / n[k], m, sd, lo[k], hi[k],
				a[int((n[k] + 1) / 2)], getmeta(k)
		}
	}' "$B/cost.csv" | sort -t, -k1,1 -k3,3 -k2,2
} > "$B/cost-summary.csv"

# --- 4. short userspace exits -------------------------------------------------------------------
{
	echo "machine,variant,run,ticks,user_exits,us_per_user_exit,callbacks,hv_expiries,injections,start_sw_timer,unparks,hrtimer_starts,timer_ns_per_tick,irq_exits,date,commit,host"
	rows '^exits-r' | awk '
		{ k = $1 "," $2 "," $3; v[k, $4] = $5; keys[k] = 1; mt[k] = $6 }
		END {
			for (k in keys) {
				t = v[k, "ticks"]
				sum = v[k, "fg_apic_timer_fn_sum_ns"] + v[k, "fg_kvm_lapic_expired_hv_timer_sum_ns"] + \
					v[k, "fg_kvm_inject_apic_timer_irqs_sum_ns"] + v[k, "fg_start_sw_timer_sum_ns"] + \
					v[k, "fg_apic_timer_unpark_sum_ns"]
				printf "%s,%d,%d,%.1f,%d,%d,%d,%d,%d,%d,%.0f,%d,%s\n", k, t, v[k, "user_exits"],
					v[k, "ns_per_user_exit"] / 1000, v[k, "fg_apic_timer_fn_n"],
					v[k, "fg_kvm_lapic_expired_hv_timer_n"], v[k, "fg_kvm_inject_apic_timer_irqs_n"],
					v[k, "fg_start_sw_timer_n"], v[k, "fg_apic_timer_unpark_n"],
					v[k, "hrtimer_starts"], t ? sum / t : 0, v[k, "irq_exits"], mt[k]
			}
		}' | sort -t, -k1,1 -k2,2 -k3,3
} > "$B/exits.csv"
{
	echo "machine,variant,runs,ticks,user_exits_per_tick,us_per_user_exit,callbacks_per_tick,hv_expiries_per_tick,injections_per_tick,start_sw_timer_per_tick,unparks_per_tick,hrtimer_starts_per_tick,timer_ns_per_tick_mean,timer_ns_per_tick_min,timer_ns_per_tick_max,date,commit,host"
	awk -F, "$AWK_META"'
	NR > 1 && $4 > 0 {
		k = $1 "," $2; n[k]++; t[k] += $4
		addmeta(k, $15 "," $16 "," $17)
		for (i = 5; i <= 12; i++) s[k, i] += $i
		ns[k] += $13
		if (!(k in lo) || $13 < lo[k]) lo[k] = $13
		if (!(k in hi) || $13 > hi[k]) hi[k] = $13
	}
	END {
		for (k in n)
			printf "%s,%d,%d,%.2f,%.1f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.0f,%.0f,%.0f,%s\n", k, n[k], t[k] / n[k],
				s[k, 5] / t[k], s[k, 6] / n[k], s[k, 7] / t[k], s[k, 8] / t[k], s[k, 9] / t[k],
				s[k, 10] / t[k], s[k, 11] / t[k], s[k, 12] / t[k], ns[k] / n[k], lo[k], hi[k], getmeta(k)
	}' "$B/exits.csv" | sort
} > "$B/exits-summary.csv"

# --- 5. parking designs -------------------------------------------------------------------------
# designs-dD-exits-rK (bench-fgraph, as item 4) and designs-dD-paused (timer-trace, as item 2);
# per user exit: the runs' totals over their user exits; timer_ns: every traced function,
# hook_ns: of which the KVM_RUN entry and exit hooks (kvm_lapic_unpark_timer, _park_on_exit)
{
	echo "machine,variant,design,name,runs,ticks,exits_per_tick,us_per_user_exit,us_per_user_exit_min,us_per_user_exit_max,callbacks_per_exit,hv_expiries_per_exit,hrtimer_starts_per_exit,hrtimer_cancels_per_exit,timer_ns_per_exit,hook_ns_per_exit,exits_overrun,paused_callbacks,pause_ns,resume_all_us,paused_overrun,date,commit,host"
	rows '^designs-d[0-9]+-(exits-r[0-9]+|paused)$' | awk "$AWK_META"'
		BEGIN { split("none kvm_run exit v2", name, " ") }
		{
			split($3, t, "-"); d = substr(t[2], 2); k = $1 "," $2 "," d; keys[k] = d; addmeta(k, $6)
			if (t[3] == "paused") { p[k, $4] = $5; next }
			r = k "," t[4]; runs[r] = k; v[r, $4] = $5
		}
		END {
			for (r in runs) {
				k = runs[r]
				if (!((r, "user_exits") in v)) continue
				n[k]++; tk[k] += v[r, "ticks"]; ue[k] += v[r, "user_exits"]
				u = v[r, "ns_per_user_exit"] / 1000; us[k] += u
				if (!(k in lo) || u < lo[k]) lo[k] = u
				if (!(k in hi) || u > hi[k]) hi[k] = u
				cb[k] += v[r, "fg_apic_timer_fn_n"]; hv[k] += v[r, "fg_kvm_lapic_expired_hv_timer_n"]
				st[k] += v[r, "hrtimer_starts"]; ca[k] += v[r, "hrtimer_cancels"]
				hk[k] += v[r, "fg_kvm_lapic_unpark_timer_sum_ns"] + v[r, "fg_kvm_lapic_park_on_exit_sum_ns"]
				if (v[r, "trace_overrun"] > ov[k]) ov[k] = v[r, "trace_overrun"]
			}
			for (x in v) {
				split(x, f, SUBSEP)
				if (f[2] ~ /^fg_.*_sum_ns$/ && (f[1], "user_exits") in v) ns[runs[f[1]]] += v[x]
			}
			for (k in keys) {
				e = ue[k]
				printf "%s,%s,%d", k, name[keys[k] + 1], n[k]
				if (e > 0)
					printf ",%.0f,%.1f,%.1f,%.1f,%.1f,%.4f,%.4f,%.4f,%.4f,%.0f,%.0f,%d", tk[k] / n[k],
						e / tk[k], us[k] / n[k], lo[k], hi[k], cb[k] / e, hv[k] / e, st[k] / e, ca[k] / e, ns[k] / e, hk[k] / e, ov[k]
				else
					printf ",,,,,,,,,,,,"
				printf ",%s,%s,%s,%s,%s\n", p[k, "paused_callbacks"], p[k, "pause_ns"],
					(k, "resume_all_ns") in p ? sprintf("%.0f", p[k, "resume_all_ns"] / 1000) : "",
					p[k, "trace_overrun"], getmeta(k)
			}
		}' | sort -t, -k1,1 -k2,2 -k3,3n
} > "$B/designs.csv"
rm -f "$B/cost-all.csv"

# --- the smoke entry and the boots ----------------------------------------------------------------
# smoke: the latest bench-smoke of each machine and variant (over the parts); its outcome and
# guest time from the boot's results ("NAME OUTCOME attempts=N rc=R secs=S")
{
	echo "machine,variant,outcome,guest_s,date,commit,host"
	for r in "${RUNS[@]}"; do
		sm=${r#*/} sm=${sm%%/*} sv=${r#*/*/}
		awk -v k="$sm,$sv" -v t="$(date -u -r "$B/runs/$r/results" +%s)" -v mt="$(meta "$r")" \
			'$1 == "bench-smoke" { s = $5; sub(/^secs=/, "", s); print t, k "," $2 "," s "," mt }' "$B/runs/$r/results"
	done | sort -n | awk '{ split($2, f, ","); row[f[1] "," f[2]] = $2 } END { for (k in row) print row[k] }' |
		sort -t, -k1,1 -k2,2
} > "$B/smoke.csv"
# boots: "PART MACHINE VARIANT SECONDS s, N plan entries" lines of run-bench.sh; the meta of
# the boot's run directory
{
	echo "part,machine,variant,wall_s,plan_entries,date,commit,host"
	if [ -f "$B/durations" ]; then
		while read -r part m v secs _ n _; do
			[ -d "$B/runs/$part/$m/$v" ] || continue
			echo "$part,$m,$v,$secs,$n,$(meta "$part/$m/$v")"
		done < "$B/durations"
	fi
} > "$B/boots.csv"
for f in sweep vcpus cost cost-summary exits exits-summary designs smoke boots; do
	msg "bench: $B/$f.csv: $(($(wc -l < "$B/$f.csv") - 1)) rows"
done
