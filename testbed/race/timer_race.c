// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-bed race program (testbed/race, not part of the series): a guest that aims its
 * accesses to the local APIC timer at the moment the timer's deadline passes, so that the
 * deadline passes while KVM handles the access or while KVM's hrtimer callback is late, and
 * checks over many tries what the SDM says the timer does (Vol. 3A, "APIC Timer").  Built
 * against the KVM selftest library of the primary base (testbed/build/build-programs.sh, run by
 * `make build`); testbed/plan.conf runs it as race-*.  The host prints the tallies as
 * "@@METRIC name=value" lines, then fails if the guest counted a violation.
 *
 * Modes (-m), each checks one rule:
 *  lvtt   [I1] A one-shot timer whose count reached zero stays at zero until TMICT is
 *         written; a change of LVTT's mode doesn't restart it.  Per try, with IRQs off: a
 *         one-shot timer of about -p us; poll TMCCT until it reads zero and note whether
 *         the timer vector's IRR bit is set (clear: KVM hasn't processed the expiry yet,
 *         the window is open); at once switch LVTT to periodic mode and read TMCCT; enable
 *         IRQs, wait for the one-shot interrupt and LVTT_WAIT_PERIODS periods more; read
 *         TMCCT again.  Violations: a non-zero count after the switch (reload_after_zero),
 *         more than the one interrupt (extra_irq), none (lost_irq).  Only KVM's sw timer
 *         (an hrtimer) can show it to a guest: the hv timer's expiry is handled in the
 *         vCPU's context, so there the window lies inside the LVTT write's own VM-Exit,
 *         where the guest's write precedes the deadline, and the guest can't tell it from
 *         a legal switch before the deadline.
 *  tdcr   [I2] Every reload of the count comes with exactly one timer interrupt.  Per try,
 *         with a periodic timer and IRQs on: once two reloads in a row came with their
 *         interrupt and the count is at most a random 1/2..1 of -w us from zero, write TDCR
 *         with the other divider (1 and 2 in turn, -p is the period at 1) and read TMCCT.
 *         The count is continuous across a divider change (KVM rescales the remaining
 *         time), so a higher count means that the timer reloaded meanwhile, i.e. that the
 *         deadline passed during the write (a window).  Then count the interrupts up to
 *         three quarters into the period after the next reload (up to the reload after it
 *         if one is missing by then): one per reload, else lost_irq or extra_irq.
 *  tmcct  [I3] TMCCT never exceeds TMICT.  With a periodic timer of -p us and IRQs on,
 *         read TMCCT back to back -n times; windows are the reads that found a reload
 *         right after a read within -w us of zero.
 * Every TMCCT read of every mode checks [I3] (tmcct_over_tmict).
 *
 * What the guest can't decide counts as undecided, never as pass or violation: a wait that
 * ran into its generous bound, reads a period apart or a count stuck at zero for that long
 * (tdcr: "stalled"; a reload may hide there, and KVM catches up), a late interrupt that can't
 * be told from the next reload's.  Invocations of the handler whose vector isn't in service
 * (not_in_isr) aren't interrupts of the APIC and aren't counted.  The seed (-s, printed)
 * replays the random choices, not the timing; a failure prints it with the first violations
 * and their timelines.
 */
#include <linux/time64.h>

#include "apic.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define TIMER_VECTOR		0xec
#define APIC_TDCR_DIV_1		0xb
#define APIC_TDCR_DIV_2		0x0
#define APIC_BUS_CYCLE_NS	1	/* KVM's default, also set if possible */
#define MIN_PERIOD_US		200	/* KVM's min_timer_period_us */

#define LVTT_WAIT_PERIODS	3	/* after the one-shot interrupt, for extra ones */
#define LATE_IRQ_US		(100 * USEC_PER_MSEC)	/* bound for a late interrupt */
#define PERIODS_PER_TRY		50	/* to find a window, else undecided */
#define LATE_RELOADS		3	/* tdcr: reloads to wait for a late interrupt */
#define RELOAD_RISE_DIVISOR	16	/* of TMICT: a rise of the count that is a reload */
#define PROGRESS_LINES		10

enum race_mode { MODE_LVTT, MODE_TDCR, MODE_TMCCT, NR_MODES };

