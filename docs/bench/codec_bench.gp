# docs/bench/codec_bench.gp: the picture of `make bench-report`, from what sql/bench.sql
# writes to build/bench/: codec_bench.dat (per workload three blocks: every point, the
# compress frontier, the decompress frontier; columns compress MB/s, decompress MB/s, ratio,
# label) and codec_bench_vars.gp (nw workloads, their legends workload[1..nw], the title's
# subject, and bundled = 1 for the report on the bundled datasets). Run from the repository
# root:
#   gnuplot docs/bench/codec_bench.gp      -> build/bench/codec_bench.svg
# (make bench-report DOCS=1 copies it to docs/bench/codec_bench.svg.)
data = 'build/bench/codec_bench.dat'
load 'build/bench/codec_bench_vars.gp'
array color[4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
c(w) = color[(w - 1) % 4 + 1]

set terminal svg size 1200,560 dynamic enhanced font "Helvetica,12" background rgb "white"
set output 'build/bench/codec_bench.svg'
set multiplot layout 1,2 title "codec_bench on " . subject . ": ratio against speed, one point per codec and level; lines join each workload's Pareto frontier (labelled points)" font ",12" noenhanced
set logscale xy
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set ylabel "ratio (input bytes / output bytes, frames included)"
# The bundled report keeps the same axes from run to run; a column of yours is autoscaled.
if (bundled) {
  set yrange [0.8:20]
  set xrange [0.5:20000]
}
set key top left box opaque font ",10" spacing 1.1 noenhanced
set format x "%g"
set format y "%g"

set title "compress"
set xlabel "compress speed, MB/s of uncompressed data (median of the passes)"
plot for [w=1:nw] data index 3*(w-1) using 1:3 with points pt 7 ps 0.8 lc rgb c(w) title workload[w], \
     for [w=1:nw] data index 3*(w-1)+1 using 1:3 with lines lw 1.5 lc rgb c(w) notitle, \
     for [w=1:nw] data index 3*(w-1)+1 using 1:3:4 with labels left offset 0.6,0.45 font ",9" tc rgb c(w) notitle

set title "decompress"
set xlabel "decompress speed, MB/s of uncompressed data (median of the passes)"
plot for [w=1:nw] data index 3*(w-1) using 2:3 with points pt 7 ps 0.8 lc rgb c(w) title workload[w], \
     for [w=1:nw] data index 3*(w-1)+2 using 2:3 with lines lw 1.5 lc rgb c(w) notitle, \
     for [w=1:nw] data index 3*(w-1)+2 using 2:3:4 with labels left offset 0.6,0.45 font ",9" tc rgb c(w) notitle
unset multiplot
