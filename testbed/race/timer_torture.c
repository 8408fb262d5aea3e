// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-bed torture program (testbed/race, not part of the series): a guest that runs a seeded
 * random sequence of local APIC timer operations, and asks its host for a seeded random
 * sequence of VMM operations in between, while it checks after every step what the SDM says
 * the timer does (Vol. 3A, "APIC Timer").  Built against the KVM selftest library of the
 * primary base (testbed/build/build-programs.sh); testbed/plan.conf runs a short run as
 * "torture" in every boot, `make torture` long ones.  The host prints the tallies as
 * "@@METRIC name=value" lines and a table, then fails if the guest counted a violation.
 *
 * A step is one operation (-n steps).  Guest operations: a TMICT write (a new period, or 0), a
 * TDCR write (any divider), an LVTT mode switch (one-shot, periodic, TSC-deadline if the CPU
 * model has it), LVTT mask or unmask, SPIV disable or enable, HLT until the next interrupt or
 * a random time, TMCCT reads, a TSC-deadline write.  Host operations, asked for with an OUT to
 * HOST_PORT: a pause of 0 to MAX_PAUSE_PERIODS periods (KVM_RUN not called), KVM_GET_LAPIC +
 * KVM_SET_LAPIC in a pause, KVM_RUN with immediate_exit, a signal that interrupts a later
 * KVM_RUN, a move of the vCPU thread to another host CPU.  EDGE_PERCENT of the writes and the
 * pauses first poll TMCCT down to a random count within -w us of zero (a one-shot mode switch:
 * down to zero), so that the deadline passes while KVM handles the exit.  Periods (at divider
 * and TMICT together) are random in [-p, 2 * -p] us.
 *
 * The guest keeps a model of the timer (mode, mask, TMICT, divider, the next deadline that the
 * last TMCCT read showed) and counts, from the TMCCT reads that bracket every operation, the
 * reloads and expirations that owe an interrupt: one per reload or expiration of an unmasked
 * timer; for a pause, one for the deadlines of the pause plus one per deadline after the
 * resume (KVM coalesces what a stopped vCPU missed).  A stop that no host operation asked
 * for (the vCPU thread preempted on its host, a ucall's exit) shows as a gap of more than half
 * a period between two reads of straight-line code, and counts as a pause ("gaps").
 * Violations (each counted by kind):
 *  tmcct_over_tmict    a TMCCT read above TMICT;
 *  count_while_stopped a non-zero TMCCT of a stopped timer: TMICT 0, a one-shot that reached
 *                      zero (until TMICT is written, whatever LVTT says), TSC-deadline mode;
 *  irq_while_stopped   an interrupt that no deadline owes while the timer is masked, disabled
 *                      or stopped (a masked LVT latches nothing);
 *  extra_irq           more interrupts than owed (a phantom, a storm, two for a pause);
 *  lost_irq            fewer, for LOST_WAIT after the last deadline (a late one catches up, a
 *                      lost one doesn't; a timer left parked loses them all); an interrupt
 *                      reported as extra before the read that showed its deadline pays for
 *                      a deficit within CREDIT_PERIODS;
 *  silent              a running unmasked periodic timer without an interrupt for
 *                      SILENT_PERIODS periods and at least SILENT_MIN_US of the vCPU's time;
 *  off_grid            a periodic timer's next deadline off its old grid (by more than a
 *                      quarter period) after an operation that must keep it: a read, HLT, a
 *                      mask or unmask, a switch between one-shot and periodic, a pause, a move;
 *  dead_at_end         a running unmasked timer that delivers nothing in its last periods.
 * What hardware does either way counts as one interrupt that may or may not come (the model's
 * "ambiguous" budget, spent at the next check): a deadline within the late bound (-l us: the
 * emulated host's timers come late) of a mask, an unmask, an SPIV, TMICT or mode write, or of a
 * KVM_SET_LAPIC (documented to drop a pending expiration), and a deadline of a pause within
 * NEAR of its resume.  The seed (-s, printed) replays the random choices, not the timing.
 *
 * With -t the host prints "# pause N: vcpu 0 stopped NS resumed NS period NS" for its first
 * TRACED_PAUSES plain pauses of at least two periods, for testbed/guest/timer-trace (a pause
 * with KVM_SET_LAPIC restarts the timer, so it may cost two callbacks: not traced).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <time.h>
#include <linux/time64.h>

#include "apic.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define TIMER_VECTOR		0xec
#define WAKE_VECTOR		0xed	/* the host's watchdog MSI, see wake_thread() */
#define WAKE_MS			50
#define APIC_BUS_CYCLE_NS	1	/* KVM's default, also set if possible */
#define MIN_PERIOD_US		200	/* KVM's min_timer_period_us */
#define HOST_PORT		0x2002	/* the guest's exit for a host operation (OUT) */
#define EDGE_PERCENT		40
#define MAX_PAUSE_PERIODS	50
#define SILENT_PERIODS		20
#define SILENT_MIN_US		(50 * USEC_PER_MSEC)
#define LOST_WAIT_PERIODS	3	/* a missing interrupt is lost after this + 3 late bounds */
#define CREDIT_PERIODS		2	/* an extra interrupt may be claimed this late */
#define END_PERIODS		3
#define WARMUP_PERIODS		3
#define LATE_END_US		(1000 * USEC_PER_MSEC)	/* the end's wait for late interrupts */
#define SLOW_READ_TRIES		8
#define EARLY_US		200	/* an interrupt may come this much before TMCCT shows it */
#define NR_LOGGED		8
#define TRACED_PAUSES		20
#define PROGRESS_LINES		10

enum op {
	OP_TMICT, OP_TDCR, OP_MODE, OP_MASK, OP_SPIV, OP_HLT, OP_READ, OP_TSC_DEADLINE,
	OP_PAUSE, OP_LAPIC, OP_IMMEDIATE_EXIT, OP_SIGNAL, OP_MIGRATE, NR_OPS,
};

static const char * const op_names[NR_OPS] = {
	"tmict", "tdcr", "lvtt_mode", "lvtt_mask", "spiv", "hlt", "tmcct_read", "tsc_deadline",
	"pause", "lapic_get_set", "immediate_exit", "signal", "migrate",
};

/* Relative frequency of each operation. */
static const u32 op_weight[NR_OPS] = { 8, 8, 8, 8, 4, 6, 10, 6, 8, 4, 4, 4, 4 };

enum violation {
	V_OVER_TMICT, V_COUNT_STOPPED, V_IRQ_STOPPED, V_EXTRA_IRQ, V_LOST_IRQ, V_SILENT,
	V_OFF_GRID, V_DEAD_AT_END, NR_VIOLATIONS,
};

static const char * const violation_names[NR_VIOLATIONS] = {
	"tmcct_over_tmict", "count_while_stopped", "irq_while_stopped", "extra_irq", "lost_irq",
	"silent", "off_grid", "dead_at_end",
};

#define NR_HISTORY		4	/* the operations before a violation, logged with it */

struct violation_log {
	u64 step;
	u64 kind;
	u64 op;
	u64 history[NR_HISTORY];	/* op | edge << 8, the latest first */
	u64 value;
	u64 got;
	u64 owed;
	u32 mode;
	u32 tmict;
	u32 div;
	u32 masked;
};

struct torture_stats {
	u64 steps;
	u64 ops[NR_OPS];
	u64 edge_ops;		/* of them, acted within the window of a deadline */
	u64 edge_deadlines;	/* ... and a deadline passed between the reads around it */
	u64 reads;
	u64 irqs;
	u64 owed;
	u64 ambiguous;		/* interrupts that may come or not (see the top) */
	u64 not_in_isr;
	u64 lapic_restarts;	/* expired timers that KVM_SET_LAPIC restarted */
	u64 slow_reads;		/* TMCCT reads that took more than an eighth of a period */
	u64 gaps;		/* the vCPU stopped between two reads without a host operation */
	u64 wakeups;		/* the host watchdog's interrupts */
	u64 warmup_extra;	/* interrupts above the owed ones before step 0 (reported) */
	u64 violations[NR_VIOLATIONS];
	u64 logged;		/* entries of log[], the judged ones first */
	u64 judged_logged;
	struct violation_log log[NR_LOGGED];
};

/* Host operations: what the guest asks for at its OUT to HOST_PORT. */
static struct {
	u64 op;
	u64 ns;		/* pause length, or when the signal comes */
} host_request;

/* Command line, read by the guest. */
static u64 nr_steps;
static u64 period_us;
static u64 window_us;
static u64 late_us;
static u64 ops_enabled = BIT(NR_OPS) - 1;	/* -o */
static u64 judged = BIT(NR_VIOLATIONS) - 1;	/* -j: the violations that fail the run */

static struct torture_stats stats;
static u64 irqs;

/* Guest only: the model of the timer. */
static struct {
	u32 mode;		/* APIC_LVT_TIMER_{ONESHOT,PERIODIC,TSCDEADLINE} */
	bool masked;		/* LVTT */
	bool disabled;		/* SPIV */
	u32 tmict;
	u32 div;		/* 1..128 */
	bool expired;		/* one-shot: reached zero */
	u64 tscd;		/* armed TSC deadline, or 0 */
	bool have_d;
	u64 d;			/* the next deadline that the last read showed (TSC) */
	u64 last_deadline;	/* the last deadline that passed (TSC) */
	u64 last_change;	/* the last operation that may cost or add an interrupt (TSC) */
	u64 owed;
	u64 ambiguous;
	u64 deficit_since;	/* fewer interrupts than owed since (TSC), or 0 */
	u64 credit;		/* interrupts counted as extra that a deadline may still claim */
	u64 credit_since;
	u64 quiet_since;	/* a running unmasked periodic timer's last interrupt (TSC) */
	u64 quiet_paused;	/* of the time since, the vCPU's pauses (TSC) */
	u64 last_read_end;	/* the end of the last read (TSC) */
	bool waited;		/* the guest halted since the last read */
	u64 last_irqs;
	u32 last_count;		/* the last TMCCT read */
	bool tscd_ok;		/* the CPU has the TSC-deadline timer */
} m;

static u64 cur_step;
static u64 cur_op;
static u64 history[NR_HISTORY];

/*
 * The guest's recent events, for the first violation's timeline: TMCCT reads (the count),
 * interrupts, operations (the op), the exit and the resume of a host operation, and the writes
 * to the timer's registers.
 */
#define NR_EVENTS		192
enum event {
	EV_READ, EV_IRQ, EV_OP, EV_EXIT, EV_RESUME, EV_VIOLATION, EV_LVTT, EV_TMICT,
	EV_TDCR, EV_SPIV, EV_TSC_DEADLINE,
};
static const char * const event_names[] = {
	"read", "irq", "op", "exit", "resume", "VIOLATION", "lvtt=", "tmict=", "tdcr=",
	"spiv=", "tscd_in_us=",
};
struct event_log {
	u64 tsc;
	u32 type;
	u32 value;
};
static struct event_log events[NR_EVENTS];
static u64 nr_events;
static struct event_log first_timeline[NR_EVENTS];
static u64 first_timeline_end;
static struct event_log deficit_timeline[NR_EVENTS];	/* when the deficit began */
static u64 deficit_timeline_end;

static void event(enum event type, u64 tsc, u32 value)
{
	struct event_log *last = &events[(nr_events - 1) % NR_EVENTS];

	/* a stopped timer's reads: the first one only */
	if (nr_events && type == EV_READ && last->type == EV_READ && last->value == value)
		return;
	events[nr_events % NR_EVENTS] = (struct event_log){ .tsc = tsc, .type = type,
							    .value = value };
	nr_events++;
}

/* A write to a timer register, logged. */
static void write_reg(unsigned int reg, u32 val)
{
	event(reg == APIC_LVTT ? EV_LVTT : reg == APIC_TMICT ? EV_TMICT :
	      reg == APIC_TDCR ? EV_TDCR : EV_SPIV, rdtsc(), val);
	x2apic_write_reg(reg, val);
}

/* The host's watchdog: wakes a HLT that a dead timer would leave halted forever. */
static u64 wakeups;

static void guest_wake_handler(struct ex_regs *regs)
{
	WRITE_ONCE(wakeups, wakeups + 1);
	x2apic_write_reg(APIC_EOI, 0);
}

static bool timer_vector_set(unsigned int reg)
{
	return x2apic_read_reg(reg + APIC_VECTOR_TO_REG_OFFSET(TIMER_VECTOR)) &
	       BIT(APIC_VECTOR_TO_BIT_NUMBER(TIMER_VECTOR));
}

/* An invocation whose ISR bit is clear isn't an interrupt of the APIC (see timer_race.c). */
static void guest_timer_handler(struct ex_regs *regs)
{
	if (!timer_vector_set(APIC_ISR)) {
		stats.not_in_isr++;
		return;
	}
	event(EV_IRQ, rdtsc(), irqs);
	WRITE_ONCE(irqs, irqs + 1);
	x2apic_write_reg(APIC_EOI, 0);
}

static u64 us_to_tsc(u64 us)
{
	return guest_tsc_khz * us / USEC_PER_MSEC;
}

static u64 ns_to_tsc(u64 ns)
{
	return guest_tsc_khz * ns / NSEC_PER_MSEC;
}

static u64 tsc_to_us(u64 tsc)
{
	return tsc * USEC_PER_MSEC / guest_tsc_khz;
}

static bool tsc_before(u64 deadline)
{
	return (s64)(rdtsc() - deadline) < 0;
}

static u64 random_below(u64 n)
{
	return n ? kvm_random_u32(&kvm_rng) % n : 0;
}

static bool chance(u32 percent)
{
	return random_below(100) < percent;
}

static u64 nr_violations(void)
{
	u64 i, total = 0;

	for (i = 0; i < NR_VIOLATIONS; i++)
		total += stats.violations[i];
	return total;
}

/*
 * Count a violation; log it (NR_LOGGED of them, the judged ones first, see -j) and keep the
 * timeline of the first one, or of the first judged one once one comes.
 */
static void violation(enum violation v, u64 value)
{
	bool judge = judged & BIT(v);
	u64 slot;

	stats.violations[v]++;
	if (!stats.logged || (judge && !stats.judged_logged)) {
		if (v == V_LOST_IRQ) {
			/* the interrupts went missing before the deficit began */
			memcpy(first_timeline, deficit_timeline, sizeof(events));
			first_timeline_end = deficit_timeline_end;
		} else {
			event(EV_VIOLATION, rdtsc(), v);
			memcpy(first_timeline, events, sizeof(events));
			first_timeline_end = nr_events;
		}
	}
	if (judge && stats.judged_logged < NR_LOGGED) {
		/* in front of the unjudged ones: the one in its place moves to the end */
		slot = stats.judged_logged++;
		if (slot < stats.logged && stats.logged < NR_LOGGED)
			stats.log[stats.logged++] = stats.log[slot];
		else if (slot == stats.logged)
			stats.logged++;
	} else if (!judge && stats.logged < NR_LOGGED) {
		slot = stats.logged++;
	} else {
		return;
	}
	stats.log[slot] = (struct violation_log){
		.step = cur_step, .kind = v, .op = cur_op, .value = value,
		.got = READ_ONCE(irqs), .owed = m.owed, .mode = m.mode >> 17, .tmict = m.tmict,
		.div = m.div, .masked = m.masked | m.disabled << 1,
	};
	memcpy(stats.log[slot].history, history, sizeof(history));
}

static bool deliverable(void)
{
	return !m.masked && !m.disabled;
}

/*
 * TMICT and TDCR run the count: periodic, or a one-shot that didn't reach zero (one that did
 * stays stopped in any mode until TMICT is written).
 */
static bool counting(void)
{
	return m.mode != APIC_LVT_TIMER_TSCDEADLINE && m.tmict && !m.expired;
}

static bool running_periodic(void)
{
	return counting() && m.mode == APIC_LVT_TIMER_PERIODIC && deliverable();
}

static u64 period_tsc(void)
{
	return ns_to_tsc((u64)m.tmict * m.div * APIC_BUS_CYCLE_NS);
}

static u64 late_tsc(void)
{
	return us_to_tsc(late_us);
}

/* The silence clock starts over: an interrupt came, or the timer started running. */
static void quiet_restart(void)
{
	m.quiet_since = rdtsc();
	m.quiet_paused = 0;
	m.last_irqs = READ_ONCE(irqs);
}

/* A deadline passed at @t: it owes an interrupt if the timer was unmasked. */
static void deadline_passed(u64 t, bool owes)
{
	m.last_deadline = t;
	m.owed += owes;
	stats.owed += owes;
}

static void ambiguous(u64 n)
{
	m.ambiguous += n;
	stats.ambiguous += n;
}

/*
 * Compare the interrupts with what the deadlines owe, once the last deadline and the last
 * operation that may cost or add one are the late bound behind: an interrupt can't come
 * before its deadline, so more is a violation at once; fewer only after LOST_WAIT.
 */
static void settle(u64 now)
{
	s64 diff;

	if ((s64)(now - m.last_deadline) < (s64)late_tsc() ||
	    (s64)(now - m.last_change) < (s64)late_tsc())
		return;
	/* nor right before a deadline: the hv timer may deliver it before TMCCT shows it */
	if ((counting() && m.have_d && (s64)(m.d - now) < (s64)us_to_tsc(EARLY_US)) ||
	    (m.tscd && (s64)(m.tscd - now) < (s64)us_to_tsc(EARLY_US)))
		return;
	/*
	 * An interrupt counted before the read that shows its deadline (a read slowed down
	 * across the deadline) is reported as extra, and then claimed by that deadline: keep
	 * it as a credit against a deficit for CREDIT_PERIODS of the longest period.
	 */
	if (m.credit && (s64)(now - m.credit_since) >
			(s64)(CREDIT_PERIODS * us_to_tsc(2 * period_us) + late_tsc()))
		m.credit = 0;
	diff = (s64)(READ_ONCE(irqs) - m.owed);
	if (diff > (s64)m.ambiguous) {
		violation(counting() && deliverable() ? V_EXTRA_IRQ : V_IRQ_STOPPED,
			  diff - m.ambiguous);
		m.credit += diff - m.ambiguous;
		m.credit_since = now;
	} else if (-diff > (s64)m.ambiguous + (s64)m.credit) {
		if (!m.deficit_since) {
			m.deficit_since = now;
			event(EV_VIOLATION, now, V_LOST_IRQ);
			memcpy(deficit_timeline, events, sizeof(events));
			deficit_timeline_end = nr_events;
		}
		if ((s64)(now - m.deficit_since) <
		    (s64)(LOST_WAIT_PERIODS * us_to_tsc(2 * period_us) + 3 * late_tsc()))
			return;
		violation(V_LOST_IRQ, -diff - m.ambiguous - m.credit);
		m.credit = 0;
	} else if (-diff > (s64)m.ambiguous) {
		m.credit -= -diff - m.ambiguous;
	}
	m.owed = READ_ONCE(irqs);
	m.ambiguous = 0;
	m.deficit_since = 0;
}

static void check_silence(u64 now)
{
	u64 bound = max(SILENT_PERIODS * period_tsc(), us_to_tsc(SILENT_MIN_US));

	if (!running_periodic() || READ_ONCE(irqs) != m.last_irqs) {
		quiet_restart();
		return;
	}
	if (now - m.quiet_since - m.quiet_paused > bound) {
		violation(V_SILENT, tsc_to_us(now - m.quiet_since - m.quiet_paused));
		quiet_restart();
	}
}

/* A pause of the vCPU between two reads, as the guest saw it. */
struct pause {
	bool paused;
	u64 exit;
	u64 back;
};

static struct pause no_pause;

/*
 * The deadlines of a periodic timer between the last read and this one, @k of them, the
 * last one a period before @d: one interrupt each, or, with a pause in between, one each
 * for those before the exit and after the resume and one for those of the pause.  A
 * deadline within NEAR of the exit or the resume may be on either side.
 */
static void count_reloads(u64 k, u64 d, const struct pause *p)
{
	u64 i, t, near = max(late_tsc(), us_to_tsc(period_us / 5)), owed;
	u64 before = 0, at_exit = 0, in_pause = 0, at_resume = 0, after = 0;

	if (!k)
		return;
	for (i = 1; i <= k; i++) {
		t = d - i * period_tsc();
		if (i == 1)
			m.last_deadline = t;
		if (!p->paused || (s64)(t - p->back) > (s64)near)
			after++;
		else if ((s64)(t - p->back) >= -(s64)near)
			at_resume++;
		else if ((s64)(t - p->exit) > (s64)near)
			in_pause++;
		else if ((s64)(t - p->exit) >= -(s64)near)
			at_exit++;
		else
			before++;
	}
	if (!deliverable())
		return;
	owed = before + after + !!(at_exit + in_pause + at_resume);
	m.owed += owed;
	stats.owed += owed;
	if (in_pause + at_resume)
		ambiguous(at_exit);
	if (in_pause + at_exit)
		ambiguous(at_resume);
}

/*
 * Read TMCCT and check it against the model.  @keeps_grid: the operation since the last read
 * must keep a periodic timer's grid.  @p: a pause since the last read.
 */
static u32 check_read(bool keeps_grid, const struct pause *p)
{
	u64 t0, t1, mid, d, k = 0, period = period_tsc();
	struct pause gap;
	unsigned int tries = 0;
	s64 diff, off;
	u32 count;

	/*
	 * The count is sampled somewhere in the read: a read that took more than an eighth of
	 * a period (the emulated host ran something else) can't place the grid; read again.
	 * A stopped timer (no period) has no grid to place.
	 */
	do {
		t0 = rdtsc();
		count = x2apic_read_reg(APIC_TMCCT);
		t1 = rdtsc();
		stats.reads++;
	} while (period && t1 - t0 > period / 8 && ++tries < SLOW_READ_TRIES);
	stats.slow_reads += tries;
	if (tries == SLOW_READ_TRIES)
		keeps_grid = false;
	/*
	 * Straight-line code from the last read to this one that took more than half a
	 * period: the vCPU stopped (preempted on the host, a ucall's exit, a slow exit), and
	 * KVM coalesces the deadlines of a stop as it does those of a pause.
	 */
	if (p == &no_pause && !m.waited && m.last_read_end && counting() &&
	    t0 - m.last_read_end > period / 2) {
		gap = (struct pause){ .paused = true, .exit = m.last_read_end, .back = t0 };
		p = &gap;
		/* of the silence clock's time only: it may have started during the gap */
		if ((s64)(t0 - m.quiet_since) > 0)
			m.quiet_paused += t0 - max(m.last_read_end, m.quiet_since);
		stats.gaps++;
	}
	m.waited = false;
	m.last_read_end = t1;
	mid = t0 + (t1 - t0) / 2;
	event(EV_READ, mid, count);
	if (m.mode == APIC_LVT_TIMER_TSCDEADLINE) {
		if (count)
			violation(V_COUNT_STOPPED, count);
		if (m.tscd && (s64)(mid - m.tscd) >= 0) {
			deadline_passed(m.tscd, deliverable());
			m.tscd = 0;
		}
		m.have_d = false;
		goto out;
	}
	if (count > m.tmict)
		violation(V_OVER_TMICT, count);
	if (!counting()) {
		if (count)
			violation(V_COUNT_STOPPED, count);
		m.have_d = false;
		goto out;
	}
	d = mid + ns_to_tsc((u64)count * m.div * APIC_BUS_CYCLE_NS);
	if (m.mode == APIC_LVT_TIMER_ONESHOT && !count) {
		/* it expired, at the deadline the last read showed if there was one */
		m.expired = true;
		deadline_passed(m.have_d && (s64)(m.d - mid) < 0 ? m.d : mid, deliverable());
		m.have_d = false;
		goto out;
	}
	if (m.have_d) {
		diff = (s64)(d - m.d);
		if (diff > (s64)(period / 2))
			k = (diff + period / 2) / period;
		off = diff - (s64)(k * period);
		if (keeps_grid && (off > (s64)(period / 4) || off < -(s64)(period / 4)))
			violation(V_OFF_GRID, tsc_to_us(off < 0 ? -off : off));
		if (m.mode == APIC_LVT_TIMER_ONESHOT && k)
			violation(V_COUNT_STOPPED, count);	/* a one-shot reloaded */
		else
			count_reloads(k, d, p);
	}
	m.d = d;
	m.have_d = true;
out:
	m.last_count = count;
	check_silence(t1);
	settle(t1);
	return count;
}

/* Reads for a random time up to @us, checking the model. */
static void observe_us(u64 us)
{
	u64 end = rdtsc() + us_to_tsc(us);

	do {
		check_read(true, &no_pause);
	} while (tsc_before(end));
}

/* Poll TMCCT down to a random count within the window of zero (one-shot: down to zero). */
static bool wait_edge(bool to_zero)
{
	u64 target_ns = to_zero ? 0 : window_us * NSEC_PER_USEC / 2 +
				  random_below(window_us * NSEC_PER_USEC / 2);
	u64 end = rdtsc() + 3 * period_tsc() + us_to_tsc(late_us);
	u32 count;

	if (!counting())
		return false;
	do {
		count = check_read(true, &no_pause);
		if (!counting())
			return to_zero;
		if ((u64)count * m.div * APIC_BUS_CYCLE_NS <= target_ns)
			return !to_zero || !count;
	} while (tsc_before(end));
	return false;
}

/* A new period in [-p, 2 -p] us at a random divider (TMICT * divider). */
static u32 random_tmict(u32 div)
{
	u64 ns = (period_us + random_below(period_us + 1)) * NSEC_PER_USEC;

	return ns / APIC_BUS_CYCLE_NS / div;
}

static u32 tdcr_of(u32 div)
{
	u32 log = __builtin_ctz(div);

	/* TDCR bits 3, 1:0: 0b1011 for 1, else log2(div) - 1 */
	return div == 1 ? 0xb : ((log - 1) & 3) | (((log - 1) & 4) << 1);
}

/* An operation near a deadline: did one pass between the reads around it? */
static bool edge_active;
static u64 edge_deadline;

static void edge_begin(bool edge)
{
	edge_active = edge;
	edge_deadline = m.last_deadline;
	stats.edge_ops += edge;
}

static void edge_end(void)
{
	stats.edge_deadlines += edge_active && m.last_deadline != edge_deadline;
	edge_active = false;
}

/* The reads around an operation: one before (@edge: near the deadline), one after. */
static bool op_begin(bool edge_possible)
{
	bool edge = edge_possible && chance(EDGE_PERCENT) && wait_edge(false);

	if (!edge)
		check_read(true, &no_pause);
	return edge;
}

/*
 * An operation that may cost an interrupt that hardware delivers or add one that it doesn't
 * (see the top): a deadline within the late bound before it, or between it and the read
 * after it, may or may not have its interrupt.
 */
static void op_may_drop(void)
{
	u64 now = rdtsc();

	if ((s64)(now - m.last_deadline) < (s64)late_tsc() ||
	    (counting() && m.have_d && (s64)(m.d - now) < (s64)late_tsc()) ||
	    (m.tscd && (s64)(m.tscd - now) < (s64)late_tsc()))
		ambiguous(1);
	m.last_change = now;
}

/*
 * After a write that changes the grid, the deadline that the old grid had between the read
 * before and the write: counted as ambiguous by op_may_drop(); read the new grid.
 */
static void regrid(void)
{
	m.have_d = false;
	check_read(false, &no_pause);
}

static void op_tmict(void)
{
	u32 tmict = chance(15) ? 0 : random_tmict(m.div);

	edge_begin(op_begin(true));
	op_may_drop();
	write_reg(APIC_TMICT, tmict);
	if (m.mode == APIC_LVT_TIMER_TSCDEADLINE) {
		/* ignored in TSC-deadline mode */
		check_read(true, &no_pause);
		return;
	}
	m.tmict = tmict;
	m.expired = false;
	regrid();
	quiet_restart();
}

static void op_tdcr(void)
{
	static const u32 divs[] = { 1, 2, 4, 8, 16, 32, 64, 128 };
	u32 fits[ARRAY_SIZE(divs)], nr_fits = 0, div, before, after, i;
	u64 ns;

	/* a divider that keeps the period within [-p, 2 -p] us, else a TMICT write */
	for (i = 0; i < ARRAY_SIZE(divs); i++) {
		ns = (u64)m.tmict * divs[i] * APIC_BUS_CYCLE_NS;
		if (divs[i] != m.div && ns >= period_us * NSEC_PER_USEC &&
		    ns <= 2 * period_us * NSEC_PER_USEC)
			fits[nr_fits++] = divs[i];
	}
	if (m.tmict && !nr_fits) {
		op_tmict();
		return;
	}
	div = nr_fits ? fits[random_below(nr_fits)] : divs[random_below(ARRAY_SIZE(divs))];
	edge_begin(op_begin(true));
	before = m.last_count;
	write_reg(APIC_TDCR, tdcr_of(div));
	after = x2apic_read_reg(APIC_TMCCT);
	m.div = div;
	if (!counting() || m.mode == APIC_LVT_TIMER_TSCDEADLINE) {
		check_read(true, &no_pause);
		return;
	}
	/*
	 * The count goes on across a divider change: a higher count after it is a reload
	 * during the write, which owes its interrupt like any other (series patch 4).
	 */
	if (after > before + m.tmict / 16) {
		if (m.mode == APIC_LVT_TIMER_ONESHOT) {
			violation(V_COUNT_STOPPED, after);
		} else {
			deadline_passed(rdtsc(), deliverable());
		}
	} else if (m.mode == APIC_LVT_TIMER_ONESHOT && !after && before) {
		m.expired = true;
		deadline_passed(rdtsc(), deliverable());
	}
	regrid();
}

static void write_lvtt(void)
{
	write_reg(APIC_LVTT, m.mode | (m.masked ? APIC_LVT_MASKED : 0) | TIMER_VECTOR);
}

/* Into or out of TSC-deadline mode: the timer stops (SDM 10.5.4.1), TMICT reads 0. */
static void switch_tscdeadline(u32 mode)
{
	op_may_drop();
	m.mode = mode;
	write_lvtt();
	m.tmict = 0;
	m.tscd = 0;
	m.expired = false;
	regrid();
}

/*
 * One-shot <-> periodic: the count goes on, on its grid.  The read after the write tells the
 * order: a one-shot that reads zero expired before it and stays stopped; a periodic timer's
 * reload before it owes its interrupt as usual.
 */
static void switch_mode(u32 new)
{
	u32 old = m.mode, count;

	m.mode = new;
	write_lvtt();
	if (old == APIC_LVT_TIMER_ONESHOT) {
		count = x2apic_read_reg(APIC_TMCCT);
		if (!count && counting())
			m.mode = old;
	} else {
		m.mode = old;
	}
	check_read(true, &no_pause);
	m.mode = new;
	quiet_restart();
}

static void op_mode(void)
{
	u32 old = m.mode, modes = m.tscd_ok ? 3 : 2, new;

	new = (((old >> 17) + 1 + random_below(modes - 1)) % modes) << 17;
	if (old == APIC_LVT_TIMER_ONESHOT && new == APIC_LVT_TIMER_PERIODIC && counting() &&
	    chance(EDGE_PERCENT))
		/* the race of series patch 2: a one-shot made periodic as it reaches zero */
		edge_begin(wait_edge(true));
	else
		edge_begin(op_begin(true));
	if (old == APIC_LVT_TIMER_TSCDEADLINE || new == APIC_LVT_TIMER_TSCDEADLINE)
		switch_tscdeadline(new);
	else
		switch_mode(new);
}

static void op_mask(void)
{
	bool masked = !m.masked;

	edge_begin(op_begin(true));
	op_may_drop();
	/* while the APIC is software-disabled, the mask can't be cleared */
	m.masked = masked;
	write_lvtt();
	m.masked = masked || m.disabled;
	check_read(true, &no_pause);
	quiet_restart();
}

static void op_spiv(void)
{
	u32 spiv = x2apic_read_reg(APIC_SPIV);

	edge_begin(op_begin(true));
	op_may_drop();
	m.disabled = !m.disabled;
	write_reg(APIC_SPIV, m.disabled ? spiv & ~APIC_SPIV_APIC_ENABLED :
					   spiv | APIC_SPIV_APIC_ENABLED);
	/* a software disable masks every LVT entry, and they stay masked after it */
	if (m.disabled)
		m.masked = true;
	check_read(true, &no_pause);
	quiet_restart();
}

static void op_hlt(void)
{
	u64 end = rdtsc() + us_to_tsc(random_below(2 * period_us));
	/*
	 * HLT only where an interrupt will wake it, a running unmasked timer, decided with IRQs
	 * off: STI;HLT then wakes for an interrupt that came meanwhile.
	 */
	for (;;) {
		cli();
		check_read(true, &no_pause);
		if (!tsc_before(end) || !deliverable() || (!counting() && !m.tscd))
			break;
		m.waited = true;
		safe_halt();
	}
	sti();
	if (tsc_before(end))
		observe_us(tsc_to_us(end - rdtsc()));
}

static void op_tsc_deadline(void)
{
	u64 t;

	if (m.mode != APIC_LVT_TIMER_TSCDEADLINE) {
		observe_us(random_below(period_us));
		return;
	}
	check_read(true, &no_pause);
	op_may_drop();
	t = chance(15) ? 0 : rdtsc() + us_to_tsc(period_us + random_below(period_us));
	event(EV_TSC_DEADLINE, rdtsc(), t ? tsc_to_us(t - rdtsc()) : 0);
	wrmsr(MSR_IA32_TSC_DEADLINE, t);
	m.tscd = t;
	check_read(true, &no_pause);
}

/* A host operation: the guest's OUT, the host's work, then the read after the resume. */
static void op_host(enum op op)
{
	struct pause p = { .paused = true };
	u64 periods = random_below(MAX_PAUSE_PERIODS + 1);

	if (op == OP_PAUSE || op == OP_LAPIC)
		edge_begin(op_begin(true));
	else
		check_read(true, &no_pause);
	if (op == OP_LAPIC)
		op_may_drop();
	host_request.op = op;
	/* pauses: mostly short, up to MAX_PAUSE_PERIODS periods */
	host_request.ns = (chance(70) ? random_below(3 * period_us) :
			   periods * period_us) * NSEC_PER_USEC;
	if (op == OP_SIGNAL)
		host_request.ns = random_below(2 * period_us) * NSEC_PER_USEC;
	p.exit = rdtsc();
	event(EV_EXIT, p.exit, op);
	asm volatile("outb %%al, %%dx" : : "a"(0), "d"(HOST_PORT) : "memory");
	p.back = rdtsc();
	event(EV_RESUME, p.back, host_request.ns / NSEC_PER_USEC);
	m.quiet_paused += p.back - p.exit;
	if (op == OP_LAPIC) {
		/*
		 * KVM_SET_LAPIC restarts the count from the TMCCT it saved, and drops an
		 * expiration that it finds pending (documented): the pause's deadlines owe one
		 * interrupt that may not come, and the grid isn't checked.
		 */
		m.last_change = p.back;
		if (counting() && m.have_d && (s64)(m.d - p.back) < 0) {
			deadline_passed(m.d, deliverable());
			ambiguous(deliverable());
		}
		/*
		 * A count of zero that KVM_SET_LAPIC restores restarts a periodic timer for a
		 * full period and fires a one-shot at once (KVM's ABI: the registers can't tell
		 * an expired timer from one at its deadline).
		 */
		if (m.expired && m.mode == APIC_LVT_TIMER_PERIODIC) {
			m.expired = false;
			stats.lapic_restarts++;
			quiet_restart();
		} else if (m.expired && m.mode == APIC_LVT_TIMER_ONESHOT) {
			ambiguous(deliverable());
			stats.lapic_restarts++;
		}
		m.have_d = false;
	}
	check_read(op != OP_LAPIC, &p);
}

static enum op random_op(void)
{
	u32 total = 0, r, i;

	for (i = 0; i < NR_OPS; i++)
		total += ops_enabled & BIT(i) ? op_weight[i] : 0;
	r = random_below(total);
	for (i = 0; !(ops_enabled & BIT(i)) || r >= op_weight[i]; i++)
		r -= ops_enabled & BIT(i) ? op_weight[i] : 0;
	return i;
}

/* The end: a running timer must still be live (nothing left parked). */
static void check_end(void)
{
	u64 n = READ_ONCE(irqs), end;

	if (!running_periodic())
		return;
	end = rdtsc() + END_PERIODS * period_tsc() + late_tsc();
	while (READ_ONCE(irqs) == n && tsc_before(end))
		check_read(true, &no_pause);
	if (READ_ONCE(irqs) == n)
		violation(V_DEAD_AT_END, END_PERIODS);
}

static void guest_code(void)
{
	u64 step, i, end, every = nr_steps / PROGRESS_LINES ?: 1;
	enum op op;

	x2apic_enable();
	m.tscd_ok = this_cpu_has(X86_FEATURE_TSC_DEADLINE_TIMER);
	m.div = 1;
	m.mode = APIC_LVT_TIMER_PERIODIC;
	x2apic_write_reg(APIC_TDCR, tdcr_of(1));
	write_lvtt();
	m.tmict = random_tmict(1);
	x2apic_write_reg(APIC_TMICT, m.tmict);
	sti();
	quiet_restart();
	check_read(false, &no_pause);
	/*
	 * Warm up for WARMUP_PERIODS, then start counting: on bochs-vmx an interrupt right
	 * after the first TMICT write came once without a deadline (see testbed/expectations);
	 * it is reported, not judged.
	 */
	observe_us(WARMUP_PERIODS * 2 * period_us);
	stats.warmup_extra = READ_ONCE(irqs) > m.owed ? READ_ONCE(irqs) - m.owed : 0;
	m.owed = READ_ONCE(irqs);
	m.ambiguous = 0;
	m.deficit_since = 0;
	m.credit = 0;
	memset(stats.violations, 0, sizeof(stats.violations));
	stats.logged = 0;
	stats.judged_logged = 0;

	for (step = 0; step < nr_steps; step++) {
		cur_step = step;
		op = random_op();
		cur_op = op;
		stats.ops[op]++;
		event(EV_OP, rdtsc(), op);
		switch (op) {
		case OP_TMICT:
			op_tmict();
			break;
		case OP_TDCR:
			op_tdcr();
			break;
		case OP_MODE:
			op_mode();
			break;
		case OP_MASK:
			op_mask();
			break;
		case OP_SPIV:
			op_spiv();
			break;
		case OP_HLT:
			op_hlt();
			break;
		case OP_READ:
			observe_us(random_below(period_us));
			break;
		case OP_TSC_DEADLINE:
			op_tsc_deadline();
			break;
		default:
			op_host(op);
			break;
		}
		/* a stopped or masked timer gets going again now and then */
		if (!running_periodic() && chance(25)) {
			cur_op = OP_TMICT;
			if (m.disabled)
				op_spiv();
			if (m.masked)
				op_mask();
			if (m.mode != APIC_LVT_TIMER_PERIODIC) {
				if (m.mode == APIC_LVT_TIMER_TSCDEADLINE) {
					switch_tscdeadline(APIC_LVT_TIMER_PERIODIC);
				} else {
					check_read(true, &no_pause);
					switch_mode(APIC_LVT_TIMER_PERIODIC);
				}
			}
			if (!counting())
				op_tmict();
		}
		/* the guest has no memmove() */
		for (i = NR_HISTORY - 1; i; i--)
			history[i] = history[i - 1];
		history[0] = op | (u64)edge_active << 8;
		edge_end();
		stats.steps++;
		stats.irqs = READ_ONCE(irqs);
		if ((step + 1) % every == 0)
			GUEST_SYNC(step + 1);
	}
	cur_step = nr_steps;
	cur_op = NR_OPS;
	check_end();
	/* the last interrupts owed, however late */
	m.last_change = rdtsc();
	observe_us(2 * late_us + LOST_WAIT_PERIODS * 2 * period_us);
	end = rdtsc() + us_to_tsc(LATE_END_US);
	while (m.deficit_since && tsc_before(end))
		check_read(true, &no_pause);
	if (m.deficit_since)
		violation(V_LOST_IRQ, m.owed - READ_ONCE(irqs));
	stats.irqs = READ_ONCE(irqs);
	stats.wakeups = READ_ONCE(wakeups);
	cli();
	x2apic_write_reg(APIC_TMICT, 0);
	wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	GUEST_DONE();
}

/* Host side. */
static int nr_host_cpus;
static int host_cpu;
static bool trace_pauses;
static u64 traced_pauses;

static void sleep_ns(u64 ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void pin_thread(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity() to CPU %d",
		    cpu);
}

static void on_alarm(int sig)
{
}

/*
 * Every WAKE_MS, an MSI to the vCPU with WAKE_VECTOR: a HLT that the model expects the timer
 * to end ends anyway if the timer is dead, and the silence check reports it instead of a hang.
 */
static volatile bool guest_done;

static void *wake_thread(void *arg)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = WAKE_VECTOR };
	struct kvm_vm *vm = arg;
	sigset_t set;

	/* OP_SIGNAL's SIGALRM is for the vCPU thread, to interrupt KVM_RUN */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!guest_done) {
		sleep_ns(WAKE_MS * NSEC_PER_MSEC);
		TEST_ASSERT(__vm_ioctl(vm, KVM_SIGNAL_MSI, &msi) >= 0, "KVM_SIGNAL_MSI");
	}
	return NULL;
}