static const char * const mode_name[NR_MODES] = { "lvtt", "tdcr", "tmcct" };

/* Per mode: tries, period and window (us) unless given. */
static const u64 default_tries[NR_MODES] = { 200, 1000, 100000 };
static const u64 default_period_us[NR_MODES] = { 1000, 500, 1000 };
static const u64 default_window_us[NR_MODES] = { 0, 150, 50 };

enum violation {
	V_RELOAD_AFTER_ZERO,	/* [I1] */
	V_EXTRA_IRQ,		/* [I1], [I2] */
	V_LOST_IRQ,		/* [I1], [I2] */
	V_TMCCT_OVER_TMICT,	/* [I3] */
	NR_VIOLATIONS,
};

static const char * const violation_name[NR_VIOLATIONS] = {
	"reload_after_zero", "extra_irq", "lost_irq", "tmcct_over_tmict",
};

/* The violations each mode checks, as bits of enum violation. */
static const u32 mode_checks[NR_MODES] = {
	[MODE_LVTT] = BIT(V_RELOAD_AFTER_ZERO) | BIT(V_EXTRA_IRQ) | BIT(V_LOST_IRQ) |
		      BIT(V_TMCCT_OVER_TMICT),
	[MODE_TDCR] = BIT(V_EXTRA_IRQ) | BIT(V_LOST_IRQ) | BIT(V_TMCCT_OVER_TMICT),
	[MODE_TMCCT] = BIT(V_TMCCT_OVER_TMICT),
};

#define NR_VALUES		5	/* recorded per violation */
#define NR_LOGGED		8	/* violations recorded, the first ones */

/* What the values of a violation are: those of [I3], else those of the mode's rule. */
static const char * const value_names[NR_MODES][NR_VALUES] = {
	[MODE_LVTT] = { "irr_at_zero", "count_after_switch", "count_at_end", "irqs" },
	[MODE_TDCR] = { "count_before", "count_after", "irqs", "irqs_expected", "new_divider" },
	[MODE_TMCCT] = { "previous_read", "read", "tmict" },
};

/*
 * The timeline of a try, logged with its violations: the guest TSC at the try's steps, in
 * microseconds after the first (the try's act: the TMICT write, the TDCR write), then the
 * times of the try's interrupts.
 */
#define NR_STEPS		4
#define NR_IRQ_TIMES		4
#define IRQ_LOG			16	/* a ring of interrupt times */

static const char * const step_names[NR_MODES][NR_STEPS] = {
	[MODE_LVTT] = { "tmict_write", "zero_read", "lvtt_write", "end_read" },
	[MODE_TDCR] = { "tdcr_write", "read_after", "reload_seen", "end_read" },
};

struct violation_log {
	u64 try;
	u64 kind;
	u64 values[NR_VALUES];
	s64 step_us[NR_STEPS];
	s64 irq_us[NR_IRQ_TIMES];
	u64 nr_irq_times;
};

struct race_stats {
	u64 tries;		/* tries that acted (tmcct: reads) */
	u64 windows;		/* of them, those with the deadline in the window */
	u64 undecided;		/* tries the guest couldn't decide */
	u64 passed_over;	/* tdcr: periods without a read in the window or with a late irq */
	u64 stalled;		/* tdcr: of the undecided, those with reads too far apart */
	u64 max_gap;		/* tdcr: longest time between two reads of a decided try (TSC) */
	u64 not_in_isr;		/* timer vector invocations with its ISR bit clear */
	u64 reads;		/* TMCCT reads, and the TSC cycles they took */
	u64 read_cycles;
	u64 violations[NR_VIOLATIONS];
	struct violation_log log[NR_LOGGED];	/* the first violations */
};

/* Command line, read by the guest. */
static int mode = MODE_TDCR;
static u64 nr_tries;
static u64 period_us;
static u64 window_us;

/* Written by the guest, read by the host at every GUEST_SYNC and at the end. */
static u64 irqs;
static struct race_stats stats;

/* Guest only: TMICT of the running timer, the divider of the tdcr mode. */
static u32 cur_tmict;
static bool div_by_2;

