# SPDX-License-Identifier: GPL-2.0
# Send tooling, included by the Makefile (README.md, "Sending the series"); 'make help' shows "#:".
#: format-patch  mails of version V (default: the one after testbed/send/versions; V=kut: the
#:               kvm-unit-tests mail) in build/send/vV/, from your git identity; LINUX_GIT=~/linux
#:               or BASE_COMMIT= gives base-commit; FORMAT_OPTS='--rfc --cc=...' more options
#: send-dry-run  format-patch + git send-email --dry-run, its validate hook refusing TODOs etc.
#: send          SEND=yes: format-patch + git send-email, then tag HEAD series-vV (tag-series)
#: trailers      REPLY=FILE: the Reviewed-by:/Acked-by:/Tested-by: of replies into patches/
#: tag-series    tag HEAD series-vV (mails sent otherwise); format-patch-kut, send-dry-run-kut: V=kut
#: maintainers-snippet  regenerate MAINTAINERS-snippet; htmldocs-virt  = check-docs
V ?= $(shell awk '/^[0-9]/ { v = $$1 } END { print v + 1 }' $(TB)/send/versions)
STATIC_CHECKS += check-cover check-maintainers check-docs check-send
.PHONY: format-patch send-dry-run send tag-series trailers format-patch-kut send-dry-run-kut \
	maintainers-snippet htmldocs-virt check-cover check-maintainers check-docs check-send

format-patch-kut send-dry-run-kut: V = kut
format-patch format-patch-kut:
	$(TB)/send/send-format.sh $(V)
send-dry-run send-dry-run-kut: format-patch
	$(TB)/send/send-email.sh $(V)
send:
	@[ "$(SEND)" = yes ] || { echo "refusing: check 'make send-dry-run V=$(V)', then SEND=yes" >&2; exit 1; }
	$(TB)/send/send-format.sh $(V) && $(TB)/send/send-email.sh $(V) --send
tag-series:
	$(TB)/send/send-email.sh $(V) --tag
trailers:
	$(TB)/send/send-trailers.sh $(REPLY)
maintainers-snippet:
	$(TB)/send/maintainers-snippet.sh
htmldocs-virt check-docs:
	$(TB)/check/htmldocs.sh
check-cover:
	$(TB)/send/check-send.sh cover
check-maintainers:
	$(TB)/send/maintainers-snippet.sh --check
check-send:
	$(TB)/send/check-send.sh
