#!/usr/bin/python3
"""Slow clients (issue 6): request heads and bodies trickled at 1 byte per 5 s are closed
within timeouts.request_ms (+2 s), and clients that read a 1 MiB page through a tiny
receive window do not make omote buffer the pages.

omote runs with timeouts.request_ms = 3000 so the tests stay short, and with
timeouts.http2_idle_ms far above it: libh2o 2.2.5 restarts its HTTP/2 idle timer on every
byte read, so a trickle would keep a connection alive forever; only omote's own request
timeout should end it. A normal client runs alongside each attack.

Figures printed: connections closed and when (max seconds from connect), omote's RSS
growth, the normal client's p99 and errors.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import h2raw as R  # noqa: E402

REQUEST_MS = 3000
CLOSE_SLACK_S = 2.0
DRIP_EVERY_S = 5.0
NORMAL_P99_MS = 500.0
PAGE_BYTES = 1 << 20


def mutate(conf):
    conf["timeouts"]["request_ms"] = REQUEST_MS
    conf["timeouts"]["http2_idle_ms"] = 60000
    conf["origin"]["io_timeout_ms"] = 60000
    # every client here comes from 127.0.0.1: per-address caps off, the process cap above the test
    H.add_known_limits(conf, max_connections=20000, connections_per_second_per_address=0,
                       requests_per_second_per_address=0)


class Drip:
    """A connection that sends `payload` one byte every DRIP_EVERY_S seconds, after `opening`."""

    def __init__(self, conn, opening, payload):
        self.conn = conn
        if opening:
            conn.send(opening)
        self.payload = payload
        self.pos = 0
        self.next_at = time.monotonic()

    def tick(self, now):
        if self.conn.closed or self.pos >= len(self.payload) or now < self.next_at:
            return
        self.conn.send(self.payload[self.pos:self.pos + 1])
        self.pos += 1
        self.next_at = now + DRIP_EVERY_S


class SlowSendersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        R.raise_nofile(8192)
        cls.stack = H.Stack(tls=True, mutate=mutate, name="slow")
        cls.addClassCleanup(cls.stack.close)

    def run_drips(self, name, drips, frame_drips=()):
        """Drives the drips until all are closed or they had request_ms + slack + 3 s; asserts
        every one was closed by omote within request_ms + slack of its connect."""
        fleet = R.Fleet([d.conn for d in drips])

        def tick(now):
            for d in drips:
                d.tick(now)

        latest_open = max(d.conn.opened_at for d in drips)
        fleet.run(latest_open + REQUEST_MS / 1000.0 + CLOSE_SLACK_S + 3.0, tick=tick)
        lifetimes = [d.conn.closed_at - d.conn.opened_at for d in drips if d.conn.closed]
        still_open = sum(1 for d in drips if not d.conn.closed)
        fleet.close_all()
        return lifetimes, still_open

    def attack(self, name, make_drips):
        with R.Probe(self.stack.http_port, "h1") as probe:
            time.sleep(0.5)
            with H.RssSampler(self.stack.omote.pid, max_seconds=300) as rss:
                drips = make_drips()
                lifetimes, still_open = self.run_drips(name, drips)
        limit = REQUEST_MS / 1000.0 + CLOSE_SLACK_S
        late = sum(1 for t in lifetimes if t > limit)
        H.log("%s: %d connections, %d closed by omote (slowest after %s s, %d after more than %.1f s), %d still open; "
              "omote %s; %s" % (name, len(drips), len(lifetimes), "%.2f" % max(lifetimes) if lifetimes else "-", late,
                                limit, still_open, rss.describe(), probe.describe()))
        m = self.stack.omote.metrics()
        H.log("%s: omote_slow_clients_closed_total %s" % (
            name, {k: v for k, v in m.items() if k.startswith("omote_slow_clients_closed_total")} or "(absent)"))
        self.assertEqual(still_open, 0, "connections omote left open")
        self.assertEqual(late, 0, "connections closed later than request_ms + %.0f s" % CLOSE_SLACK_S)
        r = probe.result
        self.assertGreater(r["n"], 0, probe.describe())
        self.assertEqual(r["errors"], 0, probe.describe())
        self.assertLess(r["p99_ms"], NORMAL_P99_MS, probe.describe())

    def h1_head(self):
        return b"GET /slow/head HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\nAccept: */*\r\n\r\n"

    def test_http1_heads_1000(self):
        def make():
            return [Drip(R.RawBytes(self.stack.http_port), b"", self.h1_head()) for _ in range(1000)]
        self.attack("HTTP/1.1 head at 1 byte / 5 s", make)

    def test_http2_heads_200(self):
        port = self.stack.tls_port

        def make():
            drips = []
            block = R.request_block("/slow/h2-head", authority="127.0.0.1:%d" % port)
            frame = R.headers(1, block)
            for i in range(100):
                # a HEADERS frame trickled byte by byte
                drips.append(Drip(R.H2Raw(port, auto_ack=False), R.preface(), frame))
            for i in range(100):
                # a HEADERS frame without END_HEADERS, never continued
                drips.append(Drip(R.H2Raw(port, auto_ack=False),
                                  R.preface() + R.headers(1, block, end_headers=False), b""))
            return drips
        self.attack("HTTP/2 HEADERS trickled or never continued", make)

    def test_slow_bodies_200(self):
        port, tls_port = self.stack.http_port, self.stack.tls_port

        def make():
            drips = []
            for i in range(100):
                head = (b"POST /slow/h1-body HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                        b"Content-Length: 100\r\n\r\n")
                drips.append(Drip(R.RawBytes(port), head, b"b" * 100))
            block = R.request_block("/slow/h2-body", method="POST", authority="127.0.0.1:%d" % tls_port,
                                    extra=[("content-length", "100")])
            for i in range(100):
                drips.append(H2BodyDrip(R.H2Raw(tls_port, auto_ack=False),
                                        R.preface() + R.headers(1, block, end_stream=False), 100))
            return drips
        self.attack("request bodies at 1 byte / 5 s (100 HTTP/1.1, 100 HTTP/2)", make)


class H2BodyDrip(Drip):
    """An HTTP/2 request body sent as one DATA frame of 1 byte every DRIP_EVERY_S: each frame
    whole, the body slow."""

    def __init__(self, conn, opening, length):
        super().__init__(conn, opening, b"")
        self.length = length
        self.sent = 0

    def tick(self, now):
        if self.conn.closed or self.sent >= self.length or now < self.next_at:
            return
        self.sent += 1
        self.conn.send(R.data(1, b"b", end_stream=self.sent == self.length))
        self.next_at = now + DRIP_EVERY_S


# ---- slow readers -----------------------------------------------------------------------

READERS = 1000
READ_PHASE_S = 20.0
READ_BYTES_PER_S = 4096
READER_RSS_MIB = 64.0
# The bound is for omote as shipped. Under AddressSanitizer (scripts/test exports
# ASAN_OPTIONS for that suite only) every allocation carries redzones, shadow memory and a size
# class of its own, and freed memory waits in quarantine, none of which the release build pays.
# Measured on the same run of both builds: 1,000 HTTP/1.1 readers +37 MiB release, +112 MiB
# ASan; HTTP/2 +41 and +67 MiB. The sanitizer suite keeps a bound that still catches the
# unbounded reads this test was written against (+410 MiB release, +664 MiB ASan).
if os.environ.get("ASAN_OPTIONS"):
    READER_RSS_MIB *= 3.5


def each_second(seconds):
    """Yields at the start of every second for `seconds`, however long each round took."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        yield
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))


