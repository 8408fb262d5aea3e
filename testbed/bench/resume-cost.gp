# SPDX-License-Identifier: GPL-2.0
# gnuplot script of testbed/bench/plot.sh: host work a pause costs against its length.
# Variables (gnuplot -e): out (PNG), files (data files "pause_s work", one line each, the
# title is the file name without .dat, underscores shown as spaces), ttl (plot title), w, h.
# Solid lines: bochs-vmx (hv timer); dashed: the hrtimer machines (bochs-vmx-pt0, qemu-svm).
set terminal pngcairo size w, h font ",9"
set output out
set title ttl
set logscale xy
set format x "10^{%L}"
set format y "10^{%L}"
set yrange [0.3:*]
set xlabel "pause length (s)"
set ylabel "host timer expiries per pause\n(callbacks while paused + extra on resume)"
set key top left box opaque
set grid
plot for [f in files] f using 1:2 with linespoints pointsize 0.8 \
	dt strstrt(f, "bochs-vmx_") ? 1 : 2 title system("basename ".f." .dat | tr _ ' '")
