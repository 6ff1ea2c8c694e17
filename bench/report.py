#!/usr/bin/python3
"""Turns the lines scripts/bench collected into its one table, and the data
files bench/plot.gp draws.

  report.py RESULTS_TXT [--markdown] [--data-dir DIR]

RESULTS_TXT holds one measurement per line, `key=value` tokens as printed by
tq-bench, tq-floor, tq-spawn-rate and pool_bench.py, plus `rep=N` added by
scripts/bench (and `impl=machine` lines with the load seen before each
section). Repeated measurements are reduced to their median. The ratios
and the "met?" column compare medians with the targets of issues 5 and 16; they
report, never assert: a shared, noisy machine decides many of them.
"""

import argparse
import json
import os
import statistics
import sys


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            fields = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
            if "impl" in fields and "row" in fields:
                rows.append(fields)
    return rows


def values(rows, impl, row, key, **match):
    out = []
    for r in rows:
        if r.get("impl") != impl or r.get("row") != row:
            continue
        if any(r.get(k) != str(v) for k, v in match.items()):
            continue
        v = r.get(key)
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            pass
    return out


def median(xs):
    return statistics.median(xs) if xs else None


def fmt(x, digits=0, unit=""):
    if x is None:
        return "n/a"
    if digits == 0 and abs(x) >= 10000:
        return f"{x / 1000:.1f}k{unit}"
    return f"{x:,.{digits}f}{unit}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def yes_no(ok):
    if ok is None:
        return "n/a"
    return "yes" if ok else "NO"


