#!/usr/bin/python3
"""The baseline of bench/objects: tq-objects-bench's rows on Python's
multiprocessing.Manager (and, for the pipe row, multiprocessing.Pipe).

Run with Debian's interpreter (/usr/bin/python3), no extra packages:

  manager_bench.py latency    --op dict_get|dict_incr|queue_pair|pipe|ping [--n N]
  manager_bench.py throughput --op dict_incr|queue [--n N]

Each prints one line, `impl=manager row=NAME key=value ...`, with the keys
of tq-objects-bench. The Manager's server process is started before the
clock starts, as tqd is a service already running. Manager's proxies are
synchronous, so its "throughput" is calls one after the other; and its
`d[k] += 1` is a get and a set (two round trips, not atomic across
processes) where tq's incr is one atomic call. The pipe row has no
Manager: it is a multiprocessing.Pipe to a child Process that echoes, an
OS pipe straight between the two, with no server between them. The ping
row has no Manager either: it is a bare ZeroMQ DEALER (pyzmq, msgpack)
sending tqd `ping` requests on $TQ_ENDPOINT (impl=pyzmq), the floor of any
client of tqd.
"""

import argparse
import math
import multiprocessing
import sys
import time


def percentile(sorted_samples, q):
    """Nearest rank, as bench/measure.h."""
    if not sorted_samples:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_samples)))
    return sorted_samples[min(len(sorted_samples), rank) - 1]


def echo(conn, other_end):
    other_end.close()  # or the parent's close would never be an EOF here
    while True:
        try:
            m = conn.recv()
        except EOFError:
            return
        conn.send(m)


def measure(impl, op, n, once):
    """Runs once(i) n times (after n / 10 unmeasured); prints p50 and p99."""
    for i in range(max(1, n // 10)):
        once(i)
    us = []
    for i in range(n):
        start = time.perf_counter_ns()
        once(i)
        us.append((time.perf_counter_ns() - start) / 1000.0)
    us.sort()
    print(f"impl={impl} row=latency op={op} n={n} "
          f"p50_us={percentile(us, 0.50):.1f} p99_us={percentile(us, 0.99):.1f}")


def zmq_ping(n):
    import msgpack
    import zmq
    import os
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.connect(os.environ["TQ_ENDPOINT"])
    def once(i):
        sock.send(msgpack.packb({"v": 1, "kind": "ping", "req": i + 1}))
        if msgpack.unpackb(sock.recv())["kind"] != "pong":
            sys.exit("ping: no pong")
    measure("pyzmq", "ping", n, once)


def latency(op, n, manager):
    d = manager.dict()
    q = manager.Queue()
    d["k"] = 42
    child = None
    if op == "pipe":
        parent_end, child_end = multiprocessing.Pipe()
        child = multiprocessing.Process(target=echo, args=(child_end, parent_end))
        child.start()
        child_end.close()

    def once(i):
        if op == "dict_get":
            if d["k"] != 42:
                sys.exit("dict get: wrong value")
        elif op == "dict_incr":
            d["k"] += 1
        elif op == "queue_pair":
            q.put(i)
            if q.get() != i:
                sys.exit("queue get: wrong item")
        else:
            parent_end.send(i)
            if parent_end.recv() != i:
                sys.exit("pipe: wrong echo")

    measure("manager", op, n, once)
    if child is not None:
        parent_end.close()
        child.join()


def throughput(op, n, manager):
    d = manager.dict()
    q = manager.Queue()
    start = time.perf_counter()
    if op == "dict_incr":
        d["k"] = 0
        for _ in range(n):
            d["k"] += 1
        calls = n
        if d["k"] != n:
            sys.exit("incr: wrong total")
    else:
        for i in range(n):
            q.put(i)
        for i in range(n):
            if q.get() != i:
                sys.exit("queue get: out of order or lost")
        calls = 2 * n
    seconds = time.perf_counter() - start
    print(f"impl=manager row=throughput op={op} n={n} window=1 calls_per_s={calls / seconds:.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("row", choices=["latency", "throughput"])
    parser.add_argument("--op", required=True)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    if args.op == "ping":
        zmq_ping(args.n)
        return
    with multiprocessing.Manager() as manager:
        if args.row == "latency":
            latency(args.op, args.n, manager)
        else:
            throughput(args.op, args.n, manager)


if __name__ == "__main__":
    main()
