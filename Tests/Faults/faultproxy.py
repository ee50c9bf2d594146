#!/usr/bin/env python3
"""A TCP proxy that injects network faults between two Stockroom nodes.

    faultproxy.py --upstream 127.0.0.1:8080 [--listen 127.0.0.1:0] [--seed 1] [--rate 0.35]

Prints "faultproxy listening on HOST:PORT" once it accepts connections. Each new
connection gets, with probability --rate, one fault, the kinds taken in turn (seeded:
connection n draws from seed * 1_000_003 + n):

  reset      abort both sides with a TCP RST after a random number of bytes
  stall      stop forwarding for 1-3 s at a random point (timeouts fire)
  slow       forward in 256-byte pieces every 10 ms (about 25 kB/s) both ways
  truncate   pass the first bytes of the response, then close both sides (FIN)
  duplicate  also send the client's bytes to the upstream a second time, on a
             new connection, as soon as the first response starts; that reply is
             discarded (a retried request the sender never hears about)
  reorder    the same, but the copy is sent 1-3 s later, after newer requests
  corrupt    flip one bit of a body (the request's or the answer's) just past its
             headers; raw deflate has no checksum, so only the batch's SHA-256
             (sync-protocol 6.1) or a failed decode can tell

While faults are on, every connection is also closed after 0.3-1.5 s (mid-request, if
one is in flight), so that clients reconnect and faults are drawn often.

SIGUSR1 turns faults off (connections already faulted keep their fault; new ones are
clean), SIGUSR2 turns them on again. On SIGTERM or SIGINT it prints the count of each
fault injected ("faults: reset=3 stall=1 ...") to stdout and exits 0.
"""

import argparse
import asyncio
import os
import random
import signal
import socket
import struct
import sys

FAULTS = ["reset", "stall", "slow", "truncate", "duplicate", "reorder", "corrupt"]


class Proxy:
    def __init__(self, upstream, seed, rate):
        self.upstream = upstream
        self.seed = seed
        self.rate = rate
        self.enabled = True
        self.connections = 0
        self.counts = {name: 0 for name in FAULTS}
        self.replays = set()  # strong references: asyncio keeps only weak ones

    def draw(self):
        self.connections += 1
        rng = random.Random(self.seed * 1_000_003 + self.connections)
        fault = None
        if self.enabled and rng.random() < self.rate:
            # In turn rather than at random: a short run still sees every kind.
            fault = FAULTS[(self.seed + sum(self.counts.values())) % len(FAULTS)]
        if fault:
            self.counts[fault] += 1
        return fault, rng

    async def handle(self, client_reader, client_writer):
        fault, rng = self.draw()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            abort(client_writer)
            return
        captured = bytearray()
        cut = rng.randint(0, 4096)
        loop = asyncio.get_running_loop()

        def expire():
            if not self.enabled:
                loop.call_later(rng.uniform(0.3, 1.5), expire)
                return
            for writer in (client_writer, up_writer):
                writer.close()

        loop.call_later(rng.uniform(0.3, 1.5), expire)
        state = {"sent": 0, "done": False, "replayed": False}

        async def replay(delay):
            await asyncio.sleep(delay)
            writer = None
            try:
                reader, writer = await asyncio.open_connection(*self.upstream)
                writer.write(bytes(captured))
                await writer.drain()
                # Read the answer for a while, then hang up: a keep-alive connection would
                # otherwise stay open for ever, on both sides.
                while await asyncio.wait_for(reader.read(65536), 5):
                    pass
            except (OSError, asyncio.TimeoutError):
                pass
            finally:
                if writer is not None:
                    writer.close()

        async def pump(reader, writer, is_response):
            stalled = False
            try:
                while not state["done"]:
                    data = await reader.read(65536)
                    if not data:
                        break
                    if not is_response:
                        captured.extend(data)
                    if is_response and fault in ("duplicate", "reorder") and not state["replayed"]:
                        state["replayed"] = True
                        delay = 0 if fault == "duplicate" else rng.uniform(1, 3)
                        task = asyncio.ensure_future(replay(delay))
                        self.replays.add(task)
                        task.add_done_callback(self.replays.discard)
                    if fault == "reset" and state["sent"] + len(data) >= cut:
                        state["done"] = True
                        abort(writer)
                        abort(client_writer if writer is up_writer else up_writer)
                        return
                    if fault == "truncate" and is_response and state["sent"] + len(data) >= cut:
                        writer.write(data[: max(0, cut - state["sent"])])
                        await writer.drain()
                        state["done"] = True
                        writer.close()
                        up_writer.close()
                        return
                    if fault == "corrupt":
                        data = flip_in_body(data, state.setdefault("response" if is_response else "request", {}), rng)
                    if fault == "stall" and not stalled and state["sent"] + len(data) >= cut:
                        stalled = True
                        await asyncio.sleep(rng.uniform(1, 3))
                    state["sent"] += len(data)
                    if fault == "slow":
                        for start in range(0, len(data), 256):
                            writer.write(data[start : start + 256])
                            await writer.drain()
                            await asyncio.sleep(0.01)
                    else:
                        writer.write(data)
                        await writer.drain()
            except OSError:
                pass
            finally:
                if not state["done"]:
                    try:
                        writer.write_eof() if writer.can_write_eof() else writer.close()
                    except OSError:
                        pass

        await asyncio.gather(
            pump(client_reader, up_writer, False), pump(up_reader, client_writer, True), return_exceptions=True
        )
        for writer in (client_writer, up_writer):
            try:
                writer.close()
            except OSError:
                pass


