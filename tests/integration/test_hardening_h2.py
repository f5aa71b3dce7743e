#!/usr/bin/python3
"""HTTP/2 stream abuse on one TLS connection (issue 6): Rapid Reset (CVE-2023-44487) and
streams the server is made to reset.

libh2o 2.2.5 lets a client open and cancel streams without limit; each one is a request
omote starts to handle. The defence closes such a connection with GOAWAY
ENHANCE_YOUR_CALM. Every test runs against its own stack with one event-loop thread, so
the normal client shares the attacker's loop: the worst case, and the same on every run.

Figures printed per test: requests that reached the origin, omote's RSS growth, time from
the first batch to the close, and the normal client's p99.
"""

import os
import select
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import h2raw as R  # noqa: E402

STREAMS = 100000
BATCH = 1000  # streams per write
ATTACK_BUDGET_S = 45  # an undefended omote is left to chew on the rest; the test then fails


def run_stream_attack(conn, make_stream, n=STREAMS, batch=BATCH, budget_s=ATTACK_BUDGET_S):
    """Sends make_stream(sid, i) for n client streams (ids 1, 3, 5, ...), `batch` per write,
    reading meanwhile. Stops early when the server closes. Returns (streams sent, highest
    stream id sent, [(first stream id of a batch, time it was handed to the kernel)])."""
    deadline = time.monotonic() + budget_s
    sent = 0
    sid = 1
    batches = []
    while sent < n and not conn.closed and time.monotonic() < deadline:
        count = min(batch, n - sent)
        chunk = b"".join(make_stream(sid + 2 * k, sent + k) for k in range(count))
        conn.send(chunk)
        conn.flush(max(0.1, deadline - time.monotonic()))
        batches.append((sid, time.monotonic()))
        conn.read_available()
        sent += count
        sid += 2 * count
    return sent, sid - 2, batches


def batch_sent_at(batches, sid):
    """When the batch holding stream `sid` was written (None if it never was)."""
    at = None
    for first_sid, t in batches:
        if first_sid > sid:
            break
        at = t
    return at


def settle_count(origin, prefix, quiet_s=1.0, timeout=15.0):
    """Requests under `prefix` that reached the origin, once the count stops moving."""
    def current():
        return sum(v for p, v in origin.count()["by_path"].items() if p.startswith(prefix))
    last = current()
    stable_since = time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = current()
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= quiet_s:
            break
    return last


