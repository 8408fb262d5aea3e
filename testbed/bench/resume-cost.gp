# SPDX-License-Identifier: GPL-2.0
# gnuplot script of testbed/bench/plot.sh: host work a pause costs against its length, one
# panel per machine. Variables (gnuplot -e): out (PNG), w, h, ttl (title), machines (words),
# files1, files2, ... (the data files of each machine's panel, "pause_s work" per line; a
# file's name is MACHINE_VARIANT.dat or MACHINE_VARIANT_PERIODus.dat, its title the part
# after the machine). Every variant has its own colour and marker (prefix: open squares,
# base: filled circles, series: triangles), so lines that lie on each other stay visible;
# periods: 1 ms solid, 10 ms dashed, 200 us dotted.
set terminal pngcairo size w, h font ",9"
set output out
set multiplot layout 1, words(machines) title ttl
set logscale xy
set format x "10^{%L}"
set format y "10^{%L}"
set xrange [0.005:2000]
set yrange [0.3:3000]
set xlabel "pause length (s)"
set ylabel "host timer expiries per pause\n(callbacks while paused + extra on resume)"
set key top left box opaque
set grid
base(f) = system("basename ".f." .dat")
vr(f) = strstrt(f, "_prefix") ? 1 : strstrt(f, "_base") ? 2 : 3
color(f) = word("#d62728 #1f77b4 #2ca02c", vr(f))
dash(f) = strstrt(f, "_10000us") ? 2 : strstrt(f, "_200us") ? 3 : 1
do for [i = 1:words(machines)] {
	m = word(machines, i)
	set title m . (m eq "bochs-vmx" ? " (hv timer)" : " (hrtimer)")
	fl = value("files" . i)
	plot for [f in fl] f using 1:2 with linespoints lc rgb color(f) dt dash(f) \
		pt (vr(f) == 1 ? 4 : vr(f) == 2 ? 7 : 8) ps (vr(f) == 1 ? 1.8 : vr(f) == 2 ? 0.8 : 1.3) \
		title system("echo ".base(f)." | sed 's/^".m."_//; s/_/ /g'")
}
unset multiplot
