# SPDX-License-Identifier: GPL-2.0
#
# Send tooling (included by the top-level Makefile).  See README.md, "Sending the series".
#
#   make format-patch V=N     mails of version N in $(BUILD)/send/vN/ (cover letter, To/Cc)
#   make send-dry-run V=N     what git send-email would send; never sends
#   make send V=N SEND=yes    send with git send-email (refuses without SEND=yes)
#   make format-patch-kut     the kvm-unit-tests mail (kvm-unit-tests/series) in $(BUILD)/send/kut/
#   make send-dry-run-kut     what git send-email would send of it; never sends
#   make b4-dry-run V=N       the same with b4 prep + b4 send --dry-run; never sends
#   make range-diff V=N       range-diff between tag series-v(N-1) and the current series
#   make tag-series V=N       tag HEAD as series-vN once version N is sent
#   make cover-letter         regenerate the patch list of patches/0000-cover-letter.patch
#   make maintainers-snippet  regenerate MAINTAINERS-snippet
#   make htmldocs-virt        the kernel's own htmldocs of Documentation/virt, base vs series
#   make send-deps            apt-get install git-email (+ Perl modules), b4, sphinx
#
# Static checks: check-cover, check-maintainers, check-docs, check-send.
# Variables: V (version, default 1), SEND, SEND_FROM, SEND_PREFIX, SEND_EXCLUDE, SEND_TO_EXTRA,
# SEND_CC_EXTRA, SEND_SHOW_MAILS=1 (see the scripts' headers).

V ?= 1
SEND ?=
TB ?= testbed

STATIC_CHECKS += check-cover check-maintainers check-docs check-send

.PHONY: send-help send-deps send-tree format-patch send-dry-run send b4-dry-run range-diff \
	format-patch-kut send-dry-run-kut \
	tag-series cover-letter maintainers-snippet htmldocs-virt \
	check-cover check-maintainers check-docs check-send

send-help:
	@sed -n 's/^#   //p' $(TB)/send/send.mk

send-deps:
	$(TB)/send/send-deps.sh

send-tree:
	$(TB)/send/send-tree.sh

format-patch:
	$(TB)/send/send-format.sh $(V)

send-dry-run: format-patch
	$(TB)/send/send-email.sh $(V)

send:
	@if [ "$(SEND)" != yes ]; then \
		echo "refusing to send: run 'make send-dry-run V=$(V)', check it, then 'make send V=$(V) SEND=yes'" >&2; \
		exit 1; fi
	$(TB)/send/send-format.sh $(V)
	$(TB)/send/send-email.sh $(V) --send

format-patch-kut:
	$(TB)/send/send-kut.sh

send-dry-run-kut: format-patch-kut
	$(TB)/send/send-email.sh kut

b4-dry-run:
	$(TB)/send/send-b4.sh $(V)

range-diff:
	$(TB)/send/send-range-diff.sh $(V)

tag-series:
	$(TB)/send/tag-series.sh $(V)

cover-letter:
	$(TB)/send/cover-letter.sh

maintainers-snippet:
	$(TB)/send/maintainers-snippet.sh

htmldocs-virt:
	$(TB)/send/htmldocs.sh

check-cover:
	$(TB)/send/cover-letter.sh --check

check-maintainers:
	$(TB)/send/maintainers-snippet.sh --check

# The kernel's own htmldocs build (needs the trees of 'make apply', as every static check)
check-docs:
	$(TB)/send/htmldocs.sh

check-send:
	$(TB)/send/check-send.sh
