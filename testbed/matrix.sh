#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: matrix.sh bases|variants|boots
#        matrix.sh check KIND VALUE [KIND VALUE...]
# Print the test matrix of testbed/versions.conf for the Makefile: the bases, the variants
# (BASE/NAME) or the boots (MACHINE:BASE/NAME), one per line. check: fail, naming the valid
# choices, unless every VALUE is one (lib.sh's check_args; KIND machine, variant, boots or
# pairs): the Makefile checks MACHINE, VARIANT, BOOTS_SEL and TORTURE_BOOTS with it before
# anything else.
set -euo pipefail
# shellcheck source=testbed/lib.sh
. "$(dirname "$0")/lib.sh"

case ${1:-} in
bases)    echo "$BASES" | tr ' ' '\n';;
variants) all_variants;;
boots)    all_boots;;
check)    shift; check_args "$@";;
*)        die "usage: matrix.sh bases|variants|boots|check KIND VALUE...";;
esac
