// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-bed benchmark program (testbed/bench, not part of the series): host-side cost of
 * KVM's periodic local APIC timer, built against the KVM selftest library of the primary
 * base (testbed/bench/build-bench.sh).  The host-side counts come from tracefs, around this
 * program (testbed/guest/timer-trace, testbed/bench/guest/bench-fgraph); it prints what only
 * userspace knows, as "@@METRIC name=value" lines.
 *
 * Modes (-m):
 *  paused  -c N vCPUs, each with a periodic timer of -p us; each vCPU runs until it took
 *          PRE_TICKS ticks and exits to userspace; then all of them stay out of KVM_RUN for
 *          -d ms; then each runs again until its guest took one interrupt.  Prints the
 *          "# pause 1: vcpu 0 stopped <ns> resumed <ns> period <ns>" line that timer-trace
 *          counts the host timer callbacks of the pause by, and the host time to resume all
 *          vCPUs (resume_all_ns: from the first KVM_RUN after the pause to the last vCPU's
 *          exit after its first interrupt) and the longest single resume (resume_max_ns).
 *  run     one busy vCPU with a periodic timer of -p us, until it took -n ticks.
 *  exits   one vCPU with a periodic timer of -p us whose guest exits to userspace (an OUT to
 *          a port that this program handles) after every -l PAUSE-instruction loops, until it
 *          took -n ticks: a VMM that handles PIO or MMIO exits of a busy vCPU.
 */
#include <time.h>
#include <linux/time64.h>

#include "apic.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define TIMER_VECTOR		0xec
#define APIC_TDCR_DIV_1		0xb
#define APIC_BUS_CYCLE_NS	1
#define BENCH_PORT		0x2000
#define PRE_TICKS		5
#define MAX_VCPUS		64

enum { MODE_PAUSED, MODE_RUN, MODE_EXITS };

/* Read by the guest. */
static u64 period_ns = 1000 * NSEC_PER_USEC;
static u64 nr_ticks_wanted = 1000;
static u64 spin_loops = 100;
static int mode = MODE_PAUSED;

/* Written by the guest: timer interrupts per vCPU (index = x2APIC ID = vCPU ID). */
static u64 ticks[MAX_VCPUS];

static void guest_timer_handler(struct ex_regs *regs)
{
	u32 id = x2apic_read_reg(APIC_ID);

	WRITE_ONCE(ticks[id], ticks[id] + 1);
	x2apic_write_reg(APIC_EOI, 0);
}

static void guest_wait_ticks(u32 id, u64 n)
{
	while (READ_ONCE(ticks[id]) < n)
		cpu_relax();
}

static void guest_code(void)
{
	u32 id;
	u64 i, n;

	x2apic_enable();
	id = x2apic_read_reg(APIC_ID);
	x2apic_write_reg(APIC_TDCR, APIC_TDCR_DIV_1);
	x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | TIMER_VECTOR);
	x2apic_write_reg(APIC_TMICT, period_ns / APIC_BUS_CYCLE_NS);
	sti();

	switch (mode) {
	case MODE_PAUSED:
		guest_wait_ticks(id, PRE_TICKS);
		GUEST_SYNC(1);
		/* The interrupt that stands for the pause, pending or due right away. */
		n = READ_ONCE(ticks[id]);
		guest_wait_ticks(id, n + 1);
		GUEST_SYNC(2);
		break;
	case MODE_RUN:
		guest_wait_ticks(id, nr_ticks_wanted);
		break;
	case MODE_EXITS:
		while (READ_ONCE(ticks[id]) < nr_ticks_wanted) {
			for (i = 0; i < spin_loops; i++)
				cpu_relax();
			asm volatile("outb %%al, %%dx" : : "a"(0), "d"(BENCH_PORT) : "memory");
		}
		break;
	}
	x2apic_write_reg(APIC_LVTT, APIC_LVT_MASKED | TIMER_VECTOR);
	GUEST_DONE();
}

/*
 * now_ns() and sleep_until_ns() are timer_pause.c's: this program is part of the
 * test bed, not of the series, so it cannot share them without a change to the selftest library.
 */
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

/* Run @vcpu until a ucall; count and skip the bench port's exits.  Returns the ucall. */
static u64 run_until_ucall(struct kvm_vcpu *vcpu, u64 *nr_exits, u64 *arg)
{
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		if (vcpu->run->io.port == BENCH_PORT) {
			(*nr_exits)++;
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			*arg = uc.args[1];
			return UCALL_SYNC;
		case UCALL_DONE:
			return UCALL_DONE;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("Unknown ucall %lu", uc.cmd);
		}
	}
}

static void expect_ucall(struct kvm_vcpu *vcpu, u64 want, u64 want_arg, u64 *nr_exits)
{
	u64 arg = 0, got = run_until_ucall(vcpu, nr_exits, &arg);

	TEST_ASSERT(got == want && (want != UCALL_SYNC || arg == want_arg),
		    "vCPU %u: expected ucall %lu(%lu), got %lu(%lu)", vcpu->id, want, want_arg,
		    got, arg);
}

