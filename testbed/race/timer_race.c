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
 *  park   [I4] A running timer never stays silent, and a pause of the vCPU, i.e. the time
 *         userspace doesn't run it, is invisible to the guest but for the interrupts that
 *         KVM coalesces: the grid of the timer stays where it was, one interrupt stands for
 *         the reloads of the pause, and a masked LVTT latches nothing.  The windows of the
 *         series' parking of the hrtimer while the vCPU is out of KVM_RUN.  Per try, with a
 *         periodic timer of -p us and IRQs on: exit to userspace at a random count and let
 *         the host do one of park_action_names[] (in turn): pause for 0..3 periods; pause
 *         until the deadline passes within -w us of the next KVM_RUN, on another host CPU
 *         (the callback races with KVM_RUN's entry); exit within -w us of the deadline
 *         (the pause starts with an expiration on its way); KVM_GET_LAPIC + KVM_SET_LAPIC
 *         in the pause; move the vCPU thread to another host CPU (needs two); the same
 *         pause with LVTT masked, or with the APIC software-disabled, by the guest; a reset
 *         of the local APIC by the host, as a VMM's vCPU reset does it (KVM_SET_LAPIC of
 *         the INIT state: the timer stops, the guest then programs it again).  After the
 *         pause, or the unmask: TMCCT must show the old grid (off_grid: more than a quarter
 *         period apart; not checked after KVM_SET_LAPIC, which restores the count it
 *         saved), a reset timer must read zero (reload_after_zero), nothing may come while
 *         the timer is masked or reset (masked_irq), and the interrupts up to three
 *         quarters into the period after PARK_RELOADS reloads must be one per reload plus
 *         one if a deadline passed in the pause (lost_irq: a timer left parked loses them
 *         all; extra_irq).  After KVM_SET_LAPIC, an expiration pending before it may be
 *         dropped (documented): its interrupt is not required.
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
#include <sched.h>
#include <sys/sysinfo.h>
#include <time.h>
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

#define PARK_RELOADS		2	/* park: reloads counted after a pause */
#define PARK_PORT		0x2001	/* park: the guest's exit for a pause (OUT) */
#define PARK_NEAR_US		300	/* park: a deadline this close to the resume is on either side */

enum race_mode { MODE_LVTT, MODE_TDCR, MODE_TMCCT, MODE_PARK, NR_MODES };

static const char * const mode_name[NR_MODES] = { "lvtt", "tdcr", "tmcct", "park" };

/* Per mode: tries, period and window (us) unless given. */
static const u64 default_tries[NR_MODES] = { 200, 1000, 100000, 160 };
static const u64 default_period_us[NR_MODES] = { 1000, 500, 1000, 2000 };
static const u64 default_window_us[NR_MODES] = { 0, 150, 50, 300 };

/* park: what the host does while the vCPU is out, one after the other. */
enum park_action {
	PARK_PAUSE, PARK_ENTER_AT_DEADLINE, PARK_EXIT_AT_DEADLINE, PARK_LAPIC, PARK_MIGRATE,
	PARK_MASKED, PARK_SW_DISABLED, PARK_RESET, NR_PARK_ACTIONS,
};

static const char * const park_action_names[NR_PARK_ACTIONS] = {
	"pause", "enter_at_deadline", "exit_at_deadline", "lapic", "migrate", "masked",
	"sw_disabled", "reset",
};

enum violation {
	V_RELOAD_AFTER_ZERO,	/* [I1] */
	V_EXTRA_IRQ,		/* [I1], [I2] */
	V_LOST_IRQ,		/* [I1], [I2] */
	V_TMCCT_OVER_TMICT,	/* [I3] */
	V_OFF_GRID,		/* [I4] */
	V_MASKED_IRQ,		/* [I4] */
	NR_VIOLATIONS,
};

static const char * const violation_name[NR_VIOLATIONS] = {
	"reload_after_zero", "extra_irq", "lost_irq", "tmcct_over_tmict", "off_grid",
	"masked_irq",
};

