// SPDX-License-Identifier: GPL-2.0-only
/*
 * Verify KVM's emulation of a periodic local APIC timer when the vCPU is kept
 * out of KVM_RUN for many periods, e.g. because the VMM is stopped, is
 * snapshotting or migrating the VM, or simply isn't scheduled.
 *
 * The guest programs LVTT in periodic mode and timestamps every interrupt with
 * the TSC.  The host lets the timer tick, stops running the vCPU for a pause
 * that spans many periods, and resumes it such that the guest runs again at the
 * midpoint between two ticks of the pre-pause grid, so that on-grid and
 * off-grid interrupts are trivially told apart.  After every resume, verify
 * that:
 *
 *  1. all missed periods are coalesced into (at most) one interrupt, i.e. the
 *     guest never gets more than 1 + the number of periods since resuming;
 *  2. the following ticks stay on the pre-pause grid (t0 + k * period);
 *  3. the following ticks keep the cadence, i.e. no tick is lost or doubled;
 *  4. the first interrupt arrives promptly, i.e. KVM doesn't burn time
 *     catching up on the missed periods;
 *  5. on VMX, a busy guest's timer is still backed by the VMX preemption timer
 *     (the "hv timer"), i.e. timer ticks don't cause host IRQ exits.
 *
 * Sub-tests cover busy-waiting and halting guests (the latter switches the
 * timer to an hrtimer and back whenever the vCPU blocks), xAPIC and x2APIC, a
 * KVM_GET_LAPIC + KVM_SET_LAPIC round trip while the vCPU is paused, a TMICT
 * rewrite right after resuming, and two vCPUs paused independently.
 */
#include <pthread.h>
#include <time.h>

#include "apic.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define TIMER_VECTOR			0xec
#define TDCR_DIVIDE_BY_1		0xb
#define APIC_BUS_CYCLE_NS		1
#define MAX_VCPUS			2
#define NS_PER_US			1000ul
#define NS_PER_MS			1000000ul

/* Ticks recorded before each pause and after each resume. */
#define TICKS_PER_PHASE			20
#define TICK_RING_SIZE			1024

#define DEFAULT_PERIOD_US		1000
/* Long enough for 1000+ missed periods at the default period. */
#define DEFAULT_PAUSE_MS		1100
#define DEFAULT_NR_PAUSES		1
/* Default tolerance, as a fraction of the period. */
#define DEFAULT_TOLERANCE_DIVISOR	5
/*
 * Judge the phase by the tick at this percentile of lateness, so that a few
 * outliers, e.g. host hiccups under emulation, don't fail the test, but a
 * shifted grid does.
 */
#define PHASE_PERCENTILE		75
/* Interrupts may arrive a bit "early" relative to the estimated grid. */
#define EARLY_SLACK_DIVISOR		4
/*
 * Bound on the delay of the first interrupt after resuming, in periods (plus
 * the tolerance): the coalesced interrupt is due right away, and even if it's
 * dropped (KVM_SET_LAPIC), the next tick is due within half a period.
 */
#define MAX_FIRST_IRQ_PERIODS		1
/* Duration of the guest's busy wait to measure host IRQ exits, in periods. */
#define BASELINE_PERIODS		50
/*
 * With the hv timer, timer ticks don't cause IRQ exits; with an hrtimer, every
 * tick that fires while the guest runs does.  Anything in between is noise
 * from other host interrupts.
 */
#define MAX_HV_TIMER_IRQ_EXITS_PER_TICK	0.5
/* Attempts at resuming the vCPU at the midpoint between two ticks. */
#define RESUME_MAX_TRIES		100

#define PREEMPTION_TIMER_PARAM	"/sys/module/kvm_intel/parameters/preemption_timer"
#define MIN_TIMER_PERIOD_PARAM	"/sys/module/kvm/parameters/min_timer_period_us"

enum {
	SYNC_BASELINE_START,
	SYNC_BASELINE_END,
	SYNC_PAUSE,
};

/* Guest configuration, written by the host before the vCPUs run. */
static bool is_x2apic;
static bool guest_halts;
static bool rewrite_tmict;
static u32 timer_initial_count;
static u64 ticks_per_phase;
static u64 baseline_us;

/* Guest results, read by the host while the vCPU is out of KVM_RUN. */
static u64 guest_nr_ticks[MAX_VCPUS];
static u64 guest_tick_tsc[MAX_VCPUS][TICK_RING_SIZE];
static u64 guest_tmict_tsc[MAX_VCPUS];
static u64 guest_entry_tsc[MAX_VCPUS];

static u32 apic_read_reg(unsigned int reg)
{
	return is_x2apic ? x2apic_read_reg(reg) : xapic_read_reg(reg);
}

static void apic_write_reg(unsigned int reg, u32 val)
{
	if (is_x2apic)
		x2apic_write_reg(reg, val);
	else
		xapic_write_reg(reg, val);
}

static u32 guest_apic_id(void)
{
	u32 id = apic_read_reg(APIC_ID);

	return is_x2apic ? id : GET_APIC_ID_FIELD(id);
}