static void host_op(struct kvm_vcpu *vcpu, u64 op, u64 ns)
{
	struct kvm_lapic_state lapic;
	struct itimerval it = {};
	u64 stopped = mono_ns();
	u32 lvtt, tmict, tdcr;
	int r;

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &lapic);
	lvtt = *(u32 *)(lapic.regs + APIC_LVTT);
	tmict = *(u32 *)(lapic.regs + APIC_TMICT);
	tdcr = *(u32 *)(lapic.regs + APIC_TDCR);

	switch (op) {
	case OP_PAUSE:
		sleep_ns(ns);
		break;
	case OP_LAPIC:
		sleep_ns(ns / 2);
		vcpu_ioctl(vcpu, KVM_GET_LAPIC, &lapic);
		vcpu_ioctl(vcpu, KVM_SET_LAPIC, &lapic);
		sleep_ns(ns / 2);
		break;
	case OP_IMMEDIATE_EXIT:
		vcpu->run->immediate_exit = 1;
		r = __vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EINTR,
			    "KVM_RUN with immediate_exit: %d, errno %d", r, errno);
		vcpu->run->immediate_exit = 0;
		break;
	case OP_SIGNAL:
		/* interrupts a later KVM_RUN; _vcpu_run() enters again at once */
		it.it_value.tv_usec = ns / NSEC_PER_USEC ?: 1;
		TEST_ASSERT(!setitimer(ITIMER_REAL, &it, NULL), "setitimer()");
		break;
	case OP_MIGRATE:
		if (nr_host_cpus > 1) {
			host_cpu = (host_cpu + 1) % nr_host_cpus;
			pin_thread(host_cpu);
		}
		break;
	}
	if (trace_pauses && op == OP_PAUSE && traced_pauses < TRACED_PAUSES &&
	    ns >= 2 * period_us * NSEC_PER_USEC) {
		printf("# pause %lu: vcpu 0 stopped %lu resumed %lu period %lu lvtt %#x tmict %u tdcr %#x\n",
		       traced_pauses, stopped, mono_ns(), period_us * NSEC_PER_USEC, lvtt, tmict,
		       tdcr);
		traced_pauses++;
	}
}

