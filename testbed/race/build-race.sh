#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: build-race.sh
# Build the race program, testbed/race/timer_race.c, to $BUILD/race/bin/timer_race
# (testbed/build/build-programs.sh: statically, against the KVM selftest library of the
# primary base); mkimage.sh copies it into the images whose plan runs it (race-* of
# testbed/plan.conf).
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

exec "$TESTBED/build/build-programs.sh" race/timer_race
