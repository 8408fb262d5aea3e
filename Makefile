# SPDX-License-Identifier: GPL-2.0
#
# Test bed of the periodic APIC timer series: applies the series to Debian's linux-source-7.3
# (primary base, own debug kernel) and linux-source-6.12 (stable backport, Debian's kernel),
# builds the KVM modules per variant, the KVM selftests and kvm-unit-tests, boots emulated VMX
# (Bochs) and SVM (QEMU TCG) machines and checks every outcome against testbed/expectations.
#
#   make run      main job: apply, build, boot every machine with every variant, results tables
#   make check    static checks + the emulated runs, TAP, "N passed, N failed"; what CI runs
#   make help     all targets
#
# Everything generated goes to $(BUILD) (default ./build).

BUILD ?= $(CURDIR)/build
JOBS ?= 2
RERUN ?= 0
export BUILD JOBS RERUN

TB := testbed
# the matrix of testbed/versions.conf: bases, variants (BASE/NAME), boots (MACHINE:BASE/NAME)
BASES := $(shell $(TB)/matrix.sh bases)
VARIANTS := $(shell $(TB)/matrix.sh variants)
BOOTS := $(shell $(TB)/matrix.sh boots)

# run-one / shell
MACHINE ?= bochs-vmx
VARIANT ?= 7.3/series
TEST ?= apic_timer_pause_test
ARGS ?=

# Packages `make deps` installs (Debian 12); the kernel packages are fetched, not installed.
DEPS := bochs bochs-term bochsbios vgabios qemu-system-x86 quilt busybox-static sparse \
	shellcheck xorriso isolinux syslinux-common cpio bc flex bison libelf-dev libssl-dev \
	gcc make git b4 git-email zstd xz-utils kmod python3-sphinx python3-sphinx-rtd-theme rsync \
	file bsdextrautils libc6-dev perl patch gnuplot-nox \
	libmailtools-perl libemail-valid-perl libauthen-sasl-perl libio-socket-ssl-perl

# Static checks run by `make check`; each is a make target that fails on a problem.
# Fragments (testbed/*.mk) may append their own.
STATIC_CHECKS := check-applies check-checkpatch check-builds check-shellcheck check-overlay \
	check-console-patterns check-numbers

-include $(TB)/send/send.mk

.PHONY: help deps fetch apply kernel build modules selftests kut race images run check static-checks \
	report boots torture timer-pause run-one shell kut-upstream demo-broken bench bench-smoke bench-designs bench-report clean clean-trees clean-runs \
	$(STATIC_CHECKS)

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))
	@echo
	@echo "  deps          apt-get install what the test bed needs (as root)"
	@echo "  fetch         download + unpack the pinned Debian packages of every base (testbed/versions.conf)"
	@echo "  apply         make the variant trees ($(VARIANTS)) and apply their patches with quilt"
	@echo "  kernel        the debug kernel of each base that builds its own (testbed/bases/*/debug.config)"
	@echo "  build         kernel, KVM modules per variant, selftests, kvm-unit-tests, race, boot images"
	@echo "  race          timer_race and timer_torture (testbed/race), built against the selftest library"
	@echo "  torture       long timer_torture runs: STEPS=100000 SEED= TORTURE_BOOTS='MACHINE:BASE/VARIANT ...'"
	@echo "  quick         after editing a patch: the series' own tests on bochs-vmx and qemu-svm (minutes)"
	@echo "  run-one       MACHINE=$(MACHINE) VARIANT=$(VARIANT) TEST=$(TEST) ARGS='...'"
	@echo "  shell         MACHINE=$(MACHINE) VARIANT=$(VARIANT): interactive shell in the machine"
	@echo "  static-checks $(STATIC_CHECKS)"
	@echo "  report        TAP + table from the last runs and checks (make check RERUN=1: boot everything again)"
	@echo "  kut-upstream  the UNPATCHED upstream apic tests on qemu-svm, 7.3/base and 7.3/series (~11 min a boot)"
	@echo "  demo-broken   prove the tests fail with each broken timer patch of testbed/demo stacked on the series"
	@echo "  bench         the benchmark (testbed/bench): CSVs, plots and tables in $(BUILD)/bench"
	@echo "  bench-smoke   only the smoke entry that make check runs (bench-smoke), on the bench's boots"
	@echo "  bench-designs the parking designs (bench-only variant 7.3/designs, testbed/bench/designs.patch)"
	@echo "  bench-report  CSVs, plots and tables again from the last bench boots"
	@echo "  bench-publish the CSVs the documents quote to testbed/results/bench, the plot from them"
	@echo "  clean         remove $(BUILD); clean-trees / clean-runs remove only those"
	@echo "  modules selftests kut timer-pause images boots   the steps of build and run, one by one"
	@sed -n 's/^#: /  /p' $(TB)/send/send.mk