/* Guest only: the TSC of the recent interrupts, and of the current try's steps. */
static u64 irq_tsc[IRQ_LOG];
static u64 step_tsc[NR_STEPS];
static u64 try_first_irq;	/* the index of the try's first interrupt */

static bool timer_vector_set(unsigned int reg)
{
	return x2apic_read_reg(reg + APIC_VECTOR_TO_REG_OFFSET(TIMER_VECTOR)) &
	       BIT(APIC_VECTOR_TO_BIT_NUMBER(TIMER_VECTOR));
}

/*
 * The local APIC sets the vector's ISR bit when it delivers the interrupt, and EOI clears
 * it: an invocation with the bit clear is not an interrupt of the APIC but the same event
 * delivered twice (nested SVM under QEMU TCG did so once or twice a run), and is counted
 * apart.
 */
static void guest_timer_handler(struct ex_regs *regs)
{
	if (!timer_vector_set(APIC_ISR)) {
		stats.not_in_isr++;
		return;
	}
	irq_tsc[irqs % IRQ_LOG] = rdtsc();
	WRITE_ONCE(irqs, irqs + 1);
	x2apic_write_reg(APIC_EOI, 0);
}

static u64 us_to_tsc(u64 us)
{
	return guest_tsc_khz * us / USEC_PER_MSEC;
}

static u64 tsc_after_us(u64 us)
{
	return rdtsc() + us_to_tsc(us);
}

static bool tsc_before(u64 deadline)
{
	return (s64)(rdtsc() - deadline) < 0;
}

/* Guest and host: the violations counted so far. */
static u64 nr_violations(void)
{
	u64 i, total = 0;

	for (i = 0; i < NR_VIOLATIONS; i++)
		total += stats.violations[i];
	return total;
}

/* Start the timeline of a try: its first step and its first interrupt. */
static void start_steps(u64 first_irq)
{
	memset(step_tsc, 0, sizeof(step_tsc));
	step_tsc[0] = rdtsc();
	try_first_irq = first_irq;
}

static s64 tsc_to_us(u64 tsc, u64 from)
{
	return (s64)(tsc - from) * (s64)USEC_PER_MSEC / (s64)guest_tsc_khz;
}

static void violation(enum violation v, u64 try, u64 v0, u64 v1, u64 v2, u64 v3, u64 v4)
{
	u64 i, n = READ_ONCE(irqs), logged = nr_violations();
	struct violation_log *log = &stats.log[logged];

	stats.violations[v]++;
	if (logged >= NR_LOGGED)
		return;
	*log = (struct violation_log){ .try = try, .kind = v, .values = { v0, v1, v2, v3, v4 } };
	if (!step_tsc[0])
		return;
	for (i = 0; i < NR_STEPS; i++)
		log->step_us[i] = step_tsc[i] ? tsc_to_us(step_tsc[i], step_tsc[0]) : -1;
	for (i = try_first_irq; i < n && n - i <= IRQ_LOG && log->nr_irq_times < NR_IRQ_TIMES; i++)
		log->irq_us[log->nr_irq_times++] = tsc_to_us(irq_tsc[i % IRQ_LOG], step_tsc[0]);
}

/*
 * A TMCCT read, the interrupts taken before it and the TSC after it.  The interrupt of a
 * reload can't come before the reload itself, and KVM moves the count on to the next
 * period no later than it injects the interrupt: so a read that still shows the old
 * period's count tells that @irqs doesn't include the interrupt of the next reload (but
 * see tdcr_try() for the hv timer).
 */
struct sample {
	u64 irqs;
	u64 tsc;
	u32 count;
};

static struct sample read_count(u64 try, u32 previous)
{
	struct sample s = { .irqs = READ_ONCE(irqs) };
	u64 tsc = rdtsc();

	s.count = x2apic_read_reg(APIC_TMCCT);
	s.tsc = rdtsc();
	stats.reads++;
	stats.read_cycles += s.tsc - tsc;
	if (s.count > cur_tmict)
		violation(V_TMCCT_OVER_TMICT, try, previous, s.count, cur_tmict, 0, 0);
	return s;
}

static void start_periodic_timer(void)
{
	x2apic_write_reg(APIC_TDCR, APIC_TDCR_DIV_1);
	x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | TIMER_VECTOR);
	cur_tmict = period_us * NSEC_PER_USEC / APIC_BUS_CYCLE_NS;
	x2apic_write_reg(APIC_TMICT, cur_tmict);
	sti();
}