/* The violations each mode checks, as bits of enum violation. */
static const u32 mode_checks[NR_MODES] = {
	[MODE_LVTT] = BIT(V_RELOAD_AFTER_ZERO) | BIT(V_EXTRA_IRQ) | BIT(V_LOST_IRQ) |
		      BIT(V_TMCCT_OVER_TMICT),
	[MODE_TDCR] = BIT(V_EXTRA_IRQ) | BIT(V_LOST_IRQ) | BIT(V_TMCCT_OVER_TMICT),
	[MODE_TMCCT] = BIT(V_TMCCT_OVER_TMICT),
	[MODE_PARK] = BIT(V_RELOAD_AFTER_ZERO) | BIT(V_EXTRA_IRQ) | BIT(V_LOST_IRQ) |
		      BIT(V_TMCCT_OVER_TMICT) | BIT(V_OFF_GRID) | BIT(V_MASKED_IRQ),
};

#define NR_VALUES		5	/* recorded per violation */
#define NR_LOGGED		8	/* violations recorded, the first ones */

/* What the values of a violation are: those of [I3], else those of the mode's rule. */
static const char * const value_names[NR_MODES][NR_VALUES] = {
	[MODE_LVTT] = { "irr_at_zero", "count_after_switch", "count_at_end", "irqs" },
	[MODE_TDCR] = { "count_before", "count_after", "irqs", "irqs_expected", "new_divider" },
	[MODE_TMCCT] = { "previous_read", "read", "tmict" },
	[MODE_PARK] = { "action", "count_at_exit", "pause_us", "irqs", "irqs_expected" },
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
	[MODE_PARK] = { "exit", "resume", "unmask", "end_read" },
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
	u64 park_tries[NR_PARK_ACTIONS];	/* park: decided tries per action */
	u64 park_windows[NR_PARK_ACTIONS];	/* park: of them, in the action's window */
	u64 park_off_grid_max_us;	/* park: the largest distance from the old grid */
	u64 park_either;		/* park: tries with a deadline too close to the resume */
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

/*
 * park: the pause the guest asks for, read by the host at the OUT to PARK_PORT.  A bare OUT,
 * not a ucall: the guest's TSC right before and after it bounds the pause, and the ucall's
 * own code would add hundreds of microseconds under TCG on either side.
 */
static struct {
	u64 action;
	u64 count_ns;
	s64 enter_miss_ns;	/* the last PARK_ENTER_AT_DEADLINE's resume - deadline */
} park_request;

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

/* park: the count in ns from a count of the timer (divider 1). */
static u64 count_ns(u32 count)
{
	return (u64)count * APIC_BUS_CYCLE_NS;
}

static u64 tsc_to_ns(u64 tsc)
{
	return tsc * NSEC_PER_MSEC / guest_tsc_khz;
}

/*
 * park: how far (ns) a count read at @tsc is from what the grid of a deadline at @d0_tsc
 * predicts, modulo the period.  The read's TSC is the middle of the read.
 */
static u64 grid_distance_ns(u64 d0_tsc, struct sample s, u64 read_tsc)
{
	u64 period_ns = period_us * NSEC_PER_USEC, expected, got = count_ns(s.count);
	u64 mid = read_tsc + (s.tsc - read_tsc) / 2;
	s64 until = (s64)(d0_tsc - mid);
	u64 d;

	/* the remaining time on the old grid, in [0, period) */
	if (until >= 0)
		expected = tsc_to_ns(until) % period_ns;
	else
		expected = (period_ns - tsc_to_ns(-until) % period_ns) % period_ns;
	d = got > expected ? got - expected : expected - got;
	return min(d, period_ns - min(d, period_ns));
}

/* park: a TMCCT read and the TSC before it, for grid_distance_ns(). */
static struct sample read_count_at(u64 try, u32 previous, u64 *read_tsc)
{
	*read_tsc = rdtsc();
	return read_count(try, previous);
}

/*
 * park: the interrupts due by the first read after a resume at @back_tsc, for the deadlines
 * from @d0 (the first after the exit) on: none if d0 is still ahead, one if only d0 passed,
 * in the pause or after it, else one for the deadlines of the pause plus one if the last
 * deadline before the read came after the resume.  The read tells where the grid is (the
 * next deadline is @s.count away), so the pre-pause estimate @d0 only needs to be within
 * half a period.  If that last deadline is within PARK_NEAR_US or a fifth of the period of the
 * resume (plus the read's
 * own time: an interrupt may be taken in it), where TCG's late timers and the read's latency
 * don't tell which side it is on, return NO_RELOAD: one or two interrupts are due.
 */
static u64 park_expected(u64 d0, u64 back_tsc, u64 read_tsc, struct sample s)
{
	u64 period_tsc = us_to_tsc(period_us);
	u64 next = read_tsc + (s.tsc - read_tsc) / 2 + us_to_tsc(count_ns(s.count) / NSEC_PER_USEC);
	u64 margin = (s.tsc - read_tsc) + us_to_tsc(max_t(u64, PARK_NEAR_US, period_us / 5));
	u64 last, passed;
	s64 since_d0 = (s64)(next - d0);

	if (since_d0 < (s64)(period_tsc / 2))
		return 0;
	passed = (since_d0 + period_tsc / 2) / period_tsc;
	if (passed == 1)
		return 1;
	last = next - period_tsc;
	if ((s64)(last - back_tsc) < (s64)margin && (s64)(back_tsc - last) < (s64)margin)
		return NO_RELOAD;
	return (s64)(last - back_tsc) > 0 ? 2 : 1;
}

/* [I4], see the top of the file. */
static void park_try(u64 try)
{
	enum park_action action = try % NR_PARK_ACTIONS;
	bool masking = action == PARK_MASKED || action == PARK_SW_DISABLED ||
		       action == PARK_RESET;
	u32 window = tdcr_count_of_us(window_us), quarter = tdcr_count_of_us(period_us / 4);
	u64 deadline = tsc_after_us(PERIODS_PER_TRY * period_us);
	u64 n0, n, expected, d0, d0_err, read_tsc, exit_tsc, back_tsc, end, dist;
	unsigned int reloads = 0, late_reloads = 0;
	bool in_window = false, waited = false, either = false;
	struct sample s, last;
	struct reads r;
	u32 at, spiv = 0;

	/* The count to exit at: within the window of zero, or anywhere above it. */
	if (action == PARK_EXIT_AT_DEADLINE)
		at = window - kvm_random_u32(&kvm_rng) % (window / 2 + 1);
	else
		at = window + kvm_random_u32(&kvm_rng) % (cur_tmict - window);

	/* A reload that came with its interrupt, then that period's count down to @at. */
	reads_start(&r, try);
	for (;;) {
		if (!tsc_before(deadline)) {
			stats.undecided++;
			return;
		}
		if (!read_next(&r, try))
			continue;
		n0 = r.prev.irqs;
		if (!wait_irq_after(n0, tsc_after_us(LATE_IRQ_US)) || READ_ONCE(irqs) != n0 + 1) {
			reads_start(&r, try);
			continue;
		}
		do {
			s = read_count_at(try, r.cur.count, &read_tsc);
			if (s.count > r.cur.count)
				break;	/* it reloaded: start over */
			r.cur = s;
		} while (s.count > at);
		/* but never within the window of zero unless that is the point */
		if (s.count <= at && s.count && READ_ONCE(irqs) == n0 + 1 &&
		    (action == PARK_EXIT_AT_DEADLINE || s.count > window))
			break;
		reads_start(&r, try);
	}

	/* The grid's next deadline in guest TSC, give or take half the read. */
	d0_err = (s.tsc - read_tsc) / 2;
	d0 = read_tsc + d0_err + us_to_tsc(count_ns(s.count) / NSEC_PER_USEC);
	n0 = READ_ONCE(irqs);
	start_steps(n0);
	if (action == PARK_MASKED) {
		x2apic_write_reg(APIC_LVTT, APIC_LVT_MASKED | APIC_LVT_TIMER_PERIODIC |
			TIMER_VECTOR);
	} else if (action == PARK_SW_DISABLED || action == PARK_RESET) {
		spiv = x2apic_read_reg(APIC_SPIV);
		if (action == PARK_SW_DISABLED)
			x2apic_write_reg(APIC_SPIV, spiv & ~APIC_SPIV_APIC_ENABLED);
	}
	park_request.action = action;
	park_request.count_ns = count_ns(s.count);
	exit_tsc = rdtsc();
	asm volatile("outb %%al, %%dx" : : "a"(0), "d"(PARK_PORT) : "memory");
	back_tsc = rdtsc();
	/*
	 * An interrupt that KVM injects on the way back in is taken before the instruction
	 * after the OUT, and its handler's EOI exits again (hundreds of microseconds under
	 * TCG): the resume is no later than the first interrupt after the exit.
	 */
	if (READ_ONCE(irqs) != n0 && (s64)(irq_tsc[n0 % IRQ_LOG] - back_tsc) < 0 &&
	    (s64)(irq_tsc[n0 % IRQ_LOG] - exit_tsc) > 0)
		back_tsc = irq_tsc[n0 % IRQ_LOG];
	step_tsc[1] = back_tsc;

	if (action == PARK_EXIT_AT_DEADLINE) {
		in_window = (s64)(d0 - exit_tsc) <= (s64)us_to_tsc(window_us);
	} else if (action == PARK_ENTER_AT_DEADLINE) {
		/* for the host's next aim: how far after the deadline the vCPU came back */
		park_request.enter_miss_ns = (s64)(back_tsc - d0) * (s64)NSEC_PER_MSEC /
					     (s64)guest_tsc_khz;
		in_window = park_request.enter_miss_ns >= -(s64)(window_us * NSEC_PER_USEC) &&
			    park_request.enter_miss_ns <= (s64)(window_us * NSEC_PER_USEC);
	}

	if (masking) {
		/*
		 * Nothing may come while masked, or from a timer that the host reset (LVTT
		 * masked, TMICT 0: its count reads zero), for two periods after the pause.
		 */
		udelay(2 * period_us);
		if (READ_ONCE(irqs) != n0)
			violation(V_MASKED_IRQ, try, action, count_ns(s.count),
				  tsc_to_us(back_tsc, exit_tsc), READ_ONCE(irqs) - n0, 0);
		s = read_count(try, cur_tmict);
		if (action == PARK_RESET && s.count)
			violation(V_RELOAD_AFTER_ZERO, try, action, count_ns(s.count),
				  tsc_to_us(back_tsc, exit_tsc), 0, 0);
		if (action != PARK_MASKED)
			x2apic_write_reg(APIC_SPIV, spiv | APIC_SPIV_APIC_ENABLED);
		if (action == PARK_RESET) {
			/* program the timer again: a new grid from this TMICT write */
			start_periodic_timer();
			s = read_count(try, cur_tmict);
		} else {
			x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | TIMER_VECTOR);
		}
		step_tsc[2] = rdtsc();
		n0 = READ_ONCE(irqs);
		r.cur = read_count_at(try, s.count, &read_tsc);
		r.counting_tsc = r.cur.tsc;
		r.max_gap = 0;
		if (r.cur.count > s.count) {
			/* a deadline passed during the unmask: can't tell where it belongs */
			stats.undecided++;
			return;
		}
		/*
		 * A deadline that passed shortly before the unmask may have its callback still
		 * on the way (TCG delivers the host's timers up to milliseconds late), and KVM
		 * decides on the mask when it injects: its interrupt may come, or not.
		 */
		either = count_ns(s.count) + PARK_NEAR_US * NSEC_PER_USEC * 4 >
			 period_us * NSEC_PER_USEC;
		/* unmasked, the timer is where its old grid says */
		if (action != PARK_RESET) {
			dist = grid_distance_ns(d0, r.cur, read_tsc);
			stats.park_off_grid_max_us = max(stats.park_off_grid_max_us,
							 dist / NSEC_PER_USEC);
			if (dist > period_us * NSEC_PER_USEC / 4)
				violation(V_OFF_GRID, try, action, count_ns(r.cur.count),
					  tsc_to_us(back_tsc, exit_tsc), dist / NSEC_PER_USEC, 0);
		}
		expected = 0;
	} else {
		s = read_count_at(try, cur_tmict, &read_tsc);
		r.cur = s;
		r.counting_tsc = s.tsc;
		r.max_gap = 0;
		/* one interrupt for the deadlines of the pause, one for a deadline after it */
		expected = park_expected(d0, back_tsc, read_tsc, s);
		if (expected == NO_RELOAD) {
			expected = 1;
			either = true;
		}
		if (action != PARK_LAPIC) {
			dist = grid_distance_ns(d0, s, read_tsc);
			stats.park_off_grid_max_us = max(stats.park_off_grid_max_us,
							 dist / NSEC_PER_USEC);
			if (dist > period_us * NSEC_PER_USEC / 4)
				violation(V_OFF_GRID, try, action, count_ns(s.count),
					  tsc_to_us(back_tsc, exit_tsc), dist / NSEC_PER_USEC, 0);
		}
	}

	/*
	 * Count the interrupts up to three quarters into the period after PARK_RELOADS reloads;
	 * if one is missing by then, it may be late: count the next reload too and look again,
	 * up to LATE_RELOADS times (see tdcr_try()).  A timer left parked stays silent at every
	 * look; its count keeps reloading in TMCCT.
	 */
	end = tsc_after_us((PARK_RELOADS + 1 + LATE_RELOADS) * period_us + LATE_IRQ_US);
	last = r.cur;
	for (;;) {
		if (read_next(&r, try)) {
			if (reloads >= PARK_RELOADS) {
				if (!waited || late_reloads == LATE_RELOADS) {
					last = r.prev;	/* this reload isn't counted */
					break;
				}
				late_reloads++;
				waited = false;
			}
			reloads++;
			continue;
		}
		last = r.cur;
		if (reloads >= PARK_RELOADS && r.cur.count <= quarter) {
			if (last.irqs >= n0 + expected + reloads)
				break;
			waited = true;
		}
		if (!tsc_before(end)) {
			stats.undecided++;
			return;
		}
	}
	n = last.irqs - n0;
	step_tsc[3] = last.tsc;
	if (r.max_gap >= us_to_tsc(period_us * 9 / 10)) {
		stats.undecided++;
		stats.stalled++;
		return;
	}
	expected += reloads;
	stats.tries++;
	stats.park_tries[action]++;
	stats.windows += in_window;
	stats.park_windows[action] += in_window;
	/* KVM_SET_LAPIC drops an expiration that it finds pending (documented) */
	if (n < expected && !(action == PARK_LAPIC && n + 1 == expected))
		violation(V_LOST_IRQ, try, action, count_ns(s.count),
			  tsc_to_us(back_tsc, exit_tsc), n, expected);
	else if (n > expected + either)
		violation(V_EXTRA_IRQ, try, action, count_ns(s.count),
			  tsc_to_us(back_tsc, exit_tsc), n, expected);
	stats.park_either += either;
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
		case MODE_PARK:
			park_try(try);
			break;
		}
		if ((try + 1) % step == 0)
			GUEST_SYNC(try + 1);
	}
	cli();
	stop_timer();
	GUEST_DONE();
}