class SlowReadersTest(unittest.TestCase):
    def setUp(self):
        R.raise_nofile(8192)
        self.stack = H.Stack(tls=True, mutate=mutate, name="slow-read")
        self.addCleanup(self.stack.close)

    def read_slowly(self, conns):
        """Every second, each connection reads at most READ_BYTES_PER_S bytes, for READ_PHASE_S."""
        for _ in each_second(READ_PHASE_S):
            for c in conns:
                if c.closed:
                    continue
                try:
                    chunk = c.sock.recv(READ_BYTES_PER_S)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    c._mark_closed("reset")
                    continue
                if not chunk:
                    c._mark_closed("eof")
                    continue
                c.received_bytes += len(chunk)

    def figures(self, name, conns, rss, probe):
        got = sum(c.received_bytes for c in conns)
        closed = sum(1 for c in conns if c.closed and c.close_reason != "closed by client")
        H.log("%s: %d clients read %.1f MiB in %.0f s (%d closed early); omote %s; %s"
              % (name, len(conns), got / 1048576.0, READ_PHASE_S, closed, rss.describe(), probe.describe()))
        r = probe.result
        self.assertGreater(r["n"], 0, probe.describe())
        self.assertEqual(r["errors"], 0, probe.describe())
        self.assertLess(r["p99_ms"], NORMAL_P99_MS, probe.describe())
        # the readers must have been reading (so omote had something to hold back) and still be
        # short of their pages (so the test measured a stall, not finished downloads)
        self.assertGreater(got, 0)
        self.assertLess(got, len(conns) * PAGE_BYTES / 2)
        self.assertLess(rss.growth_mib, READER_RSS_MIB, rss.describe())

    def test_http1_tiny_receive_window(self):
        port = self.stack.http_port
        req = ("GET /_test/bytes?n=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % PAGE_BYTES).encode()
        with R.Probe(port, "h1") as probe:
            time.sleep(0.5)
            with H.RssSampler(self.stack.omote.pid, max_seconds=300) as rss:
                conns = []
                for _ in range(READERS):
                    c = R.RawConn(port, tls=False, rcvbuf=4096)
                    c.send(req)
                    conns.append(c)
                self.read_slowly(conns)
        for c in conns:
            c.close()
        self.figures("HTTP/1.1 readers, SO_RCVBUF 4096", conns, rss, probe)

    def test_http2_tiny_window(self):
        port = self.stack.tls_port
        per_conn = 10
        with R.Probe(port, "h2") as probe:
            time.sleep(0.5)
            with H.RssSampler(self.stack.omote.pid, max_seconds=300) as rss:
                conns = []
                for _ in range(READERS // per_conn):
                    c = R.H2Raw(port, rcvbuf=4096)
                    # 4 KiB stream windows; the connection window stays at 64 KiB
                    c.start({R.SETTINGS_INITIAL_WINDOW_SIZE: 4096})
                    c.send(b"".join(R.headers(1 + 2 * k, R.request_block("/_test/bytes?n=%d" % PAGE_BYTES,
                                                                         authority="127.0.0.1:%d" % port))
                                    for k in range(per_conn)))
                    conns.append(c)
                self.read_h2_slowly(conns, per_conn)
        for c in conns:
            c.close()
        self.figures("HTTP/2 readers, 4 KiB stream windows (%d connections x %d streams)"
                     % (READERS // per_conn, per_conn), conns, rss, probe)

    def read_h2_slowly(self, conns, per_conn):
        """Each second: read what arrived, then open READ_BYTES_PER_S more of window per
        connection, shared by its streams (and the connection)."""
        for _ in each_second(READ_PHASE_S):
            for c in conns:
                if c.closed:
                    continue
                c.read_available()
                grant = READ_BYTES_PER_S // per_conn
                c.send(R.window_update(0, READ_BYTES_PER_S)
                       + b"".join(R.window_update(1 + 2 * k, grant) for k in range(per_conn)))


if __name__ == "__main__":
    H.main()
