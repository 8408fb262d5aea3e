// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test that a periodic local APIC timer keeps its grid of expirations while
 * userspace doesn't run its vCPU, e.g. while a VMM pauses or migrates the VM.
 * The host resumes the vCPU midway between two points of the grid, where a
 * grid restarted at the resume is half a period off.  Time is the guest's TSC:
 * the guest locates the grid with TMCCT and RDTSC, the host reads the guest's
 * TSC with KVM_GET_MSRS.  What a check can't decide is skipped.  Pauses that
 * begin or end as a deadline passes can't be timed reliably: not tested.
 */
#include <linux/time64.h>

#include "apic.h"
#include "kvm_test_harness.h"
#include "processor.h"
#include "test_util.h"

#define TIMER_VECTOR		0xec
#define LVTT_PERIODIC		(APIC_LVT_TIMER_PERIODIC | TIMER_VECTOR)
#define PERIOD_NS		(20 * NSEC_PER_MSEC)	/* in bus cycles of KVM's 1 GHz */
#define PAUSE_PERIODS		10	/* and a half */

enum { SYNC_PAUSE, SYNC_SKIP };

/* The period in guest TSC cycles, and the tolerance of the checks. */
static s64 period, tol;
/* The guest's TSC at a point of the grid before the pause, and at the resume. */
static u64 grid, resume;
static bool lvtt_masked;
static u64 nr_ticks, last_tick;

static s64 to_us(s64 tsc)
{
	return tsc * 1000 / (s64)guest_tsc_khz;
}

static u64 ns_to_tsc(u64 ns)
{
	return ns * guest_tsc_khz / NSEC_PER_MSEC;
}

/* Offset of @tsc from the nearest point of the grid, in [-period/2, period/2). */
static s64 grid_offset(u64 tsc)
{
	s64 off = ((s64)(tsc - grid) % period + period) % period;

	return off < period / 2 ? off : off - period;
}

static u64 next_grid_point(u64 tsc)
{
	s64 off = grid_offset(tsc);

	return tsc - off + (off >= 0 ? period : 0);
}

static void guest_timer_handler(struct ex_regs *regs)
{
	last_tick = rdtsc();
	WRITE_ONCE(nr_ticks, nr_ticks + 1);
	x2apic_write_reg(APIC_EOI, 0);
}

static void guest_wait_until(u64 tsc)
{
	while ((s64)(rdtsc() - tsc) < 0)
		cpu_relax();
}

/* The guest's TSC at the next point of the timer's grid, from TMCCT. */
static u64 guest_read_grid(void)
{
	u64 t0, t1;
	u32 tmcct;

	for (int i = 0; i < 10; i++) {
		t0 = rdtsc();
		tmcct = x2apic_read_reg(APIC_TMCCT);
		t1 = rdtsc();
		if (t1 - t0 < tol / 2)
			return t0 + (t1 - t0) / 2 + ns_to_tsc(tmcct);
	}
	GUEST_PRINTF("Reading TMCCT took %ld us, too long to locate the grid", to_us(t1 - t0));
	GUEST_SYNC(SYNC_SKIP);
	return 0;
}

static void guest_assert_on_grid(const char *when)
{
	s64 off = grid_offset(guest_read_grid());

	__GUEST_ASSERT(llabs(off) <= tol,
		       "Expected TMCCT to count down to the old grid %s, got %ld us off",
		       when, to_us(off));
}

static void guest_start_timer(u32 mode)
{
	x2apic_enable();
	x2apic_write_reg(APIC_TDCR, 0xb);	/* divide by 1 */
	x2apic_write_reg(APIC_LVTT, mode | TIMER_VECTOR);
	x2apic_write_reg(APIC_TMICT, PERIOD_NS);
	sti();
	if (mode != APIC_LVT_TIMER_PERIODIC)
		return;

	/* Locate the grid right after a tick, far from the next one. */
	while (READ_ONCE(nr_ticks) < 2)
		cpu_relax();
	grid = guest_read_grid();
}

/*
 * Pause the vCPU with its timer running, LVTT masked if @lvtt_masked.  When it
 * runs again, it gets one interrupt for the missed periods (if masked: none,
 * but KVM holds one expiration until LVTT is unmasked) and the next one at the
 * next point of the old grid: the timer wasn't restarted, nor left stopped.
 */
static void guest_pause_code(void)
{
	u64 next, n0;

	guest_start_timer(APIC_LVT_TIMER_PERIODIC);
	if (lvtt_masked)
		x2apic_write_reg(APIC_LVTT, APIC_LVT_MASKED | LVTT_PERIODIC);
	n0 = READ_ONCE(nr_ticks);
	GUEST_SYNC(SYNC_PAUSE);

	next = next_grid_point(resume);
	if ((s64)(rdtsc() - next) > 0) {
		GUEST_PRINTF("Resumed %ld us late, after a point of the grid: can't tell",
			     to_us(rdtsc() - resume));
		GUEST_SYNC(SYNC_SKIP);
	}
	if (lvtt_masked) {
		guest_wait_until(next + period / 2);
		__GUEST_ASSERT(nr_ticks == n0, "Expected no interrupt with LVTT masked, got %lu",
			       nr_ticks - n0);
		guest_assert_on_grid("with LVTT masked");
		x2apic_write_reg(APIC_LVTT, LVTT_PERIODIC);
		next = next_grid_point(rdtsc());
	}

	guest_wait_until(next + period * 3 / 8);
	cli();
	__GUEST_ASSERT(nr_ticks - n0 == 2,
		       "Expected 2 interrupts by the next point of the grid, %ld us after the resume, got %lu",
		       to_us(next - resume), nr_ticks - n0);
	__GUEST_ASSERT(last_tick + tol >= next,
		       "Expected the interrupt at the next point of the grid, got it %ld us early",
		       to_us(next - last_tick));
	guest_assert_on_grid("after the pause");
	GUEST_DONE();
}

