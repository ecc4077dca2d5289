# docs/bench/codec_bench.gp: the picture of `make bench-report`, from the data that
# sql/bench.sql writes to build/bench/codec_bench.dat (per workload three blocks: every
# point, the compress frontier, the decompress frontier; columns compress MB/s,
# decompress MB/s, ratio, label). Run from the repository root:
#   gnuplot docs/bench/codec_bench.gp      -> docs/bench/codec_bench.svg
data = 'build/bench/codec_bench.dat'
array workload[4] = ["text values (compress() per value)", "text columns (8192-value chunks)", \
                     "REAL columns (typed codecs)", "INTEGER columns (typed codecs)"]
array color[4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]

set terminal svg size 1200,560 dynamic enhanced font "Helvetica,12" background rgb "white"
set output 'docs/bench/codec_bench.svg'
set multiplot layout 1,2 title "codec\\_bench on the bundled datasets: ratio against speed, one point per codec and level; lines join each workload's Pareto frontier (labelled points)" font ",12"
set logscale xy
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set ylabel "ratio (input bytes / output bytes, frames included)"
set yrange [0.8:20]
set xrange [0.5:20000]
set key top left box opaque font ",10" spacing 1.1
set format x "%g"
set format y "%g"

set title "compress"
set xlabel "compress speed, MB/s of uncompressed data (median of 5 passes)"
plot for [w=1:4] data index 3*(w-1) using 1:3 with points pt 7 ps 0.8 lc rgb color[w] title workload[w], \
     for [w=1:4] data index 3*(w-1)+1 using 1:3 with lines lw 1.5 lc rgb color[w] notitle, \
     for [w=1:4] data index 3*(w-1)+1 using 1:3:4 with labels left offset 0.6,0.45 font ",9" tc rgb color[w] notitle

set title "decompress"
set xlabel "decompress speed, MB/s of uncompressed data (median of 5 passes)"
plot for [w=1:4] data index 3*(w-1) using 2:3 with points pt 7 ps 0.8 lc rgb color[w] title workload[w], \
     for [w=1:4] data index 3*(w-1)+2 using 2:3 with lines lw 1.5 lc rgb color[w] notitle, \
     for [w=1:4] data index 3*(w-1)+2 using 2:3:4 with labels left offset 0.6,0.45 font ",9" tc rgb color[w] notitle
unset multiplot
