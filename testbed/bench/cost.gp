# SPDX-License-Identifier: GPL-2.0
# gnuplot script of testbed/bench/plot.sh: duration of the timer functions per call on the
# normal path (mean of each run's mean, error bars: the lowest and highest run mean).
# Variables: out, data (rows "index label mean min max"), ttl, w, h.
set terminal pngcairo size w, h font ",9" noenhanced
set output out
set title ttl
set ylabel "ns per call (function-graph tracer, Bochs instruction-count time)"
set xtics rotate by -30 left
set bmargin 7
set yrange [0:*]
set grid y
set boxwidth 0.6
set style fill solid 0.4
plot data using 1:3:xtic(2) with boxes notitle, data using 1:3:4:5 with yerrorbars pointtype 0 lc rgb "black" notitle