static void guest_timer_handler(struct ex_regs *regs)
{
	u64 tsc = rdtsc();
	u32 id = guest_apic_id();
	u64 nr;

	GUEST_ASSERT(id < MAX_VCPUS);

	nr = guest_nr_ticks[id];
	guest_tick_tsc[id][nr % TICK_RING_SIZE] = tsc;
	WRITE_ONCE(guest_nr_ticks[id], nr + 1);

	apic_write_reg(APIC_EOI, 0);
}

static void guest_start_periodic_timer(u32 id)
{
	apic_write_reg(APIC_TDCR, TDCR_DIVIDE_BY_1);
	apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | TIMER_VECTOR);
	WRITE_ONCE(guest_tmict_tsc[id], rdtsc());
	apic_write_reg(APIC_TMICT, timer_initial_count);
}

static void guest_wait_for_ticks(u32 id, u64 nr_ticks)
{
	/*
	 * Busy-waiting keeps the timer on the hv timer (if KVM uses it at all),
	 * halting makes KVM switch to an hrtimer and back every tick.  STI+HLT
	 * executes HLT in the STI shadow, so that the tick can't slip in
	 * between the check and HLT.
	 */
	while (READ_ONCE(guest_nr_ticks[id]) < nr_ticks) {
		if (!guest_halts)
			continue;

		asm volatile("cli");
		if (READ_ONCE(guest_nr_ticks[id]) < nr_ticks)
			asm volatile("sti; hlt" ::: "memory");
		else
			asm volatile("sti");
	}
}

/* Let the host measure how long it takes for the guest to run again. */
static void guest_sync_timed(u32 id, u64 stage)
{
	GUEST_SYNC(stage);
	WRITE_ONCE(guest_entry_tsc[id], rdtsc());
}

static void guest_code(u32 id, u64 first_pause_ticks, u64 nr_pauses)
{
	u64 target = first_pause_ticks;
	u64 i;

	if (is_x2apic)
		x2apic_enable();
	else
		xapic_enable();

	/* No interrupts until the timer starts. */
	asm volatile("sti");

	/* Let the host measure its rate of IRQ exits with no guest timer. */
	guest_sync_timed(id, SYNC_BASELINE_START);
	udelay(baseline_us);
	guest_sync_timed(id, SYNC_BASELINE_END);

	guest_start_periodic_timer(id);

	for (i = 0; i < nr_pauses; i++) {
		guest_wait_for_ticks(id, target);

		/* Not running until the host resumes the vCPU. */
		GUEST_SYNC(SYNC_PAUSE);

		if (rewrite_tmict)
			guest_start_periodic_timer(id);

		/* Expect one coalesced tick for the pause, then regular ones. */
		target += 1 + ticks_per_phase;
	}
	guest_wait_for_ticks(id, target);

	apic_write_reg(APIC_LVTT, APIC_LVT_MASKED);
	apic_write_reg(APIC_TMICT, 0);
	GUEST_DONE();
}

struct subtest {
	const char *name;
	bool x2apic;
	bool halt;
	bool lapic_state;
	bool rewrite_tmict;
	int nr_vcpus;
	bool check_hv_timer;
};

static const struct subtest subtests[] = {
	{ .name = "busy", .x2apic = true, .nr_vcpus = 1, .check_hv_timer = true },
	{ .name = "halt", .x2apic = true, .halt = true, .nr_vcpus = 1 },
	{ .name = "xapic", .nr_vcpus = 1, .check_hv_timer = true },
	{ .name = "lapic-state", .x2apic = true, .lapic_state = true, .nr_vcpus = 1 },
	{ .name = "tmict", .x2apic = true, .rewrite_tmict = true, .nr_vcpus = 1 },
	/* HLT, so that both vCPUs get to run on a host with a single CPU. */
	{ .name = "two-vcpus", .x2apic = true, .halt = true, .nr_vcpus = 2 },
};

static u64 period_ns = DEFAULT_PERIOD_US * NS_PER_US;
static u64 pause_ns = DEFAULT_PAUSE_MS * NS_PER_MS;
static u64 tolerance_ns;
static int nr_pauses = DEFAULT_NR_PAUSES;
static bool verbose;
static bool check_hv_timer;

/* A grid of timer ticks, in guest TSC cycles. */
struct grid {
	u64 anchor;
	double period;
	/* The earliest valid tick, e.g. after the timer was reprogrammed. */
	u64 start;
};

/* Host-side state of one vCPU. */
struct vcpu_ctx {
	const struct subtest *test;
	struct kvm_vcpu *vcpu;
	u32 id;
	u64 first_pause_ticks;

	/* Guest TSC = host TSC + tsc_offset; no TSC scaling in selftests. */
	s64 tsc_offset;
	/* Host TSC and CLOCK_MONOTONIC when the vCPU was created. */
	u64 start_tsc;
	u64 start_ns;
	double tsc_per_ns;

	int stats_fd;
	off_t irq_exits_offset;
	double baseline_irq_exits_per_ns;