static void stop_timer(void)
{
	x2apic_write_reg(APIC_TMICT, 0);
	x2apic_write_reg(APIC_LVTT, APIC_LVT_MASKED | TIMER_VECTOR);
}

/* Wait, with IRQs on, until more than @n interrupts came; false if none by @deadline. */
static bool wait_irq_after(u64 n, u64 deadline)
{
	while (READ_ONCE(irqs) <= n) {
		if (!tsc_before(deadline))
			return false;
		cpu_relax();
	}
	return true;
}

/* [I1], see the top of the file. */
static void lvtt_try(u64 try)
{
	u64 oneshot_us = period_us + kvm_random_u32(&kvm_rng) % (period_us / 2 + 1);
	u64 n0, n, deadline;
	struct sample s;
	u32 after, end;
	bool irr;

	cli();
	x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_ONESHOT | TIMER_VECTOR);
	x2apic_write_reg(APIC_TDCR, APIC_TDCR_DIV_1);
	cur_tmict = oneshot_us * NSEC_PER_USEC / APIC_BUS_CYCLE_NS;
	n0 = READ_ONCE(irqs);
	deadline = tsc_after_us(2 * oneshot_us + LATE_IRQ_US);
	start_steps(n0);
	x2apic_write_reg(APIC_TMICT, cur_tmict);
	do {
		s = read_count(try, cur_tmict);
	} while (s.count && tsc_before(deadline));
	step_tsc[1] = s.tsc;
	if (s.count) {
		/* the count never reached zero in twice its time: can't tell */
		stop_timer();
		sti();
		stats.undecided++;
		return;
	}
	irr = timer_vector_set(APIC_IRR);
	x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | TIMER_VECTOR);
	step_tsc[2] = rdtsc();
	after = read_count(try, 0).count;
	sti();
	/* the one-shot interrupt, however late, then a few periods for more */
	if (wait_irq_after(n0, tsc_after_us(LATE_IRQ_US)))
		udelay(LVTT_WAIT_PERIODS * oneshot_us);
	cli();
	s = read_count(try, after);
	end = s.count;
	step_tsc[3] = s.tsc;
	stop_timer();
	/* an interrupt that KVM injected meanwhile counts for this try, not the next */
	sti();
	udelay(10);
	n = READ_ONCE(irqs) - n0;

	stats.tries++;
	stats.windows += !irr;
	if (after || end)
		violation(V_RELOAD_AFTER_ZERO, try, irr, after, end, n, 0);
	if (n > 1)
		violation(V_EXTRA_IRQ, try, irr, after, end, n, 0);
	else if (!n)
		violation(V_LOST_IRQ, try, irr, after, end, n, 0);
}

static u64 tdcr_period_us(void)
{
	return period_us * (div_by_2 ? 2 : 1);
}

static u32 tdcr_count_of_us(u64 us)
{
	return us * NSEC_PER_USEC / (APIC_BUS_CYCLE_NS * (div_by_2 ? 2 : 1));
}

/*
 * The TMCCT reads of a try: the last two, and the longest time between two reads that found
 * the timer counting.  That time must stay below a period: reads a period apart may hide a
 * reload, and a timer that KVM let fall behind by a period (base KVM reads zero meanwhile)
 * gets KVM's catch-up, e.g. base KVM's clamp of the missed expiration to "now" and a second
 * expiration: the guest can't tell which reloads it should have seen.
 */
struct reads {
	struct sample prev, cur;
	u64 counting_tsc;
	u64 max_gap;
};

static void reads_start(struct reads *r, u64 try)
{
	r->cur = read_count(try, cur_tmict);
	r->counting_tsc = r->cur.tsc;
	r->max_gap = 0;
}

/*
 * Read TMCCT once more; true if the count went up, i.e. the timer reloaded meanwhile.  A
 * reload between reads less than 0.9 period apart raises the count by more than a tenth of
 * TMICT; a smaller rise is KVM rounding the expiration, not a reload.
 */