def table_rows(rows):
    out = []
    med = lambda impl, row, key, **m: median(values(rows, impl, row, key, **m))

    # Sync round trip.
    p = {i: med(i, "latency", "p50_us") for i in ("pool", "floor", "tq")}
    r_floor, r_pool = ratio(p["tq"], p["floor"]), ratio(p["tq"], p["pool"])
    out.append(["sync round trip (apply) p50, µs ¹", fmt(p["pool"], 1), fmt(p["floor"], 1),
                fmt(p["tq"], 1), f"tq/floor {fmt(r_floor, 2)}, tq/Pool {fmt(r_pool, 2)}",
                "≤ 1.1 × floor", yes_no(None if r_floor is None else r_floor <= 1.1)])
    p99 = {i: med(i, "latency", "p99_us") for i in ("pool", "floor", "tq")}
    r99 = ratio(p99["tq"], p99["floor"])
    out.append(["  same, p99, µs", fmt(p99["pool"], 1), fmt(p99["floor"], 1), fmt(p99["tq"], 1),
                f"tq/floor {fmt(r99, 2)}", "≤ 1.5 × floor's p99",
                yes_no(None if r99 is None else r99 <= 1.5)])

    lc = {}
    for i in ("pool", "floor", "tq"):
        parts = [med(i, "latency", k) for k in ("client_cpu_us", "server_cpu_us", "workers_cpu_us")]
        total = None if parts[0] is None else sum(x for x in parts if x is not None)
        lc[i] = (total, "n/a" if total is None else f"{total:.1f} = " +
                 " + ".join("—" if x is None else f"{x:.1f}" for x in parts))
    out.append(["  same, CPU µs per call: client + daemon + workers ⁷", lc["pool"][1],
                lc["floor"][1], lc["tq"][1],
                f"tq/floor {fmt(ratio(lc['tq'][0], lc['floor'][0]), 2)}", "—", "—"])

    # Pipelined throughput at window 1000.
    t = {i: med(i, "throughput", "tasks_per_s", window=1000, sweep="0")
         for i in ("pool", "floor", "tq")}
    r_pool, r_floor = ratio(t["tq"], t["pool"]), ratio(t["tq"], t["floor"])
    stream = med("floor_stream", "throughput", "tasks_per_s", window=1000)
    r_stream = ratio(t["tq"], stream)
    out.append(["pipelined apply_async, window 1000, tasks/s ²", fmt(t["pool"]), fmt(t["floor"]),
                fmt(t["tq"]), f"tq/Pool {fmt(r_pool, 2)}, tq/floor {fmt(r_floor, 2)}",
                "—", "—"])
    out.append(["  same, against the streaming floor (16 per worker pipe) ⁹", "—", fmt(stream),
                fmt(t["tq"]), f"tq/stream {fmt(r_stream, 2)}",
                "≥ 250k/s, ≥ 0.5 × streaming floor",
                yes_no(None if r_stream is None else r_stream >= 0.5 and t["tq"] >= 250000)])

    # Where the CPU went at window 1000: less disturbed by other load than wall time.
    def cpu_split(impl):
        parts = [med(impl, "throughput", k, window=1000, sweep="0")
                 for k in ("client_cpu_us", "server_cpu_us", "workers_cpu_us")]
        if parts[0] is None:
            return None, "n/a"
        total = sum(p for p in parts if p is not None)
        return total, f"{total:.1f} = " + " + ".join("—" if p is None else f"{p:.1f}" for p in parts)
    c = {i: cpu_split(i) for i in ("pool", "floor", "tq")}
    out.append(["  same, CPU µs per task: client + daemon + workers ⁷", c["pool"][1], c["floor"][1],
                c["tq"][1], f"tq/floor {fmt(ratio(c['tq'][0], c['floor'][0]), 2)}", "—", "—"])

    # map over 1M ints.
    m = {i: med(i, "map", "items_per_s") for i in ("pool", "tq")}
    items = values(rows, "tq", "map", "items") or values(rows, "pool", "map", "items")
    label = f"map over {int(items[0]):,} ints, items/s ³" if items else "map, items/s ³"
    r = ratio(m["tq"], m["pool"])
    out.append([label,
                fmt(m["pool"]), "—", fmt(m["tq"]), f"tq/Pool {fmt(r, 2)}", "≥ 3 × Pool",
                yes_no(None if r is None else r >= 3)])

    # CPU-bound efficiency.
    for mode in ("apply_async", "map"):
        e = {i: med(i, "cpu", "efficiency", mode=mode) for i in ("pool", "tq")}
        tasks = values(rows, "tq", "cpu", "tasks", mode=mode)
        n = int(tasks[0]) if tasks else 2000
        out.append([f"{n:,} × 1 ms CPU: efficiency, {mode} ⁴", fmt(e["pool"], 3),
                    "1.000 (ideal)", fmt(e["tq"], 3), f"tq/Pool {fmt(ratio(e['tq'], e['pool']), 2)}",
                    "≥ 0.95", yes_no(None if e["tq"] is None else e["tq"] >= 0.95)])
        b = {i: med(i, "cpu", "busy_efficiency", mode=mode) for i in ("pool", "tq")}
        out.append(["  same, by task wall time (gaps between tasks only) ⁸", fmt(b["pool"], 3),
                    "1.000 (ideal)", fmt(b["tq"], 3),
                    f"tq/Pool {fmt(ratio(b['tq'], b['pool']), 2)}", "—", "—"])

    # exec vs raw spawn.
    # The floor is the faster of the two layouts (one spawner process
    # keeping 2 children, or 2 spawner processes): the best raw rate seen.
    spawns = [x for x in (med("floor", "spawn", "jobs_per_s", layout=l) for l in ("procs", "single"))
              if x is not None]
    spawn = max(spawns) if spawns else None
    ex = med("tq", "exec", "jobs_per_s")
    jobs = values(rows, "tq", "exec", "jobs")
    r = ratio(ex, spawn)
    out.append([f"exec of true, {int(jobs[0]) if jobs else 1000:,} jobs via tq map, jobs/s ⁵",
                "—", fmt(spawn, 1), fmt(ex, 1),
                f"tq/spawn {fmt(r, 2)}", "≥ 0.8 × raw spawn", yes_no(None if r is None else r >= 0.8)])
    for impl, name in (("xargs", "xargs -P2 -n1"), ("parallel", "GNU parallel -j2")):
        other = med(impl, "exec", "jobs_per_s")
        if other is not None:
            out.append([f"  same, against {name} true", "—", fmt(other, 1), fmt(ex, 1),
                        f"tq/{impl} {fmt(ratio(ex, other), 2)}", "—", "—"])

    # Thumbnails: CPU per image against libjpeg-turbo's own decode at that scale.
    for mode, target, ok in (("baseline", "≤ 1.1 × decode floor", lambda x: x <= 1.1),
                             ("progressive", "< decode floor", lambda x: x < 1)):
        fl = med("floor", "thumbnail", "cpu_ms_per_image", mode=mode)
        if fl is None:
            continue
        pool = med("pool", "thumbnail", "cpu_ms_per_image", mode=mode)
        tq = med("tq_cpp", "thumbnail", "cpu_ms_per_image", mode=mode)
        cli = med("tq_cli", "thumbnail", "cpu_ms_per_image", mode=mode)
        n = values(rows, "floor", "thumbnail", "images", mode=mode)
        r = ratio(tq, fl)
        out.append([f"thumbnails, {int(n[0]) if n else 0} {mode} JPEGs 1024x768, CPU ms/image ¹⁰",
                    fmt(pool, 2), fmt(fl, 2), fmt(tq, 2),
                    f"tq/decode floor {fmt(r, 2)}, Pool/tq {fmt(ratio(pool, tq), 2)}", target,
                    yes_no(None if r is None else ok(r))])
        if cli is not None:
            out.append(["  same, tq map thumbnail (CLI)", fmt(pool, 2), fmt(fl, 2), fmt(cli, 2),
                        f"tq/decode floor {fmt(ratio(cli, fl), 2)}", "—", "—"])

    # Memory.
    idle = med("tq", "rss", "idle_kib")
    idle_mb = None if idle is None else idle * 1024 / 1e6
    out.append(["tqd idle RSS, MB", "—", "—", fmt(idle_mb, 1), "—", "≤ 10 MB",
                yes_no(None if idle_mb is None else idle_mb <= 10)])
    per = med("tq", "rss", "bytes_per_task")
    queued = values(rows, "tq", "rss", "queued")
    out.append([f"tqd RSS per queued task, {int(queued[0]) if queued else 0:,} queued, B ⁶", "—",
                "—", fmt(per), "—", "≤ 200 B", yes_no(None if per is None else per <= 200)])
    submit_s = med("tq", "rss", "submit_s")
    accepted = None if submit_s is None or not queued or submit_s == 0 else queued[0] / submit_s
    out.append([f"  same, accepted from one client, tasks/s", "—", "—", fmt(accepted), "—",
                "≥ 200k/s", yes_no(None if accepted is None else accepted >= 200000)])
    return out


