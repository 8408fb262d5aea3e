#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-bench.sh
# Build the bench's programs, testbed/bench/timer_bench.c and timer_pause.c, to
# $BUILD/bench/bin/ (testbed/build/build-programs.sh: statically, against the KVM selftest
# library of the primary base); the images of the bench copy them from there.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

exec "$TESTBED/build/build-programs.sh" bench/timer_bench bench/timer_pause