/* park: the vCPU thread's host CPU, moved by PARK_MIGRATE if the host has two or more. */
static int nr_host_cpus;
static int host_cpu;
static u64 migrations;
static s64 enter_bias_ns;	/* park: the host's estimate of an exit's and an entry's time */

static void sleep_ns(u64 ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static u64 random_ns(u64 max_ns)
{
	return ((u64)kvm_random_u32(&kvm_rng) << 32 | kvm_random_u32(&kvm_rng)) % (max_ns + 1);
}

static void pin_vcpu_thread(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(host_cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity() to CPU %d",
		    host_cpu);
}

static void migrate_vcpu_thread(void)
{
	cpu_set_t set;

	if (nr_host_cpus < 2)
		return;
	host_cpu = (host_cpu + 1) % nr_host_cpus;
	CPU_ZERO(&set);
	CPU_SET(host_cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity() to CPU %d",
		    host_cpu);
	migrations++;
}

/* park: what the host does while the vCPU is out, see park_try(). */
static void park_host(struct kvm_vcpu *vcpu, u64 action, u64 count_ns, s64 miss_ns)
{
	u64 period_ns = period_us * NSEC_PER_USEC, window_ns = window_us * NSEC_PER_USEC;
	struct kvm_lapic_state lapic;
	s64 pause_ns;

	switch (action) {
	case PARK_ENTER_AT_DEADLINE:
		/*
		 * The deadline passes within the window of the next KVM_RUN, give or take, and
		 * the hrtimer's callback runs on the CPU the vCPU thread leaves, if there are
		 * two: on the same CPU, the callback can't run in the middle of KVM_RUN's entry.
		 */
		migrate_vcpu_thread();
		/*
		 * Learn the exit's and the entry's own time from how far the previous try of
		 * this action missed (only these tries write it, so each value counts once).
		 */
		enter_bias_ns += miss_ns / 2;
		pause_ns = count_ns - enter_bias_ns - window_ns + random_ns(2 * window_ns);
		sleep_ns(max_t(s64, pause_ns, 0));
		break;
	case PARK_LAPIC:
		sleep_ns(random_ns(2 * period_ns));
		vcpu_ioctl(vcpu, KVM_GET_LAPIC, &lapic);
		vcpu_ioctl(vcpu, KVM_SET_LAPIC, &lapic);
		sleep_ns(random_ns(period_ns));
		break;
	case PARK_MIGRATE:
		migrate_vcpu_thread();
		sleep_ns(random_ns(3 * period_ns));
		break;
	case PARK_RESET:
		/* what a VMM's vCPU reset does to the local APIC: KVM_SET_LAPIC of its INIT state */
		sleep_ns(random_ns(2 * period_ns));
		vcpu_ioctl(vcpu, KVM_GET_LAPIC, &lapic);
		*(u32 *)(lapic.regs + APIC_LVTT) = APIC_LVT_MASKED;
		*(u32 *)(lapic.regs + APIC_TMICT) = 0;
		*(u32 *)(lapic.regs + APIC_TMCCT) = 0;
		*(u32 *)(lapic.regs + APIC_TDCR) = 0;
		*(u32 *)(lapic.regs + APIC_SPIV) = 0xff;
		vcpu_ioctl(vcpu, KVM_SET_LAPIC, &lapic);
		sleep_ns(random_ns(period_ns));
		break;
	case PARK_MASKED:
	case PARK_SW_DISABLED:
		sleep_ns(period_ns + random_ns(2 * period_ns));
		break;
	default:
		sleep_ns(random_ns(3 * period_ns));
		break;
	}
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
		if (vcpu->run->io.port == PARK_PORT) {
			sync_global_from_guest(vcpu->vm, park_request);
			park_host(vcpu, park_request.action, park_request.count_ns,
				  park_request.enter_miss_ns);
			continue;
		}
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
	if (mode == MODE_PARK) {
		for (i = 0; i < NR_PARK_ACTIONS; i++) {
			printf("@@METRIC tries_%s=%lu\n", park_action_names[i], stats.park_tries[i]);
			if (i == PARK_ENTER_AT_DEADLINE || i == PARK_EXIT_AT_DEADLINE)
				printf("@@METRIC windows_%s=%lu\n", park_action_names[i],
				       stats.park_windows[i]);
		}
		printf("@@METRIC stalled=%lu\n", stats.stalled);
		printf("@@METRIC near_resume=%lu\n", stats.park_either);
		printf("@@METRIC off_grid_max_us=%lu\n", stats.park_off_grid_max_us);
		printf("@@METRIC migrations=%lu\n", migrations);
		printf("@@METRIC enter_bias_us=%ld\n", enter_bias_ns / (s64)NSEC_PER_USEC);
		printf("@@METRIC enter_last_miss_us=%ld\n",
		       park_request.enter_miss_ns / (s64)NSEC_PER_USEC);
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
		if (mode == MODE_PARK && log->values[0] < NR_PARK_ACTIONS)
			printf("timer_race: (action %s)\n", park_action_names[log->values[0]]);
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
	printf("usage: %s [-m lvtt|tdcr|tmcct|park] [-n tries] [-p period_us] [-w window_us]\n"
	       "       [-s seed]\n"
	       "  -m  what to race (see the source): LVTT one-shot -> periodic after zero, TDCR\n"
	       "      writes at the deadline, TMCCT reads at the deadline, pauses of the vCPU\n"
	       "      (default tdcr)\n"
	       "  -n  tries; tmcct: reads (default per mode: %lu, %lu, %lu, %lu)\n"
	       "  -p  period in us, >= %d; tdcr: at divider 1 (default per mode: %lu, %lu, %lu,\n"
	       "      %lu)\n"
	       "  -w  window in us: tdcr acts within a random 1/2..1 of it from zero, tmcct counts\n"
	       "      reloads after a read within it, park exits or resumes within it of the\n"
	       "      deadline (default per mode: -, %lu, %lu, %lu)\n"
	       "  -s  seed of the random choices (default: random, printed)\n",
	       name, default_tries[0], default_tries[1], default_tries[2], default_tries[3],
	       MIN_PERIOD_US, default_period_us[0], default_period_us[1], default_period_us[2],
	       default_period_us[3], default_window_us[1], default_window_us[2],
	       default_window_us[3]);
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
	nr_host_cpus = get_nprocs();
	/* park: the vCPU thread changes host CPU only when PARK_MIGRATE moves it */
	if (mode == MODE_PARK)
		pin_vcpu_thread();

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