static void run_guest(struct kvm_vcpu *vcpu)
{
	struct ucall uc;
	u64 cmd;

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		if (vcpu->run->io.port == HOST_PORT) {
			sync_global_from_guest(vcpu->vm, host_request);
			host_op(vcpu, host_request.op, host_request.ns);
			continue;
		}
		cmd = get_ucall(vcpu, &uc);
		if (cmd == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		TEST_ASSERT(cmd == UCALL_SYNC || cmd == UCALL_DONE, "Unknown ucall %lu", cmd);
		sync_global_from_guest(vcpu->vm, stats);
		if (cmd == UCALL_DONE)
			return;
		printf("timer_torture: %lu/%lu steps, %lu interrupts, violations %lu\n",
		       uc.args[1], nr_steps, stats.irqs, nr_violations());
		fflush(stdout);
	}
}

static u64 nr_judged(void)
{
	u64 i, n = 0;

	for (i = 0; i < NR_VIOLATIONS; i++)
		n += judged & BIT(i) ? stats.violations[i] : 0;
	return n;
}

/* The first violation's timeline, in us before it. */
static void print_timeline(struct kvm_vm *vm)
{
	u64 i, end, start, khz;
	struct event_log *e, *last;

	sync_global_from_guest(vm, first_timeline);
	sync_global_from_guest(vm, first_timeline_end);
	sync_global_from_guest(vm, guest_tsc_khz);
	khz = guest_tsc_khz;
	end = first_timeline_end;
	start = end > NR_EVENTS ? end - NR_EVENTS : 0;
	last = &first_timeline[(end - 1) % NR_EVENTS];
	printf("timer_torture: the first %sviolation's timeline (us before it; read: count, op/exit: operation, resume: requested us, writes: value):\n",
	       stats.judged_logged ? "judged " : "");
	for (i = start; i < end; i++) {
		e = &first_timeline[i % NR_EVENTS];
		printf("timer_torture:   %10ld %-9s %u%s%s\n",
		       (s64)(e->tsc - last->tsc) * (s64)USEC_PER_MSEC / (s64)khz,
		       event_names[e->type], e->value,
		       e->type == EV_OP || e->type == EV_EXIT ? " " : "",
		       e->type == EV_OP || e->type == EV_EXIT ? op_names[e->value % NR_OPS] :
		       e->type == EV_VIOLATION ? violation_names[e->value % NR_VIOLATIONS] : "");
	}
}