	/* Guest TSC cycles from KVM_RUN until the guest runs, at best. */
	u64 entry_latency;
	bool entry_latency_valid;

	/* Snapshot of the last (re)entry into KVM_RUN. */
	u64 run_tsc;
	u64 run_ns;
	u64 run_irq_exits;
	u64 run_nr_ticks;

	/* State of the pause being verified. */
	int pause;
	u64 first_valid_tick;
	u64 stop_nr_ticks;
	bool resumed;
	u64 stopped_ns;
	u64 resume_tsc;
	double pre_pause_exits_per_tick;
	double pre_pause_period;
	struct grid grid;
};

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/* ksft_print_msg() isn't atomic, serialize the vCPU threads' output. */
#define print_locked(fmt, ...)				\
do {							\
	pthread_mutex_lock(&print_lock);		\
	ksft_print_msg(fmt, ##__VA_ARGS__);		\
	pthread_mutex_unlock(&print_lock);		\
} while (0)

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void sleep_ns(u64 ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

static u64 guest_tsc_now(struct vcpu_ctx *ctx)
{
	return rdtsc() + ctx->tsc_offset;
}

static double tsc_to_ns(struct vcpu_ctx *ctx, double cycles)
{
	return cycles / ctx->tsc_per_ns;
}

static double tsc_to_us(struct vcpu_ctx *ctx, double cycles)
{
	return tsc_to_ns(ctx, cycles) / NS_PER_US;
}

static double ns_to_tsc(struct vcpu_ctx *ctx, double ns)
{
	return ns * ctx->tsc_per_ns;
}

static u64 guest_tick_tsc_at(struct vcpu_ctx *ctx, u64 i)
{
	struct kvm_vm *vm = ctx->vcpu->vm;

	return *(u64 *)addr_gva2hva(vm, (gva_t)&guest_tick_tsc[ctx->id][i % TICK_RING_SIZE]);
}

/* Guest TSC cycles from @from to tick @i. */
static double tick_delta(struct vcpu_ctx *ctx, u64 i, u64 from)
{
	return (double)(s64)(guest_tick_tsc_at(ctx, i) - from);
}

static u64 guest_nr_ticks_of(struct vcpu_ctx *ctx)
{
	return READ_ONCE(*(u64 *)addr_gva2hva(ctx->vcpu->vm,
					      (gva_t)&guest_nr_ticks[ctx->id]));
}

static u64 guest_tmict_tsc_of(struct vcpu_ctx *ctx)
{
	return *(u64 *)addr_gva2hva(ctx->vcpu->vm,
				    (gva_t)&guest_tmict_tsc[ctx->id]);
}

/*
 * Compute the guest TSC offset and the TSC frequency from the host's point of
 * view.  Measure the frequency against CLOCK_MONOTONIC, which KVM's timers are
 * based on, instead of trusting KVM_GET_TSC_KHZ: the two can disagree by a
 * few hundred ppm, which adds up over a long pause.
 */
static void init_tsc(struct vcpu_ctx *ctx)
{
	u64 before, after, guest_tsc;

	before = rdtsc();
	guest_tsc = vcpu_get_msr(ctx->vcpu, MSR_IA32_TSC);
	after = rdtsc();
	ctx->tsc_offset = guest_tsc - (before + (after - before) / 2);

	ctx->start_ns = now_ns();
	ctx->start_tsc = rdtsc();
	ctx->tsc_per_ns = guest_tsc_khz / (double)NS_PER_MS;
}

static void update_tsc_per_ns(struct vcpu_ctx *ctx)
{
	u64 ns = now_ns();
	u64 tsc = rdtsc();

	ctx->tsc_per_ns = (double)(tsc - ctx->start_tsc) / (ns - ctx->start_ns);
}

/*
 * Use the binary stats interface directly, the helpers to look up a vCPU stat
 * by name differ between kernel versions.
 */
static void init_irq_exits_stat(struct vcpu_ctx *ctx)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *desc;
	size_t desc_size, size;
	char *descs;
	ssize_t ret;
	int i;

	ctx->stats_fd = __vcpu_ioctl(ctx->vcpu, KVM_GET_STATS_FD, NULL);
	TEST_ASSERT(ctx->stats_fd >= 0, "KVM_GET_STATS_FD failed, errno = %d", errno);

	ret = pread(ctx->stats_fd, &header, sizeof(header), 0);
	TEST_ASSERT(ret == sizeof(header), "Failed to read the stats header");

	desc_size = sizeof(*desc) + header.name_size;
	size = desc_size * header.num_desc;
	descs = malloc(size);
	TEST_ASSERT(descs, "Failed to allocate %lu bytes for stats descriptors", size);
	ret = pread(ctx->stats_fd, descs, size, header.desc_offset);
	TEST_ASSERT(ret == size, "Failed to read the stats descriptors");

	for (i = 0; i < header.num_desc; i++) {
		desc = (void *)descs + i * desc_size;
		if (!strcmp(desc->name, "irq_exits")) {
			ctx->irq_exits_offset = header.data_offset + desc->offset;
			free(descs);
			return;
		}
	}
	TEST_FAIL("vCPU stat 'irq_exits' not found");
}

static u64 read_irq_exits(struct vcpu_ctx *ctx)
{
	u64 val;

	TEST_ASSERT(pread(ctx->stats_fd, &val, sizeof(val), ctx->irq_exits_offset) == sizeof(val),
		    "Failed to read vCPU stat 'irq_exits'");
	return val;
}

/* Index of the last grid point at or before @delta cycles from the anchor. */
static s64 grid_index(const struct grid *grid, double delta)
{
	s64 k = delta / grid->period;

	return k * grid->period > delta ? k - 1 : k;
}

/* Signed distance of @tsc from the grid, in [-early, period - early). */
static double grid_lateness(const struct grid *grid, u64 tsc, double early)
{
	double delta = (double)(s64)(tsc - grid->anchor);

	return delta - grid_index(grid, delta + early) * grid->period;
}

/* Number of grid points in (@from, @to], ignoring points before the start. */
static s64 grid_points_between(const struct grid *grid, u64 from, u64 to)
{
	if (grid->start && (s64)(from - grid->start) < 0)
		from = grid->start - 1;
	if ((s64)(to - from) <= 0)
		return 0;

	return grid_index(grid, (double)(s64)(to - grid->anchor)) -
	       grid_index(grid, (double)(s64)(from - grid->anchor));
}

/* The first grid point after @tsc. */
static u64 grid_next(const struct grid *grid, u64 tsc)
{
	double delta = (double)(s64)(tsc - grid->anchor);
	u64 next = grid->anchor + (s64)((grid_index(grid, delta) + 1) * grid->period);

	return next > grid->start ? next : grid->start;
}

/*
 * Interrupts are never delivered before the timer expires, but may be late.
 * Thus estimate the grid from the tick with the smallest lateness.
 */
static void estimate_grid(struct vcpu_ctx *ctx, u64 first, u64 end, struct grid *grid)
{
	u64 ref = guest_tick_tsc_at(ctx, first);
	double min_dev = 0, dev, delta;
	u64 i;

	grid->period = ns_to_tsc(ctx, period_ns);
	grid->start = 0;

	for (i = first + 1; i < end; i++) {
		delta = (double)(guest_tick_tsc_at(ctx, i) - ref);
		dev = delta - grid_index(grid, delta + grid->period / 2) * grid->period;
		if (dev < min_dev)
			min_dev = dev;
	}
	grid->anchor = ref + (s64)min_dev;
}

/*
 * Resume such that the guest runs again at the midpoint between two ticks of
 * the grid: an interrupt in the first half period after resuming can only be
 * the coalesced one (or a bogus extra one), and a grid that KVM re-phased to
 * the resume instant is off by half a period.  Sleep most of the way to avoid
 * hogging the CPU, e.g. from the other vCPU, and spin the rest.
 */
static void wait_for_mid_period(struct vcpu_ctx *ctx, const struct grid *grid)
{
	double spin = grid->period / 4, max_late = grid->period / 8;
	u64 now, target, mid;
	int i;

	for (i = 0; i < RESUME_MAX_TRIES; i++) {
		now = guest_tsc_now(ctx);
		mid = now + ctx->entry_latency + spin + grid->period / 2;
		target = grid_next(grid, mid) - grid->period / 2 - ctx->entry_latency;

		sleep_ns(tsc_to_ns(ctx, target - now - spin));
		do {
			now = guest_tsc_now(ctx);
		} while ((s64)(now - target) < 0);

		if (now - target <= max_late)
			return;
	}
	TEST_FAIL("Host failed to resume vCPU %u within %.0f us of a mid-period %d times in a row",
		  ctx->id, tsc_to_us(ctx, max_late), RESUME_MAX_TRIES);
}

/*
 * Save and restore the local APIC of the paused vCPU, as done when taking a
 * snapshot or migrating.  TMCCT in the saved state must reflect the time to
 * the next tick of the grid, else the restore changes the timer's phase.
 */
static void save_restore_lapic(struct vcpu_ctx *ctx, struct grid *grid)
{
	struct grid tmict_grid = *grid;
	struct kvm_lapic_state state;
	double tmcct_ns, lo_ns, hi_ns;
	u64 before, after;
	u32 tmcct;

	before = guest_tsc_now(ctx);
	vcpu_ioctl(ctx->vcpu, KVM_GET_LAPIC, &state);
	after = guest_tsc_now(ctx);

	/*
	 * KVM's grid starts when it handles the TMICT write, i.e. after the
	 * guest's timestamp of the write, and ticks arrive after KVM's grid
	 * points.  Thus KVM's next grid point lies between the next point of
	 * the grid anchored at the write and the next one of the tick grid.
	 */
	tmict_grid.anchor = guest_tmict_tsc_of(ctx);
	memcpy(&tmcct, &state.regs[APIC_TMCCT], sizeof(tmcct));
	tmcct_ns = (double)tmcct * APIC_BUS_CYCLE_NS;
	lo_ns = tsc_to_ns(ctx, (double)(s64)(grid_next(&tmict_grid, before) - after)) -
		tolerance_ns;
	hi_ns = tsc_to_ns(ctx, (double)(s64)(grid_next(grid, before) - before)) + tolerance_ns;
	TEST_ASSERT(tmcct_ns >= lo_ns && tmcct_ns <= hi_ns,
		    "%s: vCPU %u, pause %d: [2] phase: expected TMCCT of the paused vCPU = %.0f..%.0f us to the next tick of the pre-pause grid, KVM_GET_LAPIC says %.0f us",
		    ctx->test->name, ctx->id, ctx->pause, lo_ns / NS_PER_US,
		    hi_ns / NS_PER_US, tmcct_ns / NS_PER_US);

	vcpu_ioctl(ctx->vcpu, KVM_SET_LAPIC, &state);
}

static void snapshot_run(struct vcpu_ctx *ctx)
{
	ctx->run_irq_exits = read_irq_exits(ctx);
	ctx->run_nr_ticks = guest_nr_ticks_of(ctx);
	ctx->run_ns = now_ns();
	ctx->run_tsc = guest_tsc_now(ctx);
}

/* Host IRQ exits per timer tick since the last entry, minus background noise. */
static double irq_exits_per_tick(struct vcpu_ctx *ctx, u64 nr_ticks)
{
	double exits = read_irq_exits(ctx) - ctx->run_irq_exits;
	double background = ctx->baseline_irq_exits_per_ns * (now_ns() - ctx->run_ns);

	if (!nr_ticks)
		return 0;
	return (exits - background) / nr_ticks;
}

static void pause_vcpu(struct vcpu_ctx *ctx)
{
	u64 stopped_ns, nr_ticks, first;

	stopped_ns = now_ns();
	nr_ticks = guest_nr_ticks_of(ctx);
	if (check_hv_timer && ctx->test->check_hv_timer)
		ctx->pre_pause_exits_per_tick =
			irq_exits_per_tick(ctx, nr_ticks - ctx->run_nr_ticks);
	ctx->stop_nr_ticks = nr_ticks;

	sleep_ns(pause_ns);

	update_tsc_per_ns(ctx);
	TEST_ASSERT(nr_ticks - ctx->first_valid_tick >= 2,
		    "%s: vCPU %u: expected at least 2 ticks before pause %d, got %lu",
		    ctx->test->name, ctx->id, ctx->pause, nr_ticks - ctx->first_valid_tick);

	/* Older ticks may have been overwritten in the ring. */
	first = ctx->first_valid_tick;
	if (nr_ticks - first > TICK_RING_SIZE / 2)
		first = nr_ticks - TICK_RING_SIZE / 2;
	estimate_grid(ctx, first, nr_ticks, &ctx->grid);
	ctx->pre_pause_period = tick_delta(ctx, nr_ticks - 1, guest_tick_tsc_at(ctx, first)) /
				(nr_ticks - 1 - first);

	wait_for_mid_period(ctx, &ctx->grid);
	if (ctx->test->lapic_state)
		save_restore_lapic(ctx, &ctx->grid);

	snapshot_run(ctx);
	ctx->stopped_ns = stopped_ns;
	ctx->resume_tsc = ctx->run_tsc;
	ctx->resumed = true;
}

/* Formats of the verbose output, besides the "pause" line of every pause. */
#define BASELINE_FMT \
	"%s: vcpu %u: %.2f host IRQ exits per period without guest timer, %.0f us from KVM_RUN to guest\n"
#define RESUME_STATS_FMT \
	"%s: vcpu %u resume %d: first irq after %.0f us, excess irq #%lu, lateness %.0f..%.0f us (%d%%: %.0f us), %lu ticks span %ld periods (%.0f us), irq exits/tick %.2f (%.2f before)\n"

struct verdict {
	char buf[2048];
	int len;
	int nr_failed;
};

static void __printf(3, 4) report(struct verdict *v, const char *check, const char *fmt, ...)
{
	size_t size = sizeof(v->buf);
	va_list ap;

	v->nr_failed++;
	v->len += snprintf(v->buf + v->len, size - v->len, "  %s: ", check);
	va_start(ap, fmt);
	v->len += vsnprintf(v->buf + v->len, size - v->len, fmt, ap);
	va_end(ap);
	v->len += snprintf(v->buf + v->len, size - v->len, "\n");
	TEST_ASSERT(v->len < size, "Verdict buffer overflow");
}

/* What the guest saw after a resume, in guest TSC cycles. */
struct resume_stats {
	u64 nr_ticks;
	double first_irq;
	/* The first interrupt beyond 1 + the periods elapsed since resuming. */
	u64 excess;
	double excess_after_resume;
	double excess_after_first;
	double min_late;
	double max_late;
	u64 latest;
	double pct_late;
	u64 nr_late;
	double span;
	s64 nr_periods;
	double irq_exits_per_tick;
};

static void measure_resume(struct vcpu_ctx *ctx, u64 first, u64 end, double early,
			   double tol, struct resume_stats *rs)
{
	struct grid *grid = &ctx->grid;
	u64 t0 = guest_tick_tsc_at(ctx, first);
	double lateness, *late;
	s64 elapsed;
	u64 i, j;

	rs->nr_ticks = end - first;
	late = calloc(rs->nr_ticks, sizeof(*late));
	TEST_ASSERT(late, "Failed to allocate %lu ticks", rs->nr_ticks);
	rs->first_irq = (double)(s64)(t0 - ctx->resume_tsc);
	rs->excess = 0;
	rs->nr_late = 0;
	rs->latest = 0;
	rs->min_late = 0;
	rs->max_late = -early;

	for (i = 1; i < rs->nr_ticks; i++) {
		/*
		 * All missed periods are worth one interrupt, any further one
		 * needs a tick of the grid after resuming.  Late interrupts
		 * only make the count smaller, e.g. if the coalesced interrupt
		 * is delayed past the next tick and merges with it.
		 */
		elapsed = grid_points_between(grid, ctx->resume_tsc,
					      guest_tick_tsc_at(ctx, first + i) + (u64)early);
		if (!rs->excess && (s64)i > elapsed) {
			rs->excess = i;
			rs->excess_after_resume = tick_delta(ctx, first + i, ctx->resume_tsc);
			rs->excess_after_first = tick_delta(ctx, first + i, t0);
		}

		lateness = grid_lateness(grid, guest_tick_tsc_at(ctx, first + i), early);
		if (lateness > rs->max_late) {
			rs->max_late = lateness;
			rs->latest = i;
		}
		if (lateness < rs->min_late)
			rs->min_late = lateness;
		if (lateness > tol)
			rs->nr_late++;

		/* Insertion sort, there are only a few ticks. */
		for (j = i - 1; j > 0 && late[j - 1] > lateness; j--)
			late[j] = late[j - 1];
		late[j] = lateness;
	}
	rs->pct_late = late[(rs->nr_ticks - 2) * PHASE_PERCENTILE / 100];
	free(late);

	/*
	 * The N ticks after the coalesced one must fall on N consecutive
	 * points of the grid, i.e. none may be lost or doubled.
	 */
	rs->span = tick_delta(ctx, end - 1, guest_tick_tsc_at(ctx, first + 1));
	rs->nr_periods = grid_points_between(grid, guest_tick_tsc_at(ctx, first + 1) + (u64)early,
					     guest_tick_tsc_at(ctx, end - 1) + (u64)early);

	rs->irq_exits_per_tick = 0;
	if (check_hv_timer && ctx->test->check_hv_timer)
		rs->irq_exits_per_tick = irq_exits_per_tick(ctx, rs->nr_ticks);
}

/* Verify the ticks between the last resume and the guest's next ucall. */
static void verify_resume(struct vcpu_ctx *ctx)
{
	double early = ns_to_tsc(ctx, tolerance_ns / EARLY_SLACK_DIVISOR);
	double tol = ns_to_tsc(ctx, tolerance_ns);
	double max_first_irq = MAX_FIRST_IRQ_PERIODS * ctx->grid.period + tol;
	u64 first = ctx->stop_nr_ticks, end = guest_nr_ticks_of(ctx);
	double pre_period = ctx->pre_pause_period;
	struct resume_stats rs;
	struct verdict v = {};

	/* Print only now, printing may take long, e.g. on a serial console. */
	if (verbose)
		print_locked("pause %d: vcpu %u stopped %lu resumed %lu period %lu\n",
			     ctx->pause, ctx->id, ctx->stopped_ns, ctx->run_ns, period_ns);

	TEST_ASSERT(end - first > 2 && end - first < TICK_RING_SIZE,
		    "%s: vCPU %u: expected %lu ticks after pause %d, got %lu",
		    ctx->test->name, ctx->id, ticks_per_phase + 1, ctx->pause, end - first);

	/* A rewritten TMICT starts a new grid. */
	if (ctx->test->rewrite_tmict) {
		ctx->grid.anchor = guest_tmict_tsc_of(ctx);
		ctx->grid.start = ctx->grid.anchor + (u64)ctx->grid.period;
	}

	measure_resume(ctx, first, end, early, tol, &rs);

	if (verbose)
		print_locked(RESUME_STATS_FMT, ctx->test->name, ctx->id, ctx->pause,
			     tsc_to_us(ctx, rs.first_irq), rs.excess,
			     tsc_to_us(ctx, rs.min_late), tsc_to_us(ctx, rs.max_late),
			     PHASE_PERCENTILE, tsc_to_us(ctx, rs.pct_late),
			     rs.nr_ticks - 1, rs.nr_periods, tsc_to_us(ctx, rs.span),
			     rs.irq_exits_per_tick,
			     ctx->pre_pause_exits_per_tick);

	if (rs.excess)
		report(&v, "[1] bounded expirations",
		       "expected 1 interrupt for the missed periods, then 1 per period; got interrupt #%lu %.0f us after resuming, %.0f us after the first",
		       rs.excess + 1, tsc_to_us(ctx, rs.excess_after_resume),
		       tsc_to_us(ctx, rs.excess_after_first));
	if (rs.pct_late > tol)
		report(&v, "[2] phase",
		       "expected %d%% of the ticks %.0f..%.0f us after the points of the pre-pause grid, %lu of %lu were later (%d%% by up to %.0f us, tick %lu by %.0f us)",
		       PHASE_PERCENTILE, -tsc_to_us(ctx, early), tsc_to_us(ctx, tol),
		       rs.nr_late, rs.nr_ticks - 1, PHASE_PERCENTILE,
		       tsc_to_us(ctx, rs.pct_late), rs.latest, tsc_to_us(ctx, rs.max_late));
	if (rs.nr_periods != rs.nr_ticks - 2)
		report(&v, "[3] cadence",
		       "expected %lu ticks after the first to span %lu periods, got %ld periods (%.0f us, average period %.0f us after resuming, %.0f us before the pause)",
		       rs.nr_ticks - 1, rs.nr_ticks - 2, rs.nr_periods, tsc_to_us(ctx, rs.span),
		       tsc_to_us(ctx, rs.span / (rs.nr_ticks - 2)), tsc_to_us(ctx, pre_period));
	if (rs.first_irq > max_first_irq)
		report(&v, "[4] no storm",
		       "expected the first interrupt within %.0f us of resuming, got it after %.0f us",
		       tsc_to_us(ctx, max_first_irq), tsc_to_us(ctx, rs.first_irq));
	if (rs.irq_exits_per_tick > MAX_HV_TIMER_IRQ_EXITS_PER_TICK)
		report(&v, "[5] hv timer kept",
		       "expected < %.2f host IRQ exits per tick (hv timer), got %.2f (%.2f before the pause)",
		       MAX_HV_TIMER_IRQ_EXITS_PER_TICK, rs.irq_exits_per_tick,
		       ctx->pre_pause_exits_per_tick);

	TEST_ASSERT(!v.nr_failed, "%s: vCPU %u, pause %d: %d check(s) failed:\n%s",
		    ctx->test->name, ctx->id, ctx->pause, v.nr_failed, v.buf);

	/* The coalesced tick isn't on the grid, don't use it for the next one. */
	ctx->first_valid_tick = first + 1;
	ctx->pause++;
}

static void measure_baseline(struct vcpu_ctx *ctx)
{
	ctx->baseline_irq_exits_per_ns = (double)(read_irq_exits(ctx) - ctx->run_irq_exits) /
					 (now_ns() - ctx->run_ns);
	if (verbose)
		print_locked(BASELINE_FMT, ctx->test->name, ctx->id,
			     ctx->baseline_irq_exits_per_ns * period_ns,
			     tsc_to_us(ctx, ctx->entry_latency));
}

/* Called on the guest's first ucall after a timed one. */
static void measure_entry_latency(struct vcpu_ctx *ctx)
{
	s64 latency = *(u64 *)addr_gva2hva(ctx->vcpu->vm,
					   (gva_t)&guest_entry_tsc[ctx->id]) - ctx->run_tsc;

	/* The TSC offset is an estimate, the latency may come out negative. */
	if (latency < 0)
		latency = 0;
	if (!ctx->entry_latency_valid || latency < ctx->entry_latency) {
		ctx->entry_latency = latency;
		ctx->entry_latency_valid = true;
	}
}

static void *run_vcpu(void *arg)
{
	struct vcpu_ctx *ctx = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(ctx->vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(ctx->vcpu, KVM_EXIT_IO);

		switch (get_ucall(ctx->vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == SYNC_BASELINE_END ||
			    (uc.args[1] == SYNC_PAUSE && !ctx->resumed))
				measure_entry_latency(ctx);
			if (uc.args[1] == SYNC_BASELINE_END)
				measure_baseline(ctx);
			if (uc.args[1] != SYNC_PAUSE) {
				snapshot_run(ctx);
				break;
			}
			if (ctx->resumed)
				verify_resume(ctx);
			pause_vcpu(ctx);
			break;
		case UCALL_DONE:
			verify_resume(ctx);
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("Unknown ucall %lu", uc.cmd);
		}
	}
}

static void run_subtest(const struct subtest *test)
{
	struct vcpu_ctx ctxs[MAX_VCPUS] = {};
	pthread_t threads[MAX_VCPUS];
	struct kvm_vm *vm;
	int i;

	vm = vm_create(test->nr_vcpus);
	if (kvm_has_cap(KVM_CAP_X86_APIC_BUS_CYCLES_NS))
		vm_enable_cap(vm, KVM_CAP_X86_APIC_BUS_CYCLES_NS, APIC_BUS_CYCLE_NS);

	vm_install_exception_handler(vm, TIMER_VECTOR, guest_timer_handler);
	if (!test->x2apic)
		virt_pg_map(vm, APIC_DEFAULT_GPA, APIC_DEFAULT_GPA);

	is_x2apic = test->x2apic;
	guest_halts = test->halt;
	rewrite_tmict = test->rewrite_tmict;
	timer_initial_count = period_ns / APIC_BUS_CYCLE_NS;
	ticks_per_phase = TICKS_PER_PHASE;
	baseline_us = BASELINE_PERIODS * period_ns / NS_PER_US;
	sync_global_to_guest(vm, is_x2apic);
	sync_global_to_guest(vm, guest_halts);
	sync_global_to_guest(vm, rewrite_tmict);
	sync_global_to_guest(vm, timer_initial_count);
	sync_global_to_guest(vm, ticks_per_phase);
	sync_global_to_guest(vm, baseline_us);

	for (i = 0; i < test->nr_vcpus; i++) {
		struct vcpu_ctx *ctx = &ctxs[i];

		ctx->test = test;
		ctx->id = i;
		ctx->vcpu = vm_vcpu_add(vm, i, guest_code);
		/* Pause the vCPUs at different times, each for the full pause. */
		ctx->first_pause_ticks = TICKS_PER_PHASE + i * (pause_ns / 2) / period_ns;
		vcpu_args_set(ctx->vcpu, 3, i, ctx->first_pause_ticks, nr_pauses);
		init_tsc(ctx);
		init_irq_exits_stat(ctx);
	}

	if (test->nr_vcpus == 1) {
		run_vcpu(&ctxs[0]);
	} else {
		for (i = 0; i < test->nr_vcpus; i++)
			pthread_create(&threads[i], NULL, run_vcpu, &ctxs[i]);
		for (i = 0; i < test->nr_vcpus; i++)
			pthread_join(threads[i], NULL);
	}

	for (i = 0; i < test->nr_vcpus; i++)
		close(ctxs[i].stats_fd);
	kvm_vm_free(vm);
}

static bool read_param(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, size, f);
	fclose(f);
	return ok;
}