def flip_in_body(data, seen, rng):
    """Flips one bit of the first message's body within 64 bytes of its headers' end.

    `seen` keeps, per direction, the bytes read so far (until the headers end), where the
    flip falls, and whether it was made."""
    if seen.get("flipped"):
        return data
    offset = seen.get("offset", 0)
    seen["offset"] = offset + len(data)
    if "at" not in seen:
        head = seen.setdefault("head", bytearray())
        head.extend(data)
        end = head.find(b"\r\n\r\n")
        if end < 0:
            return data
        seen["at"] = end + 4 + rng.randint(0, 64)
    at = seen["at"]
    if not offset <= at < offset + len(data):
        return data
    seen["flipped"] = True
    changed = bytearray(data)
    changed[at - offset] ^= 1 << rng.randint(0, 7)
    return bytes(changed)


def abort(writer):
    """Close with RST rather than FIN: SO_LINGER with a zero timeout."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the node behind the proxy")
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.35, help="share of connections that get a fault")
    args = parser.parse_args()
    up_host, up_port = args.upstream.rsplit(":", 1)
    host, port = args.listen.rsplit(":", 1)
    proxy = Proxy((up_host, int(up_port)), args.seed, args.rate)
    server = await asyncio.start_server(proxy.handle, host, int(port))
    bound = server.sockets[0].getsockname()
    print(f"faultproxy listening on {bound[0]}:{bound[1]}", flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    # A parent may spawn us with these blocked (Swift's Foundation.Process from a
    # libdispatch thread does): unblock them, or the controls below never fire.
    control = [signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT]
    signal.pthread_sigmask(signal.SIG_UNBLOCK, control)
    loop.add_signal_handler(signal.SIGUSR1, lambda: setattr(proxy, "enabled", False))
    loop.add_signal_handler(signal.SIGUSR2, lambda: setattr(proxy, "enabled", True))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    await stop
    server.close()
    counts = " ".join(f"{name}={proxy.counts[name]}" for name in FAULTS)
    print(f"faults: {counts} connections={proxy.connections}", flush=True)
    os._exit(0)  # without waiting for stalled connections to drain


if __name__ == "__main__":
    asyncio.run(main())
