#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check/shellcheck.sh
# Run shellcheck on every script of the test bed: testbed/**/*.sh (bash), the guest scripts
# (busybox sh: testbed/guest, testbed/bench/guest) and .ci/run.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/../lib.sh"

cd "$REPO"
mapfile -t bash_scripts < <(find testbed -name '*.sh' | sort; [ ! -f .ci/run ] || echo .ci/run)
mapfile -t sh_scripts < <(find testbed/guest testbed/bench/guest -type f | sort)
bad=0
shellcheck -x "${bash_scripts[@]}" || bad=1
shellcheck -s sh "${sh_scripts[@]}" || bad=1
[ $bad = 0 ] && echo "shellcheck: $((${#bash_scripts[@]} + ${#sh_scripts[@]})) scripts clean"
exit $bad
