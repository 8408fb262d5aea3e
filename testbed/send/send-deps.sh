#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: send-deps.sh
# Install the Debian packages the send tooling and the docs check need, if missing:
# git send-email with the Perl modules it loads (Mail::Address, Email::Valid, SMTP auth/TLS),
# b4, and Sphinx.  Does nothing when all are there; needs root (CI runs as root) otherwise.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

PKGS="git-email libmailtools-perl libemail-valid-perl libauthen-sasl-perl libio-socket-ssl-perl
b4 python3-sphinx"

missing=()
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	msg "send tooling packages present"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}"
msg "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! run_timeout 900 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
	msg "apt-get install failed; running apt-get update and retrying"
	run_timeout 600 apt-get update -q >/dev/null
	run_timeout 900 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi
msg "installed ${missing[*]}"
