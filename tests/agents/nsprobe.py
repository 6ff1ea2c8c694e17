#!/usr/bin/env python3
"""Small bounded TCP probes for the namespace checks (every mode ends by itself).

    nsprobe.py serve HOST PORT LIFETIME_S     echo server, many clients, exits after LIFETIME_S
    nsprobe.py rtt   HOST PORT COUNT          COUNT echo round trips on one connection; prints median ms
    nsprobe.py hold  HOST PORT SECONDS        one long-lived connection, a 1-byte echo every 0.1 s
                                              (0.5 s reply timeout); prints state changes over time
    nsprobe.py connect HOST PORT TIMEOUT_S    one connect and one echo; prints "ok", "timeout" or
                                              "error ERRNO" (a cut link refuses at once, a silent
                                              partition times out); exits 0 only on "ok"

Copied from the verified recipes (../shared/testing/nsprobe.py), with "connect" added.
"""
import socket
import statistics
import sys
import threading
import time


def serve(host, port, lifetime):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(16)
    ls.settimeout(0.5)
    end = time.time() + lifetime

    def echo(c):
        c.settimeout(lifetime)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()

    while time.time() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def rtt(host, port, count):
    s = socket.create_connection((host, port), 5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    samples = []
    for _ in range(count):
        t = time.perf_counter()
        s.sendall(b"p")
        s.recv(16)
        samples.append((time.perf_counter() - t) * 1000)
    print(f"rtt median {statistics.median(samples):.2f} ms over {count}")


def hold(host, port, seconds):
    s = socket.create_connection((host, port), 5)
    s.settimeout(0.5)
    t0 = time.time()
    ok = lost = 0
    log = []
    while time.time() - t0 < seconds:
        try:
            s.sendall(b"p")
            s.recv(16)
            ok += 1
            state = "ok"
        except socket.timeout:
            lost += 1
            state = "timeout"
        except OSError as e:
            lost += 1
            state = f"error {e.errno}"
            time.sleep(0.4)
        if not log or log[-1][1] != state:
            log.append((round(time.time() - t0, 1), state))
        time.sleep(0.1)
    print(f"replies {ok}, missed {lost}, states {log}")


def connect(host, port, timeout):
    try:
        s = socket.create_connection((host, port), timeout)
        s.settimeout(timeout)
        s.sendall(b"p")
        if s.recv(16) != b"p":
            raise OSError(0, "no echo")
        print("ok")
        return 0
    except socket.timeout:
        print("timeout")
    except OSError as e:
        print(f"error {e.errno}")
    return 1


if __name__ == "__main__":
    mode, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    {"serve": lambda: serve(host, port, float(n)),
     "rtt": lambda: rtt(host, port, int(n)),
     "hold": lambda: hold(host, port, float(n)),
     "connect": lambda: sys.exit(connect(host, port, float(n)))}[mode]()