static void report(struct kvm_vm *vm)
{
	struct violation_log *log;
	u64 i, j;

	printf("@@METRIC steps=%lu\n", stats.steps);
	for (i = 0; i < NR_OPS; i++)
		printf("@@METRIC op_%s=%lu\n", op_names[i], stats.ops[i]);
	printf("@@METRIC edge_ops=%lu\n", stats.edge_ops);
	printf("@@METRIC edge_deadlines=%lu\n", stats.edge_deadlines);
	printf("@@METRIC reads=%lu\n", stats.reads);
	printf("@@METRIC irqs=%lu\n", stats.irqs);
	printf("@@METRIC owed=%lu\n", stats.owed);
	printf("@@METRIC ambiguous=%lu\n", stats.ambiguous);
	printf("@@METRIC not_in_isr=%lu\n", stats.not_in_isr);
	printf("@@METRIC lapic_restarts=%lu\n", stats.lapic_restarts);
	printf("@@METRIC slow_reads=%lu\n", stats.slow_reads);
	printf("@@METRIC gaps=%lu\n", stats.gaps);
	printf("@@METRIC wakeups=%lu\n", stats.wakeups);
	printf("@@METRIC warmup_extra=%lu\n", stats.warmup_extra);
	for (i = 0; i < NR_VIOLATIONS; i++)
		printf("@@METRIC %s=%lu\n", violation_names[i], stats.violations[i]);
	printf("@@METRIC violations=%lu\n", nr_violations());
	printf("@@METRIC seed=%u\n", kvm_random_seed);

	printf("timer_torture: %-22s %10s\n", "operation", "count");
	for (i = 0; i < NR_OPS; i++)
		printf("timer_torture: %-22s %10lu\n", op_names[i], stats.ops[i]);
	printf("timer_torture: %-22s %10s\n", "invariant", "violations");
	for (i = 0; i < NR_VIOLATIONS; i++)
		printf("timer_torture: %-22s %10lu\n", violation_names[i], stats.violations[i]);
	for (i = 0; i < stats.logged; i++) {
		log = &stats.log[i];
		printf("timer_torture: violation %lu: %s%s at step %lu (%s): value %lu, irqs %lu, owed %lu; mode %u tmict %u div %u masked %u; before:",
		       i + 1, violation_names[log->kind], judged & BIT(log->kind) ? " (judged)" : "",
		       log->step,
		       log->op < NR_OPS ? op_names[log->op] : "end", log->value, log->got,
		       log->owed, log->mode, log->tmict, log->div, log->masked);
		for (j = 0; j < NR_HISTORY && log->step > j; j++)
			printf(" %s%s", op_names[log->history[j] & 0xff],
			       log->history[j] >> 8 ? "@edge" : "");
		printf("\n");
	}
	if (nr_violations())
		print_timeline(vm);
	printf("@@METRIC judged_violations=%lu\n", nr_judged());
	printf("timer_torture: End of test: %s (%lu steps, %lu violations, %lu of them judged, seed %u%s)\n",
	       nr_judged() ? "FAILURE" : "SUCCESS", stats.steps, nr_violations(), nr_judged(),
	       kvm_random_seed, nr_violations() ? ": replay with -s and the same -n -p -w -l -o" : "");
}

