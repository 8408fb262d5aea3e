// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-bed program (not part of the series): timer_pause is series v2's
 * apic_timer_pause_test, unchanged but for its name and this comment, kept for the test
 * bed's knobs (-p period, -d pause, -t tolerance, -n pauses, -s sub-tests, -v: the
 * "# pause <n>: vcpu <id> stopped <ns> resumed <ns> period <ns>" and "first interrupt
 * after" lines that testbed/guest/timer-trace and testbed/bench parse).  It runs the traced
 * pauses of testbed/plan.conf (trace-pause-*, bench-smoke) and the bench's sweep; the
 * series' own selftest (tools/testing/selftests/kvm/x86/apic_timer_pause_test.c) takes no
 * options.  Built against the KVM selftest library of the primary base like
 * testbed/bench/timer_bench.c (testbed/build/build-programs.sh).
 */
/*
 * Verify KVM's periodic local APIC timer across a "pause", i.e. while userspace
 * keeps the vCPU out of KVM_RUN for many periods, as a VMM does while the VM is
 * stopped, snapshotted or migrated.
 *
 * The guest timestamps every timer interrupt with its TSC.  The host pauses the
 * vCPU and resumes it midway between two ticks, half a period away from the
 * ticks of a grid that KVM would restart at the resume; if the first interrupt
 * after the resume comes close to a tick anyway, e.g. because the host was slow
 * to resume the vCPU, it pauses the vCPU once more.  After each resume:
 *
 *  [1] coalescing: at most one interrupt for the missed periods, then one per
 *      period elapsed since the resume;
 *  [2] phase: the ticks stay on the pre-pause grid;
 *  [3] cadence: the ticks keep the period;
 *  [4] no catch-up: the first interrupt arrives within a few periods;
 *  [5] hv timer: a busy guest's timer that is on the hv timer (the VMX
 *      preemption timer, if KVM uses it) stays there.  A tick of the hv timer
 *      costs a VM-Exit of its own, one of KVM's sw timer (an hrtimer) a host
 *      IRQ exit instead: the VM-Exits per tick other than IRQ and I/O exits
 *      must not drop by more than half an exit.
 *
 * Sub-tests vary how the guest waits (busy or in HLT), whether the paused vCPU
 * is halted, what userspace does meanwhile (KVM_GET/SET_LAPIC, KVM_RUN with
 * immediate_exit), and what the guest changes around the pause (TDCR, or LVTT
 * to one-shot mode and, once that timer expired, back to periodic mode without
 * a TMICT write: TMCCT must stay zero).
 *
 * Time is measured in guest TSC cycles, at the TSC rate measured against
 * CLOCK_MONOTONIC, which KVM's timer runs on: the nominal TSC frequency can be
 * hundreds of ppm off, i.e. hundreds of microseconds over a one second pause.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/time64.h>

#include "apic.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define TIMER_VECTOR			0xec
#define APIC_TDCR_DIV_1			0xb
#define APIC_TDCR_DIV_2			0x0
#define TDCR_PERIOD_RATIO		2	/* from divide-by-1 to divide-by-2 */
#define APIC_BUS_CYCLE_NS		1	/* KVM's default, also set if possible */

#define DEFAULT_PERIOD_US		1000
#define DEFAULT_PAUSE_MS		1100	/* 1000+ missed periods */
#define DEFAULT_TOLERANCE_DIVISOR	5	/* of the period */

#define TICKS_PER_PHASE			20	/* before a pause, after a resume */
#define TICK_LOG_SIZE			256	/* a ring, several phases' worth */
#define QUIET_PERIODS			5	/* to tell that a timer stopped */
#define MAX_FIRST_IRQ_PERIODS		5	/* plus the tolerance */
#define MAX_EXTRA_PAUSES		3	/* for resumes that can't tell */
#define MARGIN_DIVISOR			10	/* of the period, see check_resume() */
#define MAX_LOST_TIMER_EXITS_PER_TICK	0.5	/* see [5] */
#define IMMEDIATE_EXITS			3	/* spread over the pause */
#define CLOCK_SAMPLES			10	/* to read TSC and clock together */
#define WATCHDOG_FACTOR			4	/* of the expected duration, */
#define WATCHDOG_SLACK_S		30	/* plus this */

enum {
	SYNC_STARTED,	/* the timer runs, nothing to do */
	SYNC_PAUSE,	/* stop running the vCPU for a while */
	SYNC_CHECK,	/* check the ticks since the last resume */
};