class StreamAbuseTest(unittest.TestCase):
    def setUp(self):
        self.stack = H.Stack(tls=True, threads=1, name="h2-abuse")
        self.addCleanup(self.stack.close)
        self.prefix = "/abuse-%s/" % uuid.uuid4().hex[:8]
        # a first request warms omote's pool of origin connections, so an attack request
        # can be handed to the origin without waiting for a connect
        with H.H2Conn(self.stack.tls_port) as c:
            self.assertEqual(c.request("GET", "/_test/status?code=200").status, 200)

    def block(self, i, method="GET", extra=()):
        return R.request_block(self.prefix + str(i), method=method, authority="127.0.0.1:%d" % self.stack.tls_port,
                               extra=extra)

    def attack(self, name, make_stream):
        """Runs one attack alongside a normal client; returns a dict of figures."""
        with R.Probe(self.stack.tls_port, "h2") as probe:
            time.sleep(0.5)
            with H.RssSampler(self.stack.omote.pid) as rss:
                conn = R.H2Raw(self.stack.tls_port, timeout=10)
                conn.start()
                sent, last_sid, batches = run_stream_attack(conn, make_stream)
                # a failed send may have noticed the close first: the GOAWAY is still to be read
                conn.drain(5.0)
                conn.close()
            time.sleep(0.5)
        hits = settle_count(self.stack.origin, self.prefix)
        ended = conn.close_reason != "closed by client"
        threshold_at = batch_sent_at(batches, conn.goaway_last_stream) if conn.goaway_last_stream else None
        fig = {"sent": sent, "last_sid": last_sid, "hits": hits, "rss": rss, "probe": probe, "conn": conn,
               "ended": ended,
               "first_to_close": conn.closed_at - batches[0][1] if ended and batches else None,
               "threshold_to_close": conn.closed_at - threshold_at if ended and threshold_at else None}
        H.log("%s: %d streams sent (last id %d) in %.1fs; %d reached the origin; GOAWAY %s (last stream %s); "
              "connection %s %s s after the first batch, %s s after the batch crossing the threshold; omote %s; %s"
              % (name, sent, last_sid, batches[-1][1] - batches[0][1], hits, R.error_name(conn.goaway),
                 conn.goaway_last_stream, conn.close_reason if ended else "left open by omote",
                 _s(fig["first_to_close"]), _s(fig["threshold_to_close"]), rss.describe(), probe.describe()))
        m = self.stack.omote.metrics()
        abuse = {k: v for k, v in m.items() if k.startswith("omote_http2_abuse_total")}
        H.log("%s: omote_http2_abuse_total %s" % (name, abuse or "(absent)"))
        return fig

    def assert_closed_with_calm(self, fig):
        conn = fig["conn"]
        self.assertEqual(conn.goaway, R.ENHANCE_YOUR_CALM,
                         "expected GOAWAY ENHANCE_YOUR_CALM; got %s" % conn.describe())
        self.assertTrue(fig["ended"], "omote did not close the attacking connection: %s" % conn.describe())

    def assert_normal_client_fine(self, fig, p99_ms):
        r = fig["probe"].result
        self.assertGreater(r["n"], 0, fig["probe"].describe())
        self.assertEqual(r["errors"], 0, fig["probe"].describe())
        self.assertLess(r["p99_ms"], p99_ms, fig["probe"].describe())

    # ---- Rapid Reset -------------------------------------------------------------------

    def test_rapid_reset(self):
        """100,000 x (HEADERS END_STREAM + RST_STREAM CANCEL), 1,000 pairs per write."""
        def pair(sid, i):
            return R.headers(sid, self.block(i)) + R.rst_stream(sid, R.CANCEL)

        fig = self.attack("rapid reset", pair)
        self.assertLess(fig["hits"], 500, "requests that reached the origin")
        self.assertLess(fig["rss"].growth_mib, 10.0, fig["rss"].describe())
        self.assert_closed_with_calm(fig)
        self.assert_normal_client_fine(fig, 200.0)

    # ---- streams the server is made to reset ---------------------------------------------

    def assert_server_reset_defence(self, fig):
        self.assertLess(fig["hits"], STREAMS // 100, "requests that reached the origin (limit: 1%)")
        self.assert_closed_with_calm(fig)
        conn = fig["conn"]
        # closed once the threshold was crossed, not after consuming all 100,000 streams
        self.assertIsNotNone(conn.goaway_last_stream)
        self.assertLess(conn.goaway_last_stream, fig["last_sid"], "GOAWAY came only after the last stream")
        self.assertIsNotNone(fig["threshold_to_close"], conn.describe())
        self.assertLessEqual(fig["threshold_to_close"], 1.0,
                             "seconds from writing the stream GOAWAY names as the last one to the close")
        self.assert_normal_client_fine(fig, 200.0)

    def test_window_update_zero(self):
        """HEADERS END_STREAM, then WINDOW_UPDATE of 0 on the stream: a stream error (RFC 9113 §6.9)."""
        fig = self.attack("WINDOW_UPDATE 0", lambda sid, i: R.headers(sid, self.block(i)) + R.window_update(sid, 0))
        self.assert_server_reset_defence(fig)

    def test_data_after_end_stream(self):
        """HEADERS END_STREAM, then DATA on the half-closed stream: STREAM_CLOSED (RFC 9113 §5.1)."""
        fig = self.attack("DATA after END_STREAM",
                          lambda sid, i: R.headers(sid, self.block(i)) + R.data(sid, b"x", end_stream=True))
        self.assert_server_reset_defence(fig)

    def test_data_over_content_length(self):
        """POST with content-length: 1 and 2 bytes of DATA: malformed (RFC 9113 §8.1.1)."""
        def stream(sid, i):
            return (R.headers(sid, self.block(i, "POST", [("content-length", "1")]), end_stream=False)
                    + R.data(sid, b"xy", end_stream=True))

        fig = self.attack("DATA over content-length", stream)
        self.assert_server_reset_defence(fig)


# ---- floods from clients that never read ------------------------------------------------

ATTACKERS = 4
FLOOD_S = 10.0  # how long each attacker keeps writing
CLOSE_WITHIN_S = 5.0  # from the first flood byte
CLOSE_GRACE_S = 3.0  # after the flood, how long the test reads for omote's close
IDLE_MS = 60000  # well past the flood: libh2o's idle timeout must not be what ends an attacker
FLOOD_BATCH_BYTES = 64 * 1024
RCVBUF = 4096


class Attacker:
    """One TLS HTTP/2 connection with a 4 KiB receive buffer that writes `unit` over and
    over and never reads (after the handshake)."""

    def __init__(self, port, opening, unit):
        self.conn = R.H2Raw(port, rcvbuf=RCVBUF, auto_ack=False, timeout=10)
        self.conn.send(R.preface() + opening)
        self.batch = unit * max(1, FLOOD_BATCH_BYTES // len(unit))
        self.batches = 0

    def feed(self):
        if not self.conn.closed and self.conn.pending() < FLOOD_BATCH_BYTES:
            self.conn.send(self.batch)
            self.batches += 1


def run_floods(attackers, seconds):
    """Feeds every attacker for `seconds`, never reading; returns when the time is up or all are closed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(not a.conn.closed for a in attackers):
        poller = select.poll()
        for a in attackers:
            if not a.conn.closed:
                poller.register(a.conn.fileno(), select.POLLOUT)
        for fd, ev in poller.poll(50):
            a = next(a for a in attackers if not a.conn.closed and a.conn.fileno() == fd)
            if ev & (select.POLLERR | select.POLLHUP):
                a.conn._mark_closed("hangup")
            else:
                a.conn._push(None)
                a.feed()


class FloodTest(unittest.TestCase):
    def setUp(self):
        # A PING or SETTINGS flood from a client that never reads makes libh2o stop reading
        # once 512 KiB of ACKs are queued; the connection then looks idle, and only
        # timeouts.http2_idle_ms would end it. The idle timeout is set far beyond the flood
        # so that what ends an attacker here is omote's own defence.
        def mutate(conf):
            conf["timeouts"]["http2_idle_ms"] = IDLE_MS
        self.stack = H.Stack(tls=True, threads=1, mutate=mutate, name="h2-flood")
        self.addCleanup(self.stack.close)

    def flood(self, name, opening, unit):
        port = self.stack.tls_port
        with R.Probe(port, "h2") as probe:
            time.sleep(0.5)
            with H.RssSampler(self.stack.omote.pid) as rss:
                attackers = [Attacker(port, opening, unit) for _ in range(ATTACKERS)]
                started = time.monotonic()
                run_floods(attackers, FLOOD_S)
                flood_end = time.monotonic()
                # now read: whatever omote queued, then its close (or nothing, if it kept the connection)
                for a in attackers:
                    a.conn.drain(max(0.1, flood_end + CLOSE_GRACE_S - time.monotonic()))
            for a in attackers:
                a.conn.close()
        closes = [(a.conn.closed_at - started) if a.conn.input_ended or a.conn.close_reason != "closed by client"
                  else None for a in attackers]
        H.log("%s: %d attackers x %.0f s, %s KiB written each; closed after %s s (%s); GOAWAY %s; omote %s "
              "(%.1f MiB per attacker); %s"
              % (name, ATTACKERS, FLOOD_S, [a.conn.sent_bytes // 1024 for a in attackers],
                 [_s(c) for c in closes], [a.conn.close_reason for a in attackers],
                 [R.error_name(a.conn.goaway) for a in attackers], rss.describe(), rss.growth_mib / ATTACKERS,
                 probe.describe()))
        m = self.stack.omote.metrics()
        H.log("%s: omote_http2_abuse_total %s" % (
            name, {k: v for k, v in m.items() if k.startswith("omote_http2_abuse_total")} or "(absent)"))
        self.assertLess(rss.growth_mib, 8.0 * ATTACKERS, rss.describe())
        for i, c in enumerate(closes):
            self.assertIsNotNone(c, "attacker %d was still open %.0f s after the flood" % (i, CLOSE_GRACE_S))
            self.assertLessEqual(c, CLOSE_WITHIN_S, "seconds from the first flood byte to attacker %d's close" % i)
        r = probe.result
        self.assertGreater(r["n"], 0, probe.describe())
        self.assertEqual(r["errors"], 0, probe.describe())
        self.assertLess(r["p99_ms"], 200.0, probe.describe())

    def test_ping_flood(self):
        self.flood("PING flood", b"", R.ping(b"pingpong"))

    def test_settings_flood(self):
        self.flood("SETTINGS flood", b"", R.settings({}))

    def test_empty_continuation_flood(self):
        opening = R.headers(1, R.request_block("/flood/empty-continuation"), end_stream=True, end_headers=False)
        self.flood("empty CONTINUATION flood", opening, R.continuation(1, b""))

    def test_continuation_flood(self):
        opening = R.headers(1, R.request_block("/flood/continuation"), end_stream=True, end_headers=False)
        fragment = R.header_block([("x-flood", "f" * 1000)])
        self.flood("CONTINUATION flood (1 KB fragments)", opening, R.continuation(1, fragment))


def _s(v):
    return "-" if v is None else "%.2f" % v


if __name__ == "__main__":
    H.main()