static void help(const char *name)
{
	int i;

	printf("usage: %s [-n steps] [-p period_us] [-w window_us] [-l late_us] [-s seed] [-t]\n"
	       "       [-o op,op,...] [-j violation,violation,...]\n"
	       "  -n  steps: guest and host operations (default 1000)\n"
	       "  -p  shortest period in us, >= %d; periods are in [p, 2p] (default 2000)\n"
	       "  -w  window in us: edge operations act within it of a deadline (default p/4)\n"
	       "  -l  late bound in us: how late the host's timer may come (default p/4)\n"
	       "  -s  seed of the random choices (default: random, printed)\n"
	       "  -t  print the pauses for timer-trace\n"
	       "  -o  only these operations (default: all):", name, MIN_PERIOD_US);
	for (i = 0; i < NR_OPS; i++)
		printf(" %s", op_names[i]);
	printf("\n  -j  only these violations fail the run, the others are reported (default:\n"
	       "      all):");
	for (i = 0; i < NR_VIOLATIONS; i++)
		printf(" %s", violation_names[i]);
	printf("\n");
}

/* A comma-separated list of @names, as a bit mask. */
static u64 parse_list(char *list, const char * const *names, u64 nr)
{
	char *name, *save = NULL;
	u64 mask = 0, i;

	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nr && strcmp(name, names[i]); i++)
			;
		TEST_ASSERT(i < nr, "Unknown name '%s' (-h lists them)", name);
		mask |= BIT(i);
	}
	TEST_ASSERT(mask, "Nothing in '%s'", list);
	return mask;
}