/* Command line, also read by the guest. */
static u64 period_ns = DEFAULT_PERIOD_US * NSEC_PER_USEC;
static u64 pause_ns = DEFAULT_PAUSE_MS * NSEC_PER_MSEC;
static u64 tolerance_ns;
static int nr_pauses = 1;
static bool verbose;

/* KVM runs a busy guest's timer on the VMX preemption timer, the hv timer. */
static bool hv_timer;

/* Set by the host before the vCPU runs. */
static bool guest_halts;
static bool guest_changes_tdcr;

/* Written by the guest, read by the host while the vCPU is out of KVM_RUN. */
static u64 nr_ticks;
static u64 tick_tsc[TICK_LOG_SIZE];
/* Guest TSC right before and after the writes that move the grid. */
static u64 tmict_write_tsc[2];
static u64 tdcr_write_tsc[2];

static void guest_timer_handler(struct ex_regs *regs)
{
	tick_tsc[nr_ticks % TICK_LOG_SIZE] = rdtsc();
	WRITE_ONCE(nr_ticks, nr_ticks + 1);
	x2apic_write_reg(APIC_EOI, 0);
}

static void guest_write_timer_reg(unsigned int reg, u32 val, u64 *tsc)
{
	tsc[0] = rdtsc();
	x2apic_write_reg(reg, val);
	tsc[1] = rdtsc();
}

static void guest_start_periodic_timer(void)
{
	x2apic_enable();
	x2apic_write_reg(APIC_TDCR, APIC_TDCR_DIV_1);
	x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | TIMER_VECTOR);
	guest_write_timer_reg(APIC_TMICT, period_ns / APIC_BUS_CYCLE_NS, tmict_write_tsc);
	sti();
}

/*
 * Busy-waiting keeps the timer on the hv timer, if KVM uses it; halting makes
 * KVM switch to the sw timer while the vCPU is blocked.  Check for the tick
 * with IRQs disabled and halt in the STI shadow, so that it can't slip in
 * between the check and HLT.
 */
static void guest_wait_for_ticks(u64 n)
{
	u64 end = READ_ONCE(nr_ticks) + n;

	while (READ_ONCE(nr_ticks) < end) {
		if (!guest_halts)
			continue;
		cli();
		if (READ_ONCE(nr_ticks) < end)
			safe_halt();
		else
			sti();
	}
}

static void guest_code(void)
{
	int i;

	guest_start_periodic_timer();
	/* Exit once the timer ticks, so that [5] doesn't count the setup's exits. */
	guest_wait_for_ticks(1);
	GUEST_SYNC(SYNC_STARTED);

	for (i = 0; i < READ_ONCE(nr_pauses); i++) {
		guest_wait_for_ticks(TICKS_PER_PHASE);

		/* Halve the rate right after a tick, far from the next one. */
		if (guest_changes_tdcr && !i)
			guest_write_timer_reg(APIC_TDCR, APIC_TDCR_DIV_2, tdcr_write_tsc);

		GUEST_SYNC(SYNC_PAUSE);
		/* One interrupt for the missed periods, then one per period. */
		guest_wait_for_ticks(1 + TICKS_PER_PHASE);
		GUEST_SYNC(SYNC_CHECK);
	}
	GUEST_DONE();
}

/* Expect the one expiry of the one-shot timer since tick @nr0, and no more. */
static void guest_assert_timer_stopped(u64 nr0, const char *when)
{
	u64 nr;
	u32 tmcct;

	udelay(QUIET_PERIODS * period_ns / NSEC_PER_USEC);
	nr = READ_ONCE(nr_ticks) - nr0;
	__GUEST_ASSERT(nr == 1,
		       "Expected 1 interrupt since the switch to one-shot mode %s, got %lu",
		       when, nr);

	tmcct = x2apic_read_reg(APIC_TMCCT);
	__GUEST_ASSERT(!tmcct, "Expected TMCCT = 0 after the switch to one-shot mode %s, got %u",
		       when, tmcct);
}

static void guest_oneshot_code(void)
{
	u64 nr;

	guest_start_periodic_timer();
	guest_wait_for_ticks(TICKS_PER_PHASE);

	/* Right after a tick: the count expires once, during the pause. */
	x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_ONESHOT | TIMER_VECTOR);
	nr = READ_ONCE(nr_ticks);
	GUEST_SYNC(SYNC_PAUSE);
	guest_assert_timer_stopped(nr, "and the pause");

	/* As on hardware, only a TMICT write restarts an expired timer. */
	x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | TIMER_VECTOR);
	guest_assert_timer_stopped(nr, "and the switch back to periodic mode");
	GUEST_DONE();
}

