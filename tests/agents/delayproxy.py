#!/usr/bin/env python3
"""Tiny TCP proxy that adds a fixed one-way delay, for kernels without sch_netem.

    delayproxy.py LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS [LIFETIME_S]

Every chunk read from either side is forwarded DELAY_MS later (order kept), so a
request/reply round trip through the proxy gains about 2 * DELAY_MS. Works for any
TCP protocol, ZeroMQ's ZMTP included: point the client at LISTEN instead of TARGET.
Exits by itself after LIFETIME_S seconds (default 300).

Copied unchanged from the verified recipes (../shared/testing/delayproxy.py).
"""
import asyncio
import sys


async def pump(reader, writer, delay):
    queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def sender():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    task = asyncio.create_task(sender())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            queue.put_nowait((loop.time() + delay, data))
    except ConnectionError:
        pass
    queue.put_nowait((0, None))
    await task


async def main():
    lhost, lport = sys.argv[1].rsplit(":", 1)
    thost, tport = sys.argv[2].rsplit(":", 1)
    delay = float(sys.argv[3]) / 1000.0
    lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 300.0

    async def handle(creader, cwriter):
        try:
            ureader, uwriter = await asyncio.wait_for(
                asyncio.open_connection(thost, int(tport)), 5)
        except (OSError, asyncio.TimeoutError):
            cwriter.close()
            return
        await asyncio.gather(pump(creader, uwriter, delay),
                             pump(ureader, cwriter, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(handle, lhost, int(lport))
    async with server:
        await asyncio.sleep(lifetime)


if __name__ == "__main__":
    asyncio.run(main())