static void bench_paused(struct kvm_vm *vm, struct kvm_vcpu **vcpus, int nr_vcpus, u64 pause_ns)
{
	u64 stopped, resumed, t0, t, max = 0, exits = 0;
	int i;

	for (i = 0; i < nr_vcpus; i++)
		expect_ucall(vcpus[i], UCALL_SYNC, 1, &exits);
	stopped = now_ns();
	sleep_until_ns(stopped + pause_ns);

	resumed = now_ns();
	for (i = 0; i < nr_vcpus; i++) {
		t0 = now_ns();
		expect_ucall(vcpus[i], UCALL_SYNC, 2, &exits);
		t = now_ns() - t0;
		max = max(max, t);
	}
	t = now_ns() - resumed;
	for (i = 0; i < nr_vcpus; i++)
		expect_ucall(vcpus[i], UCALL_DONE, 0, &exits);

	printf("# pause 1: vcpu 0 stopped %lu resumed %lu period %lu\n", stopped, resumed,
	       period_ns);
	printf("@@METRIC vcpus=%d\n", nr_vcpus);
	printf("@@METRIC resume_all_ns=%lu\n", t);
	printf("@@METRIC resume_max_ns=%lu\n", max);
}

static void bench_run(struct kvm_vcpu *vcpu)
{
	u64 t0, t, exits = 0, irq_exits0, exits0;

	irq_exits0 = vcpu_get_stat(vcpu, irq_exits);
	exits0 = vcpu_get_stat(vcpu, exits);
	t0 = now_ns();
	expect_ucall(vcpu, UCALL_DONE, 0, &exits);
	t = now_ns() - t0;
	sync_global_from_guest(vcpu->vm, ticks);

	printf("@@METRIC ticks=%lu\n", ticks[0]);
	printf("@@METRIC run_ns=%lu\n", t);
	printf("@@METRIC user_exits=%lu\n", exits);
	printf("@@METRIC kvm_exits=%lu\n", vcpu_get_stat(vcpu, exits) - exits0);
	printf("@@METRIC irq_exits=%lu\n", vcpu_get_stat(vcpu, irq_exits) - irq_exits0);
	printf("@@METRIC ns_per_tick=%lu\n", ticks[0] ? t / ticks[0] : 0);
	if (exits)
		printf("@@METRIC ns_per_user_exit=%lu\n", t / exits);
}

static void help(const char *name)
{
	printf("usage: %s [-m paused|run|exits] [-c vcpus] [-p period_us] [-d pause_ms]\n"
	       "       [-n ticks] [-l spin_loops]\n", name);
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	u64 pause_ns = 1000 * NSEC_PER_MSEC;
	int opt, nr_vcpus = 1, i;
	struct kvm_vm *vm;

	while ((opt = getopt(argc, argv, "hm:c:p:d:n:l:")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "paused"))
				mode = MODE_PAUSED;
			else if (!strcmp(optarg, "run"))
				mode = MODE_RUN;
			else if (!strcmp(optarg, "exits"))
				mode = MODE_EXITS;
			else
				TEST_FAIL("Unknown mode '%s'", optarg);
			break;
		case 'c':
			nr_vcpus = atoi_positive("vCPUs", optarg);
			break;
		case 'p':
			period_ns = atoi_positive("Period (usec)", optarg) * NSEC_PER_USEC;
			break;
		case 'd':
			pause_ns = atoi_positive("Pause (msec)", optarg) * NSEC_PER_MSEC;
			break;
		case 'n':
			nr_ticks_wanted = atoi_positive("Ticks", optarg);
			break;
		case 'l':
			spin_loops = atoi_non_negative("Spin loops", optarg);
			break;
		default:
			help(argv[0]);
			exit(KSFT_SKIP);
		}
	}
	TEST_ASSERT(nr_vcpus <= MAX_VCPUS, "At most %d vCPUs", MAX_VCPUS);
	TEST_ASSERT(mode == MODE_PAUSED || nr_vcpus == 1, "One vCPU in this mode");
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_X2APIC));

	/* As timer_pause: the bus cycle is set before any vCPU exists. */
	vm = vm_create(nr_vcpus);
	if (kvm_has_cap(KVM_CAP_X86_APIC_BUS_CYCLES_NS))
		vm_enable_cap(vm, KVM_CAP_X86_APIC_BUS_CYCLES_NS, APIC_BUS_CYCLE_NS);
	for (i = 0; i < nr_vcpus; i++)
		vcpus[i] = vm_vcpu_add(vm, i, guest_code);
	vm_install_exception_handler(vm, TIMER_VECTOR, guest_timer_handler);
	sync_global_to_guest(vm, period_ns);
	sync_global_to_guest(vm, nr_ticks_wanted);
	sync_global_to_guest(vm, spin_loops);
	sync_global_to_guest(vm, mode);

	printf("timer_bench: mode %d, %d vCPU(s), period %lu us, pause %lu ms, ticks %lu, spin %lu\n",
	       mode, nr_vcpus, period_ns / NSEC_PER_USEC, pause_ns / NSEC_PER_MSEC,
	       nr_ticks_wanted, spin_loops);
	fflush(stdout);
	if (mode == MODE_PAUSED)
		bench_paused(vm, vcpus, nr_vcpus, pause_ns);
	else
		bench_run(vcpus[0]);
	kvm_vm_free(vm);
	return 0;
}
