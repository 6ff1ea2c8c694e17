#!/usr/bin/python3
"""The baseline: tq-bench's workloads on Python's multiprocessing.Pool(2).

Run with Debian's interpreter (/usr/bin/python3, 3.11), no extra packages:

  pool_bench.py latency    [--n N]                  N sequential apply(inc)
  pool_bench.py throughput [--window W] [--n N]     N apply_async(inc), <= W in flight
  pool_bench.py map        [--items N]              pool.map(inc, range(N)), default chunksize
  pool_bench.py cpu        [--tasks N] [--us U] [--mode apply_async|map]

Each prints one line, `impl=pool row=NAME key=value ...`, with the same keys
as tq-bench (bench/tq_bench.cc). The pool is started and warmed up before
the clock starts, as tqd is a service already running. Nothing here asserts
on speed; a wrong result exits 1.
"""

import argparse
import math
import multiprocessing
import os
import sys
import time
from collections import deque

WORKERS = 2


def inc(x):
    return x + 1


def burn_us(micros):
    """Spins `micros` µs of wall time; returns the CPU µs this thread got."""
    cpu_start = time.thread_time_ns()
    until = time.monotonic_ns() + micros * 1000
    while time.monotonic_ns() < until:
        pass
    return (time.thread_time_ns() - cpu_start) / 1000.0


def proc_cpu_seconds(pid):
    """CPU time (user + system) of another process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU per task of this process (with the pool's handler threads, Pool's
    dispatcher) and of the pool's workers, as tq-bench reports it."""

    def __init__(self, pool):
        self.pids = [p.pid for p in pool._pool]
        self.start = self.sample()

    def sample(self):
        return time.process_time(), sum(proc_cpu_seconds(p) for p in self.pids)

    def per_task(self, n):
        client, workers = self.sample()
        return (f" client_cpu_us={(client - self.start[0]) * 1e6 / n:.1f}"
                f" workers_cpu_us={(workers - self.start[1]) * 1e6 / n:.1f}")


def percentile(sorted_values, q):
    """Nearest-rank percentile, as tq-bench computes it."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def check(got, want, where):
    if got != want:
        sys.exit(f"pool_bench: {where}: inc returned {got}, expected {want}")


def latency(pool, n, warmup):
    for i in range(warmup):
        check(pool.apply(inc, (i,)), i + 1, "latency warm-up")
    us = []
    cpu = CpuMeter(pool)
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        y = pool.apply(inc, (i,))
        us.append((time.perf_counter() - t0) * 1e6)
        check(y, i + 1, "latency")
    wall = time.perf_counter() - start
    cpu_per_task = cpu.per_task(n)
    us.sort()
    print(f"impl=pool row=latency n={n} p50_us={percentile(us, 0.5):.1f} "
          f"p90_us={percentile(us, 0.9):.1f} p99_us={percentile(us, 0.99):.1f} "
          f"mean_us={sum(us) / n:.1f} min_us={us[0]:.1f} max_us={us[-1]:.1f} "
          f"wall_s={wall:.3f}{cpu_per_task}")


def pipelined(pool, n, window):
    """n apply_async(inc), at most `window` unfinished, oldest collected first."""
    ring = deque()
    start = time.perf_counter()
    for i in range(n):
        if len(ring) == window:
            j, r = ring.popleft()
            check(r.get(), j + 1, "throughput")
        ring.append((i, pool.apply_async(inc, (i,))))
    while ring:
        j, r = ring.popleft()
        check(r.get(), j + 1, "throughput")
    return time.perf_counter() - start


def throughput(pool, n, window, warmup):
    if warmup:
        pipelined(pool, warmup, window)
    cpu = CpuMeter(pool)
    wall = pipelined(pool, n, window)
    print(f"impl=pool row=throughput window={window} n={n} wall_s={wall:.3f} "
          f"tasks_per_s={n / wall:.0f}{cpu.per_task(n)}")


def map_row(pool, items):
    cpu = CpuMeter(pool)
    start = time.perf_counter()
    out = pool.map(inc, range(items))
    wall = time.perf_counter() - start
    cpu_per_task = cpu.per_task(items)
    if len(out) != items or out[0] != 1 or out[-1] != items:
        sys.exit("pool_bench: map returned wrong results")
    print(f"impl=pool row=map items={items} window=none chunk=default wall_s={wall:.3f} "
          f"items_per_s={items / wall:.0f}{cpu_per_task}")


def cpu(pool, tasks, micros, mode):
    start = time.perf_counter()
    if mode == "apply_async":
        results = [pool.apply_async(burn_us, (micros,)) for _ in range(tasks)]
        cpu_us = sum(r.get() for r in results)
    else:
        cpu_us = sum(pool.map(burn_us, [micros] * tasks))
    wall_us = (time.perf_counter() - start) * 1e6
    print(f"impl=pool row=cpu mode={mode} tasks={tasks} task_us={micros} workers={WORKERS} "
          f"cpu_s={cpu_us / 1e6:.3f} wall_s={wall_us / 1e6:.3f} "
          f"efficiency={cpu_us / WORKERS / wall_us:.3f} "
          f"busy_efficiency={tasks * micros / WORKERS / wall_us:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="row", required=True)
    p = sub.add_parser("latency")
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--warmup", type=int, default=200)
    p = sub.add_parser("throughput")
    p.add_argument("--window", type=int, default=1000)
    p.add_argument("--n", type=int, default=50000)
    p.add_argument("--warmup", type=int, default=1000)
    p = sub.add_parser("map")
    p.add_argument("--items", type=int, default=1000000)
    p = sub.add_parser("cpu")
    p.add_argument("--tasks", type=int, default=2000)
    p.add_argument("--us", type=int, default=1000)
    p.add_argument("--mode", choices=["apply_async", "map"], default="apply_async")
    args = parser.parse_args()

    with multiprocessing.Pool(WORKERS) as pool:
        # Both workers up and importing done before any clock starts.
        pool.map(inc, range(WORKERS * 4), chunksize=1)
        if args.row == "latency":
            latency(pool, args.n, args.warmup)
        elif args.row == "throughput":
            throughput(pool, args.n, max(1, args.window), args.warmup)
        elif args.row == "map":
            map_row(pool, args.items)
        else:
            cpu(pool, args.tasks, args.us, args.mode)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