deps:
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEPS)

# The Debian packages of every base; says where kvm-unit-tests come from (a clone is made here)
fetch:
	$(TB)/build/fetch.sh

apply: fetch
	@for v in $(VARIANTS); do $(TB)/build/apply.sh $$v || exit 1; done

kernel: apply
	@for b in $(BASES); do $(TB)/build/build-kernel.sh $$b || exit 1; done

modules: kernel
	@for v in $(VARIANTS); do $(TB)/build/build-kvm.sh $$v || exit 1; done

selftests: apply
	@for b in $(BASES); do $(TB)/build/build-selftests.sh $$b || exit 1; done

# kvm-unit-tests (KUT_DIR=, else the tarball of ../shared/kvm-unit-tests, else a clone of KUT_GIT
# at KUT_COMMIT: testbed/versions.conf) and the QEMU that runs them in the guests;
# kvm-unit-tests/series applied, and upstream's unpatched tests for make kut-upstream
kut:
	$(TB)/build/build-kut.sh $(BUILD)/kut
	KUT_SERIES= KUT_TESTS="apic-split x2apic xapic" $(TB)/build/build-kut.sh $(BUILD)/kut-upstream
	$(TB)/build/qemu-bundle.sh $(BUILD)/qemu-bundle

# The race programs (testbed/race/timer_race.c, timer_torture.c) against the selftest library of the primary
# base; the images whose plan runs it (race-* of testbed/plan.conf) get a copy.
race: selftests
	$(TB)/build/build-programs.sh race/timer_race race/timer_torture

# The test bed's pause program (testbed/bench/timer_pause.c: trace-pause-*, bench-smoke)
timer-pause: selftests
	$(TB)/build/build-programs.sh bench/timer_pause