struct subtest {
	const char *name;
	void *guest_code;
	bool halt;		/* the guest waits for ticks in HLT */
	bool halted;		/* the vCPU is halted while paused */
	bool set_lapic;		/* KVM_GET_LAPIC + KVM_SET_LAPIC while paused */
	bool immediate_exit;	/* KVM_RUN with immediate_exit while paused */
	bool change_tdcr;	/* the guest changes TDCR before the first pause */
};

static const struct subtest subtests[] = {
	{ .name = "busy", .guest_code = guest_code },
	{ .name = "halt", .guest_code = guest_code, .halt = true },
	{ .name = "halted", .guest_code = guest_code, .halt = true, .halted = true },
	{ .name = "lapic-state", .guest_code = guest_code, .set_lapic = true },
	{ .name = "immediate-exit", .guest_code = guest_code, .immediate_exit = true },
	{ .name = "tdcr", .guest_code = guest_code, .change_tdcr = true },
	{ .name = "oneshot", .guest_code = guest_oneshot_code },
};

struct test_ctx {
	const struct subtest *test;
	struct kvm_vcpu *vcpu;
	int nr_failed;

	/* Guest TSC = host TSC + tsc_offset, selftests don't scale the TSC. */
	u64 tsc_offset;
	u64 start_tsc;
	u64 start_ns;
	double tsc_per_ns;

	/*
	 * KVM's grid of ticks: point k at anchor + k * period, as the ticks
	 * before the first pause place it, see anchor_grid_on_ticks().
	 */
	u64 anchor;
	u64 restore_slack;	/* in TSC cycles, see save_restore_lapic() */
	u64 grid_period_ns;
	u64 grid_tolerance_ns;

	/* At the last exit from KVM_RUN. */
	u64 exit_ns;
	u64 exit_timer_exits;
	u64 exit_nr_ticks;
	/*
	 * VM-Exits other than IRQ and I/O exits per tick, in the last run and in
	 * the last run before the pause: unlike host IRQ exits, they don't come
	 * with the host's own interrupts.
	 */
	double timer_exits;
	double pre_pause_timer_exits;

	int pause;
	int extra_pauses;
	bool resuming;
	u64 stopped_ns;
	u64 resumed_ns;
	u64 resume_tsc;
	u64 resume_nr_ticks;
	u64 resume_lead;	/* of the first interrupt, see wait_for_mid_period() */
};

static void __printf(3, 4) expect(struct test_ctx *ctx, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;

	ctx->nr_failed++;
	ksft_print_msg("%s, pause %d: ", ctx->test->name, ctx->pause);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_to_ns(ts);
}

