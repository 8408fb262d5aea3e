# SPDX-License-Identifier: GPL-2.0
#
# Test bed of the periodic APIC timer series: applies the series to Debian's linux-source-6.12,
# builds the KVM modules per variant and the KVM selftests, boots emulated VMX (Bochs) and
# SVM (QEMU TCG) machines and checks every outcome against testbed/expectations.
#
#   make run      main job: apply, build, boot both machines with every variant, results table
#   make check    static checks + the emulated runs, TAP, "N passed, N failed"; what CI runs
#   make help     all targets
#
# Everything generated goes to $(BUILD) (default ./build).

BUILD ?= $(CURDIR)/build
JOBS ?= 2
RERUN ?= 0
export BUILD JOBS RERUN

VARIANTS := prefix base series
MACHINES := bochs-vmx qemu-svm
TB := testbed

# run-one / shell
MACHINE ?= bochs-vmx
VARIANT ?= series
TEST ?= apic_timer_pause_test
ARGS ?=

# Packages `make deps` installs (Debian 12); the kernel packages are fetched, not installed.
DEPS := bochs bochs-term bochsbios vgabios qemu-system-x86 quilt busybox-static sparse \
	shellcheck xorriso isolinux syslinux-common cpio bc flex bison libelf-dev libssl-dev \
	gcc make git b4 git-email zstd xz-utils kmod python3-sphinx python3-sphinx-rtd-theme rsync \
	file bsdextrautils libc6-dev perl patch \
	libmailtools-perl libemail-valid-perl libauthen-sasl-perl libio-socket-ssl-perl

# Static checks run by `make check`; each is a make target that fails on a problem.
# Fragments (testbed/*.mk) may append their own.
STATIC_CHECKS := check-applies check-checkpatch check-warnings check-i386 check-shellcheck check-overlay

-include $(TB)/send.mk

.PHONY: help deps fetch apply build modules selftests images run check static-checks report \
	run-one shell demo-broken clean clean-trees clean-runs $(STATIC_CHECKS)

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))
	@echo
	@echo "  deps          apt-get install what the test bed needs (as root)"
	@echo "  fetch         download + unpack the pinned Debian kernel packages (testbed/versions.conf)"
	@echo "  apply         make the variant trees ($(VARIANTS)) and apply their patches with quilt"
	@echo "  build         KVM modules per variant, selftests, boot images"
	@echo "  run-one       MACHINE=$(MACHINE) VARIANT=$(VARIANT) TEST=$(TEST) ARGS='...'"
	@echo "  shell         MACHINE=$(MACHINE) VARIANT=$(VARIANT): interactive shell in the machine"
	@echo "  static-checks $(STATIC_CHECKS)"
	@echo "  report        TAP + table from the last runs and checks (make check RERUN=1: boot everything again)"
	@echo "  demo-broken   prove make check fails when a broken timer patch is stacked on the series"
	@echo "  clean         remove $(BUILD); clean-trees / clean-runs remove only those"
	@echo "  send-help     the send tooling (testbed/send.mk)"

deps:
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEPS)

fetch:
	$(TB)/fetch.sh

apply: fetch
	@for v in $(VARIANTS); do $(TB)/apply.sh $$v || exit 1; done

modules: apply
	@for v in $(VARIANTS); do $(TB)/build-kvm.sh $$v || exit 1; done

selftests: apply
	$(TB)/build-selftests.sh

images: modules selftests
	@mkdir -p $(BUILD)/images
	@for m in $(MACHINES); do for v in $(VARIANTS); do \
		$(TB)/guest-plan.sh $$m $$v > $(BUILD)/images/$$m-$$v.plan && \
		$(TB)/mkimage.sh $$m $$v $(BUILD)/images/$$m/$$v $(BUILD)/images/$$m-$$v.plan || exit 1; \
	done; done

build: modules selftests images

# One boot per (machine, variant), all tests of the plan; then the table.
run: build
	@$(MAKE) --no-print-directory boots
	@$(TB)/report.sh

.PHONY: boots
boots:
	@for m in $(MACHINES); do for v in $(VARIANTS); do \
		$(TB)/run-machine.sh $$m $(BUILD)/images/$$m/$$v $(BUILD)/runs/$$m/$$v || exit 1; done; done

static-checks: apply
	@mkdir -p $(BUILD)/checks
	@for c in $(STATIC_CHECKS); do \
		$(TB)/run-check.sh $$c $(MAKE) -s --no-print-directory $$c; done

check: build
	@$(MAKE) --no-print-directory static-checks
	@$(MAKE) --no-print-directory boots
	@$(TB)/report.sh $(STATIC_CHECKS)

report:
	@$(TB)/report.sh $(STATIC_CHECKS)

check-applies: apply
	$(TB)/check/applies.sh

check-checkpatch: apply
	$(TB)/check/checkpatch.sh

check-warnings: apply
	$(TB)/check/warnings.sh

check-i386: apply
	$(TB)/check-i386.sh

check-shellcheck:
	$(TB)/check/shellcheck.sh

check-overlay: apply
	$(TB)/check/overlay.sh

run-one: modules selftests
	$(TB)/run-one.sh $(MACHINE) $(VARIANT) $(TEST) $(ARGS)

shell: modules selftests
	$(TB)/run-one.sh -i $(MACHINE) $(VARIANT)

# Proof that the test command catches a broken timer: the series plus a patch that re-arms the
# periodic hrtimer without advancing it must make `make check` fail (the emulated hosts hang and
# are killed). Succeeds only if that check fails; restores nothing, the next `make check`
# re-applies the plain series incrementally.
demo-broken:
	@if $(MAKE) --no-print-directory check EXTRA_PATCHES=testbed/demo/0001-broken-re-arm-the-periodic-timer-without-advancing.patch; \
	then echo "demo-broken: FAILED, make check passed with a broken timer" >&2; exit 1; \
	else echo "demo-broken: OK, make check failed with the broken timer, as it must"; fi

clean:
	rm -rf $(BUILD)

clean-trees:
	rm -rf $(BUILD)/trees $(BUILD)/kbuild $(BUILD)/modules

clean-runs:
	rm -rf $(BUILD)/runs $(BUILD)/images $(BUILD)/checks