images: modules selftests kut race timer-pause
	@for b in $(BOOTS); do m=$${b%%:*} v=$${b#*:}; d=$(BUILD)/images/$$m/$$v; mkdir -p $$d && \
		$(TB)/boot/guest-plan.sh $$m $$v > $$d.plan && \
		$(TB)/boot/mkimage.sh $$m $$v $$d $$d.plan || exit 1; \
	done

build: modules selftests kut race images

# One boot per (machine, variant), all tests of the plan; then the tables.
run: build
	@$(MAKE) --no-print-directory boots
	@$(TB)/check/report.sh

# BOOTS_SEL='MACHINE:BASE/VARIANT ...': only these boots (and only these in the report)
boots:
	@$(TB)/boot/run-boots.sh $(BOOTS_SEL)

static-checks: apply
	@mkdir -p $(BUILD)/checks
	@for c in $(STATIC_CHECKS); do \
		$(TB)/check/run-check.sh $$c $(MAKE) -s --no-print-directory $$c; done

# The static checks run alongside the boots, on the core the QEMU lane leaves (run-boots.sh -a).
check: build
	@$(TB)/boot/run-boots.sh -a '$(MAKE) --no-print-directory static-checks' $(BOOTS_SEL)
	@$(TB)/check/report.sh $(STATIC_CHECKS)

report:
	@$(TB)/check/report.sh $(STATIC_CHECKS)

check-applies: apply
	$(TB)/check/applies.sh

# Every number the documents quote from the bench agrees with testbed/results/bench (tables.sh
# renders them from the tracked CSVs; nothing is booted)
check-numbers:
	$(TB)/check/numbers.sh

check-checkpatch: apply
	$(TB)/check/checkpatch.sh

# KVM x86's build checks on the primary base: bisect, configs, i386, W=1/sparse, selftest build
check-builds: kernel
	$(TB)/check/builds.sh

check-console-patterns:
	$(TB)/check/console-patterns.sh

check-shellcheck:
	$(TB)/check/shellcheck.sh

check-overlay: apply
	$(TB)/check/overlay.sh

# The quick loop after editing a patch: the series variant brought up to date and only its own
# tests (new selftest, race tests, traced pauses) booted on bochs-vmx and qemu-svm, judged
# against testbed/expectations (testbed/boot/quick.sh); 'make check' stays the full gate.
quick:
	$(TB)/boot/quick.sh

# Long torture runs (testbed/race/run-torture.sh): STEPS (default 100000) and SEED on every
# machine with the primary base's series, or TORTURE_BOOTS='MACHINE:BASE/VARIANT ...';
# TORTURE_PUBLISH=1 appends the rows to testbed/results/torture.csv
TORTURE_BOOTS ?=
torture: modules selftests race
	$(TB)/race/run-torture.sh $(TORTURE_BOOTS)

# Bad MACHINE, VARIANT (run-one, shell), BOOTS_SEL or TORTURE_BOOTS stop make here, while it
# reads this file, before any prerequisite: testbed/matrix.sh check names the valid choices
tb_check = $(if $(shell $(TB)/matrix.sh check $(1) > /dev/null && echo ok),,$(error $(2) refused (above): nothing was done))
ifneq ($(filter run-one shell,$(MAKECMDGOALS)),)
$(call tb_check,machine '$(MACHINE)' variant '$(VARIANT)',MACHINE=$(MACHINE) VARIANT=$(VARIANT))
endif
$(if $(strip $(BOOTS_SEL)),$(call tb_check,boots '$(BOOTS_SEL)',BOOTS_SEL='$(BOOTS_SEL)'))
$(if $(strip $(TORTURE_BOOTS)),$(call tb_check,pairs '$(TORTURE_BOOTS)',TORTURE_BOOTS='$(TORTURE_BOOTS)'))

run-one: modules selftests race
	$(TB)/boot/run-one.sh $(MACHINE) $(VARIANT) $(TEST) $(ARGS)

shell: modules selftests
	$(TB)/boot/run-one.sh -i $(MACHINE) $(VARIANT)

# What kvm-unit-tests/series fixes: upstream's unpatched apic tests (apic-split, x2apic, xapic)
# in one boot of qemu-svm per 7.3 variant (base, series); not part of make check
kut-upstream: modules selftests kut
	$(TB)/boot/kut-upstream.sh

# Proof that the tests catch broken timer code: every deliberately broken patch of
# testbed/demo/cases, stacked on the series, must make its tests fail (testbed/demo/demo.sh);
# those tests are part of `make check`. Re-applies the plain series at the end.
demo-broken: kernel selftests
	$(TB)/demo/demo.sh

# The benchmark (testbed/bench, testbed/bench/bench.conf): timer_bench built against the
# selftest library, one boot per machine and variant of the primary base (at nice 10, one at
# a time), then CSVs, PNG plots (gnuplot) and the summary tables. BENCH_BOOTS='MACHINE:BASE/VARIANT
# ...' selects boots, BENCH_FILTER='REGEX' plan entries (testbed/bench/run-bench.sh).
BENCH_BOOTS ?=
bench: modules selftests
	$(TB)/bench/build-bench.sh
	$(TB)/bench/run-bench.sh $(BENCH_BOOTS)
	@$(MAKE) --no-print-directory bench-report BENCH_PUBLISH=1

bench-smoke: modules selftests
	$(TB)/bench/build-bench.sh
	BENCH_PART=smoke BENCH_FILTER=bench-smoke $(TB)/bench/run-bench.sh $(BENCH_BOOTS)
	@$(MAKE) --no-print-directory bench-report

# The parking designs of the periodic APIC timer side by side (item 5 of the bench): the
# bench-only variant PRIMARY/designs (series + testbed/bench/designs.patch), one boot per
# machine of DESIGNS_MACHINES (testbed/bench/run-designs.sh); not part of make bench or check
bench-designs: modules selftests
	$(TB)/bench/run-designs.sh
	@$(MAKE) --no-print-directory bench-report

BENCH_PUBLISH ?= 0
bench-report:
	$(TB)/bench/collect.sh
	$(TB)/bench/plot.sh
	$(TB)/bench/summary.sh
	@[ "$(BENCH_PUBLISH)" != 1 ] || $(MAKE) --no-print-directory bench-publish

# The CSVs of the last bench boots that the documents quote, copied to testbed/results/bench/
# (tracked), and testbed/bench/resume-cost.png drawn from them; then
# testbed/check/numbers.sh --update rewrites the documents' tables from them
.PHONY: bench-publish
bench-publish:
	$(TB)/bench/publish.sh

clean:
	rm -rf $(BUILD)

clean-trees:
	rm -rf $(BUILD)/trees $(BUILD)/kbuild $(BUILD)/modules $(BUILD)/kernel

clean-runs:
	rm -rf $(BUILD)/runs $(BUILD)/images $(BUILD)/checks