static void sleep_until_ns(u64 ns)
{
	struct timespec ts = timespec_add_ns((struct timespec){}, ns);

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Read the host TSC and CLOCK_MONOTONIC together, unless preempted in between. */
static void read_clocks(u64 *tsc, u64 *ns)
{
	u64 before, after, best = ~0ull, t;
	int i;

	for (i = 0; i < CLOCK_SAMPLES; i++) {
		before = rdtsc();
		t = now_ns();
		after = rdtsc();
		if (after - before < best) {
			best = after - before;
			*tsc = before + best / 2;
			*ns = t;
		}
	}
}

static void calibrate_tsc(struct test_ctx *ctx)
{
	u64 tsc, ns;

	read_clocks(&tsc, &ns);
	ctx->tsc_per_ns = (double)(tsc - ctx->start_tsc) / (ns - ctx->start_ns);
}

static u64 guest_tsc_now(struct test_ctx *ctx)
{
	return rdtsc() + ctx->tsc_offset;
}

static double ns_to_tsc(struct test_ctx *ctx, double ns)
{
	return ns * ctx->tsc_per_ns;
}

static double tsc_to_us(struct test_ctx *ctx, double cycles)
{
	return cycles / ctx->tsc_per_ns / NSEC_PER_USEC;
}

static s64 floor_s64(double x)
{
	s64 k = x;

	return k - (k > x);
}

/* Position of @tsc on the grid, in periods. */
static double grid_pos(struct test_ctx *ctx, u64 tsc)
{
	return (double)(s64)(tsc - ctx->anchor) / ns_to_tsc(ctx, ctx->grid_period_ns);
}

/* The first point after @tsc of the grid shifted by @shift periods. */
static u64 grid_next(struct test_ctx *ctx, u64 tsc, double shift)
{
	s64 k = floor_s64(grid_pos(ctx, tsc) - shift) + 1;

	return ctx->anchor + (s64)ns_to_tsc(ctx, (k + shift) * ctx->grid_period_ns);
}

/* Number of grid points in (@from, @to]. */
static s64 grid_points(struct test_ctx *ctx, u64 from, u64 to)
{
	return floor_s64(grid_pos(ctx, to)) - floor_s64(grid_pos(ctx, from));
}

/* Distance from @tsc to the nearest grid point, in [-period / 2, period / 2). */
static double grid_lateness(struct test_ctx *ctx, u64 tsc)
{
	double pos = grid_pos(ctx, tsc);

	return ns_to_tsc(ctx, (pos - floor_s64(pos + 0.5)) * ctx->grid_period_ns);
}

static u64 tick(u64 i)
{
	return tick_tsc[i % TICK_LOG_SIZE];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The TMICT write starts the grid, but KVM handles the write only after the
 * guest's timestamp, which can take long on a loaded or emulated host.  Move
 * the anchor to the densest cluster of the @nr ticks from @first on, e.g. of
 * the ticks before the pause: to the median of the most ticks that arrived
 * within the tolerance of each other.  Interrupts can only come late, and on
 * a loaded host many of them may, by varying amounts, while the ticks on time
 * arrive together.  Lateness wraps around at half a period, so look for the
 * cluster on a circle, i.e. on the sorted lateness and again a period later.
 */
static void anchor_grid_on_ticks(struct test_ctx *ctx, u64 first, u64 nr)
{
	double late[2 * TICK_LOG_SIZE], period = ns_to_tsc(ctx, ctx->grid_period_ns);
	double tol = ns_to_tsc(ctx, ctx->grid_tolerance_ns);
	u64 i, j = 0, best = 0, best_nr = 0;

	for (i = 0; i < nr; i++)
		late[i] = grid_lateness(ctx, tick(first + i));
	qsort(late, nr, sizeof(late[0]), cmp_double);
	for (i = 0; i < nr; i++)
		late[nr + i] = late[i] + period;

	for (i = 0; i < nr; i++) {
		while (j < i + nr && late[j] - late[i] <= tol)
			j++;
		if (j - i > best_nr) {
			best = i;
			best_nr = j - i;
		}
	}
	ctx->anchor += (s64)late[best + best_nr / 2];
}

/*
 * A TDCR write right after a tick stretches the time left to the next tick,
 * and the period, by the ratio of the divisors.
 */
static void init_grid(struct test_ctx *ctx)
{
	sync_global_from_guest(ctx->vcpu->vm, tmict_write_tsc);
	sync_global_from_guest(ctx->vcpu->vm, tdcr_write_tsc);
	ctx->anchor = tmict_write_tsc[0];
	ctx->grid_period_ns = period_ns;
	ctx->grid_tolerance_ns = tolerance_ns;
	anchor_grid_on_ticks(ctx, 0, min_t(u64, nr_ticks, TICKS_PER_PHASE));
	if (verbose)
		ksft_print_msg("%s: grid anchored %.0f us after the TMICT write\n",
			       ctx->test->name,
			       tsc_to_us(ctx, (s64)(ctx->anchor - tmict_write_tsc[0])));
	if (!ctx->test->change_tdcr)
		return;

	ctx->anchor = TDCR_PERIOD_RATIO * grid_next(ctx, tdcr_write_tsc[0], 0) -
		      (TDCR_PERIOD_RATIO - 1) * tdcr_write_tsc[1];
	ctx->grid_period_ns *= TDCR_PERIOD_RATIO;
	ctx->grid_tolerance_ns *= TDCR_PERIOD_RATIO;
}

static void run_vcpu(struct test_ctx *ctx)
{
	u64 timer_exits;

	if (ctx->resuming) {
		ctx->resume_tsc = guest_tsc_now(ctx);
		ctx->resumed_ns = now_ns();
	}
	vcpu_run(ctx->vcpu);
	ctx->exit_ns = now_ns();
	TEST_ASSERT_KVM_EXIT_REASON(ctx->vcpu, KVM_EXIT_IO);

	timer_exits = vcpu_get_stat(ctx->vcpu, exits) - vcpu_get_stat(ctx->vcpu, irq_exits) -
		      vcpu_get_stat(ctx->vcpu, io_exits);
	sync_global_from_guest(ctx->vcpu->vm, nr_ticks);
	sync_global_from_guest(ctx->vcpu->vm, tick_tsc);
	ctx->timer_exits = (double)(timer_exits - ctx->exit_timer_exits) /
			   max(nr_ticks - ctx->exit_nr_ticks, 1ul);
	ctx->exit_timer_exits = timer_exits;
	ctx->exit_nr_ticks = nr_ticks;

	/* Print only now, printing may take long, e.g. on a serial console. */
	if (ctx->resuming && verbose)
		ksft_print_msg("pause %d: vcpu %u stopped %lu resumed %lu period %lu\n",
			       ctx->pause, ctx->vcpu->id, ctx->stopped_ns,
			       ctx->resumed_ns, ctx->grid_period_ns);
	ctx->resuming = false;
}

/*
 * Resume midway between two ticks: the interrupt for the missed periods is due
 * right away, the next tick half a period later.  Resume earlier by the time
 * the first interrupt took after the last resume, if any, so that the first
 * interrupt comes midway.
 */
static void wait_for_mid_period(struct test_ctx *ctx)
{
	u64 lead = ctx->resume_lead;
	u64 mid = grid_next(ctx, guest_tsc_now(ctx) + lead, 0.5) - lead;

	while ((s64)(guest_tsc_now(ctx) - mid) < 0)
		;
}

/*
 * Save and restore the paused vCPU's local APIC, as a VMM does for a snapshot
 * or a migration.  TMCCT in the saved state must count down to a tick of the
 * grid, else the restore moves the grid by more than the time the state was
 * saved for: KVM_SET_LAPIC restarts the count from TMCCT.
 */
static void save_restore_lapic(struct test_ctx *ctx)
{
	double tol = ns_to_tsc(ctx, ctx->grid_tolerance_ns), late;
	struct kvm_lapic_state state;
	u64 before, after, before_set, after_set, tmcct;

	before = guest_tsc_now(ctx);
	vcpu_ioctl(ctx->vcpu, KVM_GET_LAPIC, &state);
	after = guest_tsc_now(ctx);

	/* KVM read TMCCT in [before, after]. */
	tmcct = ns_to_tsc(ctx, *(u32 *)&state.regs[APIC_TMCCT] * APIC_BUS_CYCLE_NS);
	late = grid_lateness(ctx, before + tmcct);
	expect(ctx, late >= -(double)(after - before) - tol && late <= tol,
	       "KVM_GET_LAPIC: expected TMCCT to end %.0f..%.0f us from a tick of the grid, got %.0f us (TMCCT %.0f us)",
	       -tsc_to_us(ctx, after - before + tol), tsc_to_us(ctx, tol),
	       tsc_to_us(ctx, late), tsc_to_us(ctx, tmcct));

	before_set = guest_tsc_now(ctx);
	vcpu_ioctl(ctx->vcpu, KVM_SET_LAPIC, &state);
	after_set = guest_tsc_now(ctx);

	/*
	 * The grid moves by the time between KVM's read of TMCCT and its restart
	 * of the count.  Take the middle of what the ioctls allow, and widen the
	 * tolerance by the rest, i.e. by half the time the ioctls took.
	 */
	ctx->anchor += (before_set - before) / 2 + (after_set - after) / 2;
	ctx->restore_slack = (after - before) / 2 + (after_set - before_set) / 2;
}

static void pause_vcpu(struct test_ctx *ctx)
{
	int i;

	calibrate_tsc(ctx);
	if (!ctx->pause)
		init_grid(ctx);
	ctx->pre_pause_timer_exits = ctx->timer_exits;
	ctx->stopped_ns = ctx->exit_ns;
	ctx->resume_nr_ticks = nr_ticks;
	ctx->restore_slack = 0;

	/*
	 * As a VMM restores a halted vCPU: KVM resumes it in vcpu_block(), with
	 * the sw timer, instead of entering the guest.
	 */
	if (ctx->test->halted)
		vcpu_mp_state_set(ctx->vcpu, &(struct kvm_mp_state){ KVM_MP_STATE_HALTED });

	/* As a VMM does, e.g. to complete I/O or to kick the vCPU. */
	for (i = 1; ctx->test->immediate_exit && i <= IMMEDIATE_EXITS; i++) {
		sleep_until_ns(ctx->stopped_ns + pause_ns * i / (IMMEDIATE_EXITS + 1));
		vcpu_run_complete_io(ctx->vcpu);
	}

	sleep_until_ns(ctx->stopped_ns + pause_ns);
	calibrate_tsc(ctx);
	wait_for_mid_period(ctx);
	if (ctx->test->set_lapic)
		save_restore_lapic(ctx);
	ctx->resuming = true;
}

/* KVM moves the guest's TSC if the host's is unstable, breaking the clock. */
static void require_stable_tsc(struct test_ctx *ctx)
{
	u64 offset;

	vcpu_device_attr_get(ctx->vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &offset);
	if (offset == ctx->tsc_offset && sys_clocksource_is_based_on_tsc())
		return;

	ksft_print_msg("%s: the host's TSC became unstable\n", ctx->test->name);
	exit(KSFT_SKIP);
}

/* With -v, after each resume. */
#define RESUME_FMT \
	"%s, pause %d: first interrupt after %.0f us, %lu of %lu ticks on the grid (%.0f..%.0f us), median interval %.0f us, %.2f timer exits/tick (%.2f before)\n"

/* Median interval between the @n ticks from @first on. */
static double median_interval(u64 first, u64 n)
{
	double dt[TICK_LOG_SIZE];
	u64 i;

	for (i = 0; i < n - 1; i++)
		dt[i] = tick(first + i + 1) - tick(first + i);
	qsort(dt, n - 1, sizeof(dt[0]), cmp_double);
	return dt[(n - 1) / 2];
}

/*
 * A grid restarted at the resume is half a period off the pre-pause grid, an
 * extra interrupt on resume comes half a period before the next grid point,
 * and a timer off its period is off by a period per tick: with a tolerance
 * below half a period, e.g. the default of a fifth, the checks tell these
 * from a correct timer.  Judging by the majority of ticks, and counting ticks
 * with the tolerance on both sides, keeps them from failing on hosts that
 * deliver some interrupts late, lose a tick or stall the guest for a while,
 * e.g. under emulation.
 */
static void check_resume(struct test_ctx *ctx)
{
	u64 i, first = ctx->resume_nr_ticks, n = nr_ticks - first, excess = 0, on_grid = 0;
	double period, tol, near, median, late, min_late = 0, max_late = 0;
	/* VM-Exits other than IRQ and I/O exits per tick, see [5]. */
	double exits = ctx->timer_exits, pre_exits = ctx->pre_pause_timer_exits;
	u64 r = ctx->resume_tsc, t0 = tick(first);
	s64 allowed = 0;

	require_stable_tsc(ctx);
	calibrate_tsc(ctx);
	period = ns_to_tsc(ctx, ctx->grid_period_ns);
	tol = ns_to_tsc(ctx, ctx->grid_tolerance_ns) + ctx->restore_slack;
	TEST_ASSERT(n > 2 && n < TICK_LOG_SIZE,
		    "%s, pause %d: expected %d ticks after resuming, got %lu",
		    ctx->test->name, ctx->pause, 1 + TICKS_PER_PHASE, n);

	for (i = 1; i < n; i++) {
		/* One interrupt for the missed periods, then one per grid point. */
		if (!excess) {
			allowed = 1 + grid_points(ctx, r - tol, tick(first + i) + tol);
			excess = i + 1 > allowed ? i : 0;
		}

		late = grid_lateness(ctx, tick(first + i));
		on_grid += late >= -tol && late <= tol;
		min_late = min(min_late, late);
		max_late = max(max_late, late);
	}
	median = median_interval(first + 1, n - 1);

	expect(ctx, !excess,
	       "[1] coalescing: expected at most %ld interrupts %.0f us after resuming (1 for the missed periods, 1 per period), got %lu",
	       allowed, tsc_to_us(ctx, tick(first + excess) - r), excess + 1);
	expect(ctx, 2 * on_grid >= n - 1,
	       "[2] phase: expected half of the %lu ticks after the first within %.0f us of the pre-pause grid, got %lu (%.0f..%.0f us)",
	       n - 1, tsc_to_us(ctx, tol), on_grid,
	       tsc_to_us(ctx, min_late), tsc_to_us(ctx, max_late));
	expect(ctx, median >= period - tol && median <= period + tol,
	       "[3] cadence: expected a median interval between ticks of %.0f..%.0f us, got %.0f us",
	       tsc_to_us(ctx, period - tol), tsc_to_us(ctx, period + tol), tsc_to_us(ctx, median));
	expect(ctx, t0 - r <= MAX_FIRST_IRQ_PERIODS * period + tol,
	       "[4] no catch-up: expected the first interrupt within %.0f us of resuming, got it after %.0f us",
	       tsc_to_us(ctx, MAX_FIRST_IRQ_PERIODS * period + tol), tsc_to_us(ctx, t0 - r));
	/* A halting guest's timer is on the sw timer while the guest halts. */
	if (hv_timer && !ctx->test->halt)
		expect(ctx, exits > pre_exits - MAX_LOST_TIMER_EXITS_PER_TICK,
		       "[5] hv timer: expected more than %.2f VM-Exits other than IRQ and I/O exits per tick (%.2f before the pause), got %.2f",
		       pre_exits - MAX_LOST_TIMER_EXITS_PER_TICK, pre_exits, exits);

	if (verbose)
		ksft_print_msg(RESUME_FMT, ctx->test->name, ctx->pause, tsc_to_us(ctx, t0 - r),
			       on_grid, n - 1, tsc_to_us(ctx, min_late), tsc_to_us(ctx, max_late),
			       tsc_to_us(ctx, median), exits, pre_exits);

	TEST_ASSERT(!ctx->nr_failed, "%s: %d check(s) failed after pause %d, see above",
		    ctx->test->name, ctx->nr_failed, ctx->pause);

	/*
	 * A grid that KVM restarts at the resume has its ticks about where the
	 * first interrupt came.  If that is within the tolerance of the
	 * pre-pause grid, plus a margin for the time KVM takes to deliver an
	 * interrupt, the pause can't tell a restarted grid from a kept one:
	 * pause once more, unless the tolerance is so wide that no pause can.
	 * A restore restarts the count from the saved TMCCT, which
	 * save_restore_lapic() checks instead.
	 */
	near = tol + period / MARGIN_DIVISOR;
	late = grid_lateness(ctx, t0);
	ctx->resume_lead = (t0 - r) % (u64)period;
	if (late > -near && late < near && near < period / 2 && !ctx->restore_slack) {
		TEST_ASSERT(ctx->extra_pauses < MAX_EXTRA_PAUSES,
			    "%s: expected the first interrupt after a resume more than %.0f us from the pre-pause grid, got it closer in %d pauses",
			    ctx->test->name, tsc_to_us(ctx, near), ctx->pause + 1);
		ksft_print_msg("%s, pause %d: first IRQ %.0f us off the grid, pausing again\n",
			       ctx->test->name, ctx->pause, tsc_to_us(ctx, late));
		ctx->extra_pauses++;
		nr_pauses++;
		sync_global_to_guest(ctx->vcpu->vm, nr_pauses);
	}

	/*
	 * A restore moved the grid by an amount known only roughly: go on with
	 * the grid as the ticks since the resume place it.
	 */
	if (ctx->restore_slack)
		anchor_grid_on_ticks(ctx, first + 1, n - 1);

	ctx->pause++;
}

static void run_subtest(const struct subtest *test)
{
	struct test_ctx ctx = { .test = test };
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create(1);
	if (kvm_has_cap(KVM_CAP_X86_APIC_BUS_CYCLES_NS))
		vm_enable_cap(vm, KVM_CAP_X86_APIC_BUS_CYCLES_NS, APIC_BUS_CYCLE_NS);
	ctx.vcpu = vm_vcpu_add(vm, 0, test->guest_code);
	vm_install_exception_handler(vm, TIMER_VECTOR, guest_timer_handler);

	guest_halts = test->halt;
	guest_changes_tdcr = test->change_tdcr;
	sync_global_to_guest(vm, guest_halts);
	sync_global_to_guest(vm, guest_changes_tdcr);
	sync_global_to_guest(vm, period_ns);
	sync_global_to_guest(vm, nr_pauses);

	vcpu_device_attr_get(ctx.vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &ctx.tsc_offset);
	read_clocks(&ctx.start_tsc, &ctx.start_ns);

	for (;;) {
		run_vcpu(&ctx);

		switch (get_ucall(ctx.vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == SYNC_PAUSE)
				pause_vcpu(&ctx);
			else if (uc.args[1] == SYNC_CHECK)
				check_resume(&ctx);
			break;
		case UCALL_DONE:
			kvm_vm_free(vm);
			return;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("Unknown ucall %lu", uc.cmd);
		}
	}
}

/* Run each sub-test in a child, so that a failure doesn't stop the others. */
static void run_subtest_in_child(const struct subtest *test)
{
	/* The pauses, and the ticks before and after each, at the longest period. */
	u64 phase_ns = TICKS_PER_PHASE * TDCR_PERIOD_RATIO * period_ns;
	u64 expected_ns = (nr_pauses + MAX_EXTRA_PAUSES) * (pause_ns + 2 * phase_ns);
	unsigned int watchdog_s = WATCHDOG_SLACK_S + WATCHDOG_FACTOR * expected_ns / NSEC_PER_SEC;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork() failed, errno = %d", errno);
	if (!pid) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		alarm(watchdog_s);
		run_subtest(test);
		exit(KSFT_PASS);
	}

	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid() failed, errno = %d", errno);
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS)
		ksft_test_result_pass("%s\n", test->name);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP)
		ksft_test_result_skip("%s\n", test->name);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		ksft_test_result_fail("%s: not done after %u s\n", test->name, watchdog_s);
	else
		ksft_test_result_fail("%s\n", test->name);
}