HEADER = ["workload", "Pool", "floor", "tq", "ratio", "target", "met?"]

NOTES = """\
¹ Pool: multiprocessing.Pool(2).apply; floor: tq-floor, the same process layout
  (client, relay, 2 workers) with raw 8-byte messages; tq: libtq Client::apply.
² at most 1000 tasks submitted and not yet collected, oldest collected first.
³ Pool: pool.map, default chunksize; tq: Client::map with MapOptions' defaults
  (window 65536 inputs, auto chunks sized from measured times, at most 8192).
⁴ (sum of the CPU time the tasks report / workers) / wall; the floor is the ideal.
⁵ floor: posix_spawn + waitpid of /bin/true, 2 at a time (tq-spawn-rate): the
  faster median of its two layouts, 2 spawner processes or 1 with 2 children.
⁶ (VmRSS with the tasks queued - VmRSS before) / tasks; 1 worker kept busy by a
  `sleep` task, noop tasks without arguments.
⁷ user + system CPU of each process during the run / tasks (/proc/PID/stat,
  getrusage); Pool's dispatcher threads live in the client process.
⁸ (tasks × 1 ms / workers) / wall: each task spins 1 ms of wall time, so CPU
  that other load takes from a running task does not count against it.
⁹ tq-floor's relay with --depth 16: up to 16 requests in each worker's pipe,
  what bounded prefetch could reach at best; the plain floor hands a worker one.
¹⁰ user + system CPU of everything involved / images (bench/thumbnails/run);
  floor: libjpeg-turbo's decode of the same files at the same scale, alone, one
  thread (tq-thumbnail-decode-floor); Pool: Pool(2) + PIL; tq: tq-thumbnail-folder.
"""


def print_text(rows):
    widths = [max(len(r[i]) for r in [HEADER] + rows) for i in range(len(HEADER))]
    line = lambda r: " | ".join(c.ljust(w) for c, w in zip(r, widths))
    print(line(HEADER))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def print_markdown(rows):
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "|".join(" --- " for _ in HEADER) + "|")
    for r in rows:
        print("| " + " | ".join(c.strip() for c in r) + " |")


def print_notes():
    print(NOTES, end="")


