# The charts of bench/RESULTS.md, from the data files bench/report.py writes:
#
#   gnuplot -e "data='DIR'; out='DIR'" bench/plot.gp
#
# DIR/throughput.dat: window, tq, Pool, floor (tasks/s)   -> out/throughput.png
# DIR/latency.dat:    "name" p50 p90 p99 (µs)             -> out/latency.png
if (!exists("data")) data = "."
if (!exists("out")) out = data

set terminal pngcairo size 900,560 enhanced font "DejaVu Sans,10"
set datafile missing "?"
set key top left box opaque
set grid ytics lc rgb "#dddddd"

# ---- throughput vs window ------------------------------------------------------
set output out."/throughput.png"
set title "Pipelined apply\\_async of x -> x+1, one client, 2 workers: throughput vs tasks in flight"
set xlabel "window (most tasks in flight; Pool: apply\\_async not yet collected)"
set ylabel "tasks/s"
set logscale x 10
set logscale y 10
set format y "%.0s%c"
set xrange [0.8:2500]
plot data."/throughput.dat" using 1:2 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "tq (libtq apply\\_async)", \
     ""                     using 1:3 with linespoints lw 2 pt 5 lc rgb "#d62728" title "Python multiprocessing.Pool(2)", \
     ""                     using 1:4 with linespoints lw 2 pt 9 dt 2 lc rgb "#555555" title "floor: bare zmq->pipe relay, no msgpack"

# ---- latency percentiles ---------------------------------------------------------
reset
set terminal pngcairo size 900,560 enhanced font "DejaVu Sans,10"
set output out."/latency.png"
set title "Sync round trip (apply of x -> x+1), 2 workers: latency percentiles"
set ylabel "µs (log scale)"
set logscale y 10
set grid ytics lc rgb "#dddddd"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left box opaque
set yrange [10:*]
plot data."/latency.dat" using 2:xtic(1) title "p50" lc rgb "#2ca02c", \
     ""                  using 3 title "p90" lc rgb "#ff7f0e", \
     ""                  using 4 title "p99" lc rgb "#d62728"