static bool subtest_selected(const char *list, const char *name)
{
	char padded_list[256], padded_name[64];

	if (!list)
		return true;

	snprintf(padded_list, sizeof(padded_list), ",%s,", list);
	snprintf(padded_name, sizeof(padded_name), ",%s,", name);
	return strstr(padded_list, padded_name);
}

static void help(const char *name)
{
	int i;

	printf("usage: %s [-h] [-v] [-p period_us] [-d pause_ms] [-t tolerance_us]\n"
	       "       [-n pauses] [-s subtest[,subtest...]]\n"
	       "-p: period of the guest's APIC timer in usec (default %d)\n"
	       "-d: duration of each pause in msec (default %d)\n"
	       "-t: tolerance of tick timing in usec (default 1/%d of the period)\n"
	       "-n: pauses per sub-test (default 1)\n"
	       "-v: print a line per pause and per resume\n"
	       "-s: sub-tests to run (default all):", name, DEFAULT_PERIOD_US,
	       DEFAULT_PAUSE_MS, DEFAULT_TOLERANCE_DIVISOR);
	for (i = 0; i < ARRAY_SIZE(subtests); i++)
		printf(" %s", subtests[i].name);
	printf("\n");
}

int main(int argc, char *argv[])
{
	const char *selected = NULL;
	int opt, i, nr_selected = 0;

	while ((opt = getopt(argc, argv, "hvp:d:t:n:s:")) != -1) {
		switch (opt) {
		case 'p':
			period_ns = atoi_positive("Period (usec)", optarg) * NSEC_PER_USEC;
			break;
		case 'd':
			pause_ns = atoi_positive("Pause (msec)", optarg) * NSEC_PER_MSEC;
			break;
		case 't':
			tolerance_ns = atoi_positive("Tolerance (usec)", optarg) * NSEC_PER_USEC;
			break;
		case 'n':
			nr_pauses = atoi_positive("Number of pauses", optarg);
			break;
		case 's':
			selected = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
		default:
			help(argv[0]);
			exit(KSFT_SKIP);
		}
	}
	if (!tolerance_ns)
		tolerance_ns = period_ns / DEFAULT_TOLERANCE_DIVISOR;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_X2APIC));
	hv_timer = host_cpu_is_intel && get_kvm_intel_param_bool("preemption_timer");
	/* The guest's TSC is the test's clock. */
	TEST_REQUIRE(sys_clocksource_is_based_on_tsc());
	__TEST_REQUIRE(period_ns >= get_kvm_param_integer("min_timer_period_us") * NSEC_PER_USEC,
		       "KVM stretches periods below kvm.min_timer_period_us");
	TEST_ASSERT(period_ns / APIC_BUS_CYCLE_NS <= UINT32_MAX,
		    "Expected a period that fits in TMICT, got %lu us", period_ns / NSEC_PER_USEC);

	for (i = 0; i < ARRAY_SIZE(subtests); i++)
		nr_selected += subtest_selected(selected, subtests[i].name);
	TEST_ASSERT(nr_selected, "Expected sub-tests listed by -h, got '%s'", selected);

	ksft_print_header();
	ksft_set_plan(nr_selected);
	for (i = 0; i < ARRAY_SIZE(subtests); i++) {
		if (subtest_selected(selected, subtests[i].name))
			run_subtest_in_child(&subtests[i]);
	}
	ksft_finished();
}
