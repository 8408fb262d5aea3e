#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-bench.sh
# Build the bench's program, testbed/bench/timer_bench.c, to $BUILD/bench/bin/timer_bench
# (testbed/build/build-programs.sh: statically, against the KVM selftest library of the
# primary base); the images of the bench copy it from there.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

exec "$TESTBED/build/build-programs.sh" bench/timer_bench