static bool read_next(struct reads *r, u64 try)
{
	r->prev = r->cur;
	r->cur = read_count(try, r->prev.count);
	if (r->cur.count) {
		r->max_gap = max(r->max_gap, r->cur.tsc - r->counting_tsc);
		r->counting_tsc = r->cur.tsc;
	}
	return r->cur.count > r->prev.count + cur_tmict / RELOAD_RISE_DIVISOR;
}

#define NO_RELOAD	(~0ull)

/* [I2], see the top of the file. */
static void tdcr_try(u64 try)
{
	u32 target = tdcr_count_of_us(window_us - kvm_random_u32(&kvm_rng) % (window_us / 2 + 1));
	u64 deadline = tsc_after_us(PERIODS_PER_TRY * tdcr_period_us());
	u64 gap_limit = us_to_tsc(period_us * 9 / 10);
	u64 before_reload = NO_RELOAD, n0, n, expected;
	bool clean = false, waited = false, reloaded;
	unsigned int late_reloads = 0;
	struct sample last;
	struct reads r;
	u32 c0, c1, quarter_left;

	/*
	 * A reload whose interrupt came, after a reload whose interrupt had come by then, then a
	 * count in (0, target]: no interrupt of an earlier reload can still be on its way.
	 */
	reads_start(&r, try);
	for (;;) {
		if (!tsc_before(deadline)) {
			stats.undecided++;
			return;
		}
		if (read_next(&r, try)) {
			if (clean)
				stats.passed_over++;
			clean = before_reload != NO_RELOAD && r.prev.irqs == before_reload + 1;
			before_reload = r.prev.irqs;
		} else if (clean && r.cur.count && r.cur.count <= target) {
			if (READ_ONCE(irqs) == before_reload + 1)
				break;
			/* that reload's interrupt is late, or came twice: not from here */
			stats.passed_over++;
			clean = false;
		}
		if (r.max_gap >= gap_limit) {
			before_reload = NO_RELOAD;
			clean = false;
			r.max_gap = 0;
		}
	}

	n0 = before_reload + 1;
	c0 = r.cur.count;
	r.max_gap = 0;
	div_by_2 = !div_by_2;
	start_steps(n0);
	x2apic_write_reg(APIC_TDCR, div_by_2 ? APIC_TDCR_DIV_2 : APIC_TDCR_DIV_1);
	reloaded = read_next(&r, try);
	c1 = r.cur.count;
	step_tsc[1] = r.cur.tsc;
	/* the reload that c1 shows, if any, and the next one */
	expected = reloaded ? 2 : 1;

	/* The last reload to count: the next one after c1. */
	deadline = tsc_after_us(2 * tdcr_period_us() + LATE_IRQ_US);
	while (!read_next(&r, try)) {
		if (!tsc_before(deadline)) {
			stats.undecided++;
			return;
		}
	}
	step_tsc[2] = r.cur.tsc;

	/*
	 * Count the interrupts of the reloads up to it until a read finds three quarters of its
	 * period gone, well before the next reload: the hv timer may deliver an interrupt a
	 * little before TMCCT shows its reload (the TSC deadline and the expiration in kernel
	 * time are rounded apart).  If one is missing by then, it may be late (the emulated
	 * host's timer interrupt came late: TCG stalls for milliseconds now and then): count the
	 * next reload too and look again three quarters into its period, up to LATE_RELOADS
	 * times.  A lost interrupt stays missing at every look, a late one catches up.
	 */
	quarter_left = tdcr_count_of_us(tdcr_period_us() / 4);
	deadline = tsc_after_us((2 + LATE_RELOADS) * tdcr_period_us() + LATE_IRQ_US);
	for (;;) {
		if (read_next(&r, try)) {
			if (!waited || late_reloads == LATE_RELOADS) {
				last = r.prev;
				break;
			}
			late_reloads++;
			expected++;
			waited = false;
			continue;
		}
		last = r.cur;
		if (r.cur.count <= quarter_left) {
			if (last.irqs >= n0 + expected)
				break;
			waited = true;
		}
		if (!tsc_before(deadline)) {
			stats.undecided++;
			return;
		}
	}
	n = last.irqs - n0;
	step_tsc[3] = last.tsc;

	/* a late interrupt and an early one of the next reload can't be told apart */
	if (r.max_gap >= gap_limit || (waited && n > expected)) {
		stats.undecided++;
		stats.stalled += r.max_gap >= gap_limit;
		return;
	}
	stats.max_gap = max(stats.max_gap, r.max_gap);
	stats.tries++;
	stats.windows += reloaded;
	if (n < expected)
		violation(V_LOST_IRQ, try, c0, c1, n, expected, div_by_2 ? 2 : 1);
	else if (n > expected)
		violation(V_EXTRA_IRQ, try, c0, c1, n, expected, div_by_2 ? 2 : 1);
}

