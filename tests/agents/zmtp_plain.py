#!/usr/bin/env python3
"""A plaintext ZeroMQ peer, for checking that an endpoint refuses one.

    zmtp_plain.py HOST PORT [TIMEOUT_S=3]

Connects over TCP and speaks ZMTP 3.0 (rfc.zeromq.org/spec/23) as a DEALER
with the NULL mechanism: no CURVE, no keys. Prints the mechanism the server
announced in its greeting, then what it did with ours:

    refused: connection closed after N bytes of the server's greeting   exit 0
    refused: server mechanism CURVE, connection closed                   exit 0
    accepted: server mechanism NULL, READY received                      exit 1
    error: ...                                                           exit 2

A CURVE server (tqd's --agents endpoint) must close the connection: libzmq
drops a peer whose mechanism differs from its own (libzmq 4.3.4's CURVE
ROUTER closes after the 10 bytes of its greeting's signature). tqd's plain
client endpoint accepts it (the positive control).
"""
import socket
import struct
import sys


def greeting(mechanism):
    return (b"\xff" + b"\x00" * 8 + b"\x7f"   # signature
            + b"\x03\x00"                     # version 3.0
            + mechanism.ljust(20, b"\x00")    # mechanism
            + b"\x00"                         # as-server: no
            + b"\x00" * 31)                   # filler


def ready_command(socket_type):
    name = b"Socket-Type"
    body = (b"\x05READY" + bytes([len(name)]) + name
            + struct.pack(">I", len(socket_type)) + socket_type)
    return b"\x04" + bytes([len(body)]) + body


def read_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    try:
        s = socket.create_connection((host, port), timeout)
        s.settimeout(timeout)
        s.sendall(greeting(b"NULL"))
        theirs = read_exactly(s, 64)
    except (OSError, socket.timeout) as e:
        print(f"error: {e}")
        return 2
    if len(theirs) < 64:
        # libzmq sends its greeting in parts, and a CURVE server that reads
        # our NULL closes before it has sent it all.
        print(f"refused: connection closed after {len(theirs)} bytes of the server's greeting")
        return 0
    mechanism = theirs[12:32].rstrip(b"\x00").decode("ascii", "replace")
    try:
        s.sendall(ready_command(b"DEALER"))
        reply = s.recv(256)
    except socket.timeout:
        print(f"error: server mechanism {mechanism}, no answer to READY in {timeout} s")
        return 2
    except OSError:
        reply = b""
    if not reply:
        print(f"refused: server mechanism {mechanism}, connection closed")
        return 0
    if b"READY" in reply:
        print(f"accepted: server mechanism {mechanism}, READY received")
        return 1
    print(f"refused: server mechanism {mechanism}, answered {reply[:40]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
