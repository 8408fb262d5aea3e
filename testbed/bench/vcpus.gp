# SPDX-License-Identifier: GPL-2.0
# gnuplot script of testbed/bench/plot.sh: host timer callbacks per second while N vCPUs
# with a 1 ms periodic timer are all out of KVM_RUN. Variables as resume-cost.gp.
set terminal pngcairo size w, h font ",9"
set output out
set title ttl
set logscale y
set logscale x 2
set xlabel "paused vCPUs (1 ms periodic timer each)"
set ylabel "host hrtimer callbacks per second while paused"
set key outside right top
set grid
plot for [f in files] f using 1:2 with linespoints pointsize 0.8 title system("basename ".f." .dat | tr _ ' '")