int main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = on_alarm };
	pthread_t waker;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int opt;

	while ((opt = getopt(argc, argv, "hn:p:w:l:s:to:j:")) != -1) {
		switch (opt) {
		case 'n':
			nr_steps = atoi_positive("Steps", optarg);
			break;
		case 'p':
			period_us = atoi_positive("Period (usec)", optarg);
			break;
		case 'w':
			window_us = atoi_positive("Window (usec)", optarg);
			break;
		case 'l':
			late_us = atoi_positive("Late bound (usec)", optarg);
			break;
		case 's':
			kvm_random_seed = atoi_positive("Seed", optarg);
			break;
		case 't':
			trace_pauses = true;
			break;
		case 'o':
			ops_enabled = parse_list(optarg, op_names, NR_OPS);
			break;
		case 'j':
			judged = parse_list(optarg, violation_names, NR_VIOLATIONS);
			break;
		default:
			help(argv[0]);
			exit(KSFT_SKIP);
		}
	}
	nr_steps = nr_steps ?: 1000;
	period_us = period_us ?: 2000;
	window_us = window_us ?: period_us / 4;
	late_us = late_us ?: period_us / 4;
	TEST_ASSERT(period_us >= MIN_PERIOD_US, "The period must be at least %d us, KVM's minimum",
		    MIN_PERIOD_US);
	TEST_ASSERT(window_us < period_us && late_us < period_us,
		    "The window and the late bound must be shorter than the period");
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_X2APIC));

	TEST_ASSERT(!sigaction(SIGALRM, &sa, NULL), "sigaction()");
	nr_host_cpus = get_nprocs();
	pin_thread(host_cpu);

	vm = vm_create(1);
	if (kvm_has_cap(KVM_CAP_X86_APIC_BUS_CYCLES_NS))
		vm_enable_cap(vm, KVM_CAP_X86_APIC_BUS_CYCLES_NS, APIC_BUS_CYCLE_NS);
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	if (kvm_cpu_has(X86_FEATURE_TSC_DEADLINE_TIMER))
		vcpu_set_cpuid_feature(vcpu, X86_FEATURE_TSC_DEADLINE_TIMER);
	vm_install_exception_handler(vm, TIMER_VECTOR, guest_timer_handler);
	vm_install_exception_handler(vm, WAKE_VECTOR, guest_wake_handler);
	sync_global_to_guest(vm, nr_steps);
	sync_global_to_guest(vm, period_us);
	sync_global_to_guest(vm, window_us);
	sync_global_to_guest(vm, late_us);
	sync_global_to_guest(vm, ops_enabled);
	sync_global_to_guest(vm, judged);
	printf("timer_torture: %lu steps, periods %lu..%lu us, window %lu us, late bound %lu us, seed %u\n",
	       nr_steps, period_us, 2 * period_us, window_us, late_us, kvm_random_seed);
	pthread_create(&waker, NULL, wake_thread, vm);
	run_guest(vcpu);
	guest_done = true;
	pthread_join(waker, NULL);
	report(vm);
	errno = 0;	/* test_assert() takes EACCES for a skip */
	TEST_ASSERT(!nr_judged(), "%lu violations of the APIC timer's rules (seed %u)",
		    nr_judged(), kvm_random_seed);
	kvm_vm_free(vm);
	return 0;
}