/* [I3], see the top of the file: one read per try. */
static void tmcct_try(u64 try)
{
	static u32 previous;
	u32 count = read_count(try, previous).count;

	stats.tries++;
	if (count > previous && count <= cur_tmict &&
	    previous <= window_us * NSEC_PER_USEC / APIC_BUS_CYCLE_NS)
		stats.windows++;
	previous = count;
}

static void guest_code(void)
{
	u64 try, step = nr_tries / PROGRESS_LINES ?: 1;

	x2apic_enable();
	if (mode != MODE_LVTT)
		start_periodic_timer();
	for (try = 0; try < nr_tries; try++) {
		switch (mode) {
		case MODE_LVTT:
			lvtt_try(try);
			break;
		case MODE_TDCR:
			tdcr_try(try);
			break;
		case MODE_TMCCT:
			tmcct_try(try);
			break;
		}
		if ((try + 1) % step == 0)
			GUEST_SYNC(try + 1);
	}
	cli();
	stop_timer();
	GUEST_DONE();
}

static void print_progress(u64 done)
{
	printf("timer_race: %lu/%lu: tries %lu, windows %lu, violations %lu, undecided %lu\n",
	       done, nr_tries, stats.tries, stats.windows, nr_violations(), stats.undecided);
}

static void run_guest(struct kvm_vcpu *vcpu)
{
	struct ucall uc;
	u64 cmd;

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		cmd = get_ucall(vcpu, &uc);
		if (cmd == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		TEST_ASSERT(cmd == UCALL_SYNC || cmd == UCALL_DONE, "Unknown ucall %lu", cmd);
		sync_global_from_guest(vcpu->vm, stats);
		if (cmd == UCALL_DONE)
			return;
		print_progress(uc.args[1]);
	}
}

static void report(void)
{
	const char * const *names;
	struct violation_log *log;
	u64 i, j;

	printf("@@METRIC tries=%lu\n", stats.tries);
	printf("@@METRIC windows=%lu\n", stats.windows);
	printf("@@METRIC undecided=%lu\n", stats.undecided);
	if (mode == MODE_TDCR) {
		printf("@@METRIC passed_over=%lu\n", stats.passed_over);
		printf("@@METRIC stalled=%lu\n", stats.stalled);
		printf("@@METRIC max_gap_us=%lu\n", stats.max_gap * USEC_PER_MSEC / guest_tsc_khz);
	}
	printf("@@METRIC not_in_isr=%lu\n", stats.not_in_isr);
	printf("@@METRIC read_us=%lu\n", stats.reads ?
	       stats.read_cycles * USEC_PER_MSEC / guest_tsc_khz / stats.reads : 0);
	for (i = 0; i < NR_VIOLATIONS; i++)
		if (mode_checks[mode] & BIT(i))
			printf("@@METRIC %s=%lu\n", violation_name[i], stats.violations[i]);
	printf("@@METRIC violations=%lu\n", nr_violations());
	printf("@@METRIC seed=%u\n", kvm_random_seed);
	if (!nr_violations()) {
		printf("timer_race: End of test: SUCCESS (mode %s, seed %u)\n", mode_name[mode],
		       kvm_random_seed);
		return;
	}
	for (i = 0; i < min_t(u64, nr_violations(), NR_LOGGED); i++) {
		log = &stats.log[i];
		names = value_names[log->kind == V_TMCCT_OVER_TMICT ? MODE_TMCCT : mode];
		printf("timer_race: violation %lu: %s in try %lu:", i + 1, violation_name[log->kind],
		       log->try);
		for (j = 0; j < NR_VALUES && names[j]; j++)
			printf(" %s=%lu", names[j], log->values[j]);
		printf("; us after %s:", step_names[mode][0] ?: "start");
		for (j = 1; j < NR_STEPS && step_names[mode][j]; j++)
			if (log->step_us[j] >= 0)
				printf(" %s=%ld", step_names[mode][j], log->step_us[j]);
		printf(" irqs=");
		for (j = 0; j < log->nr_irq_times; j++)
			printf("%s%ld", j ? "," : "", log->irq_us[j]);
		printf("\n");
	}
	printf("timer_race: End of test: FAILURE (mode %s, seed %u: replay with -s %u)\n",
	       mode_name[mode], kvm_random_seed, kvm_random_seed);
}

