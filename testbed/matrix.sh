#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: matrix.sh bases|variants|boots
# Print the test matrix of testbed/versions.conf for the Makefile: the bases, the variants
# (BASE/NAME) or the boots (MACHINE:BASE/NAME), one per line.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/lib.sh"

case ${1:-} in
bases)    echo "$BASES" | tr ' ' '\n';;
variants) all_variants;;
boots)    all_boots;;
*)        die "usage: matrix.sh bases|variants|boots";;
esac