static void help(const char *name)
{
	int i;

	printf("usage: %s [-h] [-v] [-p period_us] [-d pause_ms] [-t tolerance_us]\n"
	       "       [-n pauses] [-s subtest[,subtest...]]\n", name);
	printf("-p: period of the guest's APIC timer in usec (default %d)\n", DEFAULT_PERIOD_US);
	printf("-d: duration of each pause in msec (default %d)\n", DEFAULT_PAUSE_MS);
	printf("-t: tolerance of tick timing in usec (default 1/%d of the period)\n",
	       DEFAULT_TOLERANCE_DIVISOR);
	printf("-n: pauses per vCPU and subtest (default %d)\n", DEFAULT_NR_PAUSES);
	printf("-s: subtests to run (default all):");
	for (i = 0; i < ARRAY_SIZE(subtests); i++)
		printf(" %s", subtests[i].name);
	printf("\n-v: print one line per pause and per resume\n");
}

static bool subtest_selected(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	if (!list)
		return true;

	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

int main(int argc, char *argv[])
{
	const char *selected = NULL;
	char param[16];
	int opt, i, nr_selected = 0;

	while ((opt = getopt(argc, argv, "hvp:d:t:n:s:")) != -1) {
		switch (opt) {
		case 'p':
			period_ns = atoi_positive("Period (usec)", optarg) * NS_PER_US;
			break;
		case 'd':
			pause_ns = atoi_positive("Pause (msec)", optarg) * NS_PER_MS;
			break;
		case 't':
			tolerance_ns = atoi_positive("Tolerance (usec)", optarg) * NS_PER_US;
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

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_IRQCHIP));
	TEST_ASSERT(period_ns / APIC_BUS_CYCLE_NS <= UINT32_MAX,
		    "Period %lu us doesn't fit in TMICT", period_ns / NS_PER_US);
	if (read_param(MIN_TIMER_PERIOD_PARAM, param, sizeof(param)))
		__TEST_REQUIRE(period_ns >= atoi(param) * NS_PER_US,
			       "KVM clamps periods below kvm.min_timer_period_us = %d",
			       atoi(param));

	check_hv_timer = read_param(PREEMPTION_TIMER_PARAM, param, sizeof(param)) &&
			 param[0] == 'Y';

	for (i = 0; i < ARRAY_SIZE(subtests); i++)
		nr_selected += subtest_selected(selected, subtests[i].name);
	TEST_ASSERT(nr_selected, "No subtest matches '%s'", selected);

	ksft_print_header();
	ksft_set_plan(nr_selected);
	if (!check_hv_timer)
		ksft_print_msg("Not checking for the hv timer: %s isn't 'Y'\n",
			       PREEMPTION_TIMER_PARAM);

	for (i = 0; i < ARRAY_SIZE(subtests); i++) {
		const struct subtest *test = &subtests[i];

		if (!subtest_selected(selected, test->name))
			continue;

		if (test->x2apic && !kvm_cpu_has(X86_FEATURE_X2APIC)) {
			ksft_test_result_skip("%s: x2APIC not supported\n", test->name);
			continue;
		}

		run_subtest(test);
		ksft_test_result_pass("%s\n", test->name);
	}

	ksft_finished();
}