/*
 * A one-shot timer that expired during a pause stays stopped when the guest
 * switches it to periodic mode, also across a TDCR write: only a TMICT write
 * restarts it.
 */
static void guest_oneshot_code(void)
{
	u32 tmcct;

	grid = rdtsc();
	guest_start_timer(APIC_LVT_TIMER_ONESHOT);
	GUEST_SYNC(SYNC_PAUSE);

	guest_wait_until(rdtsc() + period);
	__GUEST_ASSERT(nr_ticks == 1, "Expected 1 interrupt from the one-shot timer, got %lu",
		       nr_ticks);
	x2apic_write_reg(APIC_LVTT, LVTT_PERIODIC);
	for (int i = 0; i < 2; i++) {
		if (i)
			x2apic_write_reg(APIC_TDCR, 0);	/* divide by 2 */
		guest_wait_until(rdtsc() + 2 * period);
		tmcct = x2apic_read_reg(APIC_TMCCT);
		__GUEST_ASSERT(nr_ticks == 1 && !tmcct,
			       "Expected no interrupt and TMCCT = 0 %s, got %lu interrupt(s), TMCCT = %u",
			       i ? "after a TDCR write" : "after the switch to periodic mode",
			       nr_ticks - 1, tmcct);
	}
	GUEST_DONE();
}

/* KVM_GET_LAPIC's TMCCT counts down to a grid point, if KVM_GET_LAPIC ran midway. */
static bool check_lapic_tmcct(struct kvm_vcpu *vcpu)
{
	u64 before = vcpu_get_msr(vcpu, MSR_IA32_TSC), after;
	struct kvm_lapic_state state;
	u32 tmcct;
	s64 off;

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &state);
	after = vcpu_get_msr(vcpu, MSR_IA32_TSC);
	if (llabs(grid_offset(before)) < period / 4)
		return false;

	tmcct = *(u32 *)&state.regs[APIC_TMCCT];
	off = grid_offset(before + ns_to_tsc(tmcct));
	TEST_ASSERT(tmcct <= PERIOD_NS && off >= -(s64)(after - before) - tol && off <= tol,
		    "Expected KVM_GET_LAPIC's TMCCT to count down to the grid, got %u (%ld us off)",
		    tmcct, to_us(off));
	return true;
}

/*
 * Resume PAUSE_PERIODS and a half after the grid point the guest read, or at a
 * later midpoint if the host was late there, e.g. because it was preempted.
 */
static void pause_vcpu(struct kvm_vcpu *vcpu, bool get_lapic)
{
	u64 mid = grid + PAUSE_PERIODS * period + period / 2;
	bool decided;

	usleep((PAUSE_PERIODS - 1) * PERIOD_NS / NSEC_PER_USEC);
	do {
		while ((s64)(vcpu_get_msr(vcpu, MSR_IA32_TSC) - mid) > tol)
			mid += period;
		while ((s64)(vcpu_get_msr(vcpu, MSR_IA32_TSC) - mid) < 0)
			;
		decided = !get_lapic || check_lapic_tmcct(vcpu);
		resume = vcpu_get_msr(vcpu, MSR_IA32_TSC);
	} while (!decided || llabs(grid_offset(resume)) < period / 4);
	sync_global_to_guest(vcpu->vm, resume);
}

static void run_test(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu,
		     void *guest_code, bool masked, bool get_lapic)
{
	char msg[UCALL_BUFFER_LEN] = "";
	u64 offset, offset0;
	struct ucall uc;

	vcpu_arch_set_entry_point(vcpu, guest_code);
	vm_install_exception_handler(vcpu->vm, TIMER_VECTOR, guest_timer_handler);
	period = ns_to_tsc(PERIOD_NS);
	tol = period / 8;
	lvtt_masked = masked;
	sync_global_to_guest(vcpu->vm, period);
	sync_global_to_guest(vcpu->vm, tol);
	sync_global_to_guest(vcpu->vm, lvtt_masked);
	vcpu_device_attr_get(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &offset0);

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		vcpu_device_attr_get(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &offset);
		if (offset != offset0)
			SKIP(return, "KVM moved the guest's TSC: the host's TSC is unstable");

		switch (get_ucall(vcpu, &uc)) {
		case UCALL_PRINTF:
			snprintf(msg, sizeof(msg), "%s", uc.buffer);
			break;
		case UCALL_SYNC:
			if (uc.args[1] == SYNC_SKIP)
				SKIP(return, "%s", msg);
			sync_global_from_guest(vcpu->vm, grid);
			pause_vcpu(vcpu, get_lapic);
			break;
		case UCALL_DONE:
			return;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("Unexpected ucall %lu", uc.cmd);
		}
	}
}

KVM_ONE_VCPU_TEST_SUITE(apic_timer);

TEST_F(apic_timer, pause)
{
	run_test(_metadata, self->vcpu, guest_pause_code, false, false);
}

TEST_F(apic_timer, get_lapic_while_paused)
{
	run_test(_metadata, self->vcpu, guest_pause_code, false, true);
}

TEST_F(apic_timer, masked_pause)
{
	run_test(_metadata, self->vcpu, guest_pause_code, true, false);
}

TEST_F(apic_timer, expired_oneshot_to_periodic)
{
	run_test(_metadata, self->vcpu, guest_oneshot_code, false, false);
}

int main(int argc, char *argv[])
{
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_X2APIC));

	return test_harness_run(argc, argv);
}