static void help(const char *name)
{
	printf("usage: %s [-m lvtt|tdcr|tmcct] [-n tries] [-p period_us] [-w window_us] [-s seed]\n"
	       "  -m  what to race (see the source): LVTT one-shot -> periodic after zero, TDCR\n"
	       "      writes at the deadline, TMCCT reads at the deadline (default tdcr)\n"
	       "  -n  tries; tmcct: reads (default per mode: %lu, %lu, %lu)\n"
	       "  -p  period in us, >= %d; tdcr: at divider 1 (default per mode: %lu, %lu, %lu)\n"
	       "  -w  window in us: tdcr acts within a random 1/2..1 of it from zero, tmcct counts\n"
	       "      reloads after a read within it (default per mode: -, %lu, %lu)\n"
	       "  -s  seed of the random choices (default: random, printed)\n",
	       name, default_tries[0], default_tries[1], default_tries[2], MIN_PERIOD_US,
	       default_period_us[0], default_period_us[1], default_period_us[2],
	       default_window_us[1], default_window_us[2]);
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int opt;

	while ((opt = getopt(argc, argv, "hm:n:p:w:s:")) != -1) {
		switch (opt) {
		case 'm':
			for (mode = 0; mode < NR_MODES; mode++)
				if (!strcmp(optarg, mode_name[mode]))
					break;
			TEST_ASSERT(mode < NR_MODES, "Unknown mode '%s'", optarg);
			break;
		case 'n':
			nr_tries = atoi_positive("Tries", optarg);
			break;
		case 'p':
			period_us = atoi_positive("Period (usec)", optarg);
			break;
		case 'w':
			window_us = atoi_positive("Window (usec)", optarg);
			break;
		case 's':
			kvm_random_seed = atoi_positive("Seed", optarg);
			break;
		default:
			help(argv[0]);
			exit(KSFT_SKIP);
		}
	}
	nr_tries = nr_tries ?: default_tries[mode];
	period_us = period_us ?: default_period_us[mode];
	window_us = window_us ?: default_window_us[mode];
	TEST_ASSERT(period_us >= MIN_PERIOD_US, "The period must be at least %d us, KVM's minimum",
		    MIN_PERIOD_US);
	TEST_ASSERT(mode == MODE_LVTT || window_us < period_us,
		    "The window (%lu us) must be shorter than the period (%lu us)", window_us,
		    period_us);
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_X2APIC));

	/* As timer_bench: the bus cycle is set before the vCPU exists; vm_create() seeds. */
	vm = vm_create(1);
	if (kvm_has_cap(KVM_CAP_X86_APIC_BUS_CYCLES_NS))
		vm_enable_cap(vm, KVM_CAP_X86_APIC_BUS_CYCLES_NS, APIC_BUS_CYCLE_NS);
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	vm_install_exception_handler(vm, TIMER_VECTOR, guest_timer_handler);
	sync_global_to_guest(vm, mode);
	sync_global_to_guest(vm, nr_tries);
	sync_global_to_guest(vm, period_us);
	sync_global_to_guest(vm, window_us);

	printf("timer_race: mode %s, %lu tries, period %lu us, window %lu us, seed %u\n",
	       mode_name[mode], nr_tries, period_us, window_us, kvm_random_seed);
	run_guest(vcpu);
	report();
	errno = 0;	/* test_assert() takes EACCES for a skip */
	TEST_ASSERT(!nr_violations(), "%lu violations of the APIC timer's rules (seed %u)",
		    nr_violations(), kvm_random_seed);
	kvm_vm_free(vm);
	return 0;
}