def print_raw(rows):
    """Every measurement behind a median, in run order."""
    print("\nraw runs (median in the table):")
    keys = [("latency", "p50_us", None), ("latency", "p99_us", None),
            ("throughput", "tasks_per_s", "1000"), ("map", "items_per_s", None),
            ("cpu", "efficiency", "apply_async"), ("cpu", "efficiency", "map"),
            ("cpu", "busy_efficiency", "apply_async"), ("cpu", "busy_efficiency", "map"),
            ("exec", "jobs_per_s", None), ("spawn", "jobs_per_s", None),
            ("rss", "idle_kib", None), ("rss", "bytes_per_task", None), ("rss", "submit_s", None),
            ("thumbnail", "cpu_ms_per_image", "baseline"),
            ("thumbnail", "cpu_ms_per_image", "progressive")]
    for row, key, sel in keys:
        for impl in ("pool", "floor", "floor_stream", "xargs", "parallel", "tq", "tq_cpp", "tq_cli",
                     "tq_vips"):
            match = {}
            if row == "throughput":
                match = {"window": sel, "sweep": "0"}
            elif row in ("cpu", "thumbnail"):
                match = {"mode": sel}
            elif row == "spawn":
                for layout in ("procs", "single"):
                    xs = [r.get(key) for r in rows if r.get("impl") == impl and r.get("row") == row
                          and r.get("layout") == layout]
                    if xs:
                        print(f"  {impl:12} {'spawn/' + layout + ' ' + key:32} {' '.join(xs)}")
                continue
            xs = [r.get(key) for r in rows if r.get("impl") == impl and r.get("row") == row
                  and all(r.get(k) == v for k, v in match.items())]
            if xs:
                name = f"{row}{'/' + sel if sel else ''} {key}"
                print(f"  {impl:12} {name:32} {' '.join(xs)}")
    loads = [r.get("load1") for r in rows if r.get("impl") == "machine" and r.get("row") == "load"]
    if loads:
        print(f"  load average (1 min) before each section: {' '.join(loads)}")


def write_data(rows, data_dir):
    """throughput.dat (window, tq, Pool, floor) and latency.dat for plot.gp."""
    os.makedirs(data_dir, exist_ok=True)
    windows = sorted({int(r["window"]) for r in rows
                      if r.get("row") == "throughput" and r.get("sweep") == "1"})
    with open(os.path.join(data_dir, "throughput.dat"), "w") as f:
        f.write("# window tq pool floor (tasks/s, median of the sweep's runs; ? = not run)\n")
        for w in windows:
            cols = [median(values(rows, i, "throughput", "tasks_per_s", window=w, sweep="1"))
                    for i in ("tq", "pool", "floor")]
            f.write(f"{w} " + " ".join("?" if c is None else f"{c:.0f}" for c in cols) + "\n")
    with open(os.path.join(data_dir, "latency.dat"), "w") as f:
        f.write("# impl p50 p90 p99 (µs, median of runs)\n")
        for impl, name in (("tq", "tq"), ("pool", "Pool(2)"), ("floor", "floor")):
            cols = [median(values(rows, impl, "latency", k)) for k in ("p50_us", "p90_us", "p99_us")]
            if all(c is not None for c in cols):
                f.write(f'"{name}" ' + " ".join(f"{c:.1f}" for c in cols) + "\n")


def print_micro(path):
    if not path or not os.path.exists(path):
        return
    with open(path) as f:
        data = json.load(f)
    benches = data.get("benchmarks", [])
    aggregated = any(b.get("run_type") == "aggregate" for b in benches)
    print("\nmicro-benchmarks (tq-codec-bench; CPU time per message or frame"
          f"{', median of repetitions' if aggregated else ''}):")
    for b in benches:
        if "items_per_second" not in b:
            continue
        if aggregated and b.get("aggregate_name") != "median":
            continue
        if not aggregated and b.get("run_type") == "aggregate":
            continue
        per_item_ns = 1e9 / b["items_per_second"]
        size = f"  ({b['bytes']:.0f} B)" if "bytes" in b else ""
        name = b.get("run_name", b["name"])
        print(f"  {name:42} {per_item_ns:8.1f} ns  {b['items_per_second'] / 1e6:6.2f} M/s{size}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--data-dir")
    ap.add_argument("--micro", help="tq-codec-bench's --benchmark_out JSON")
    ap.add_argument("--raw", action="store_true", help="also list every run")
    ap.add_argument("--machine", action="store_true",
                    help="print only the calibration and load line")
    args = ap.parse_args()
    rows = parse(args.results)
    if not rows:
        sys.exit(f"report.py: no measurements in {args.results}")
    if args.machine:
        sc = median(values(rows, "machine", "calibrate", "syscall_ns"))
        rtt = median(values(rows, "machine", "calibrate", "pipe_rtt_us"))
        loads = values(rows, "machine", "load", "load1")
        print(f"calibration: getppid() {fmt(sc)} ns, pipe round trip between two processes "
              f"{fmt(rtt, 1)} µs; load average (1 min) {min(loads, default=0):.1f}"
              f"–{max(loads, default=0):.1f} during the run")
        return
    table = table_rows(rows)
    if args.markdown:
        print_markdown(table)
    else:
        print_text(table)
    print()
    print_notes()
    if args.raw:
        print_raw(rows)
        print_micro(args.micro)
    if args.data_dir:
        write_data(rows, args.data_dir)


if __name__ == "__main__":
    main()
