#!/usr/bin/python3
"""Connections (issue 6): caps on open connections and on new connections and requests per
client address, the cost of idle TLS connections, and what TLS offers (ALPN, 0-RTT,
resumption across certificates, checked with `openssl s_client`).

Config keys under test (all in "limits", 0 = off): max_connections,
connections_per_second_per_address + connection_burst_per_address,
requests_per_second_per_address + request_burst_per_address. Metrics:
omote_connections_refused_total{reason="max_connections"|"address_rate"},
omote_requests_rejected_total{reason="address_rate"}.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import h2raw as R  # noqa: E402


def metric(omote, name, reason):
    """Value of name{reason="..."} (0 when absent), whatever other labels it carries."""
    total = 0.0
    for k, v in omote.metrics().items():
        if k.startswith(name + "{") and 'reason="%s"' % reason in k:
            total += v
    return total


def refused_at_once(port, timeout=2.0):
    """Connects, sends a request, and reports whether omote ended the connection within
    `timeout` without answering it (an accepted-and-closed connection)."""
    try:
        c = R.RawBytes(port, timeout=timeout)
    except (ConnectionError, OSError):
        return True
    with c:
        c.send(b"GET /_test/status?code=200 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        # an admitted connection answers at once and stays open: stop waiting as soon as it does,
        # or the attempts would be spread so thinly that the bucket refills between them
        c.wait_for(lambda: c.closed or bytes(c.inbuf).startswith(b"HTTP/1.1 "), timeout)
        return c.input_ended and not bytes(c.inbuf).startswith(b"HTTP/1.1 200")


def get_ok(conn):
    r = conn.request("GET", "/_test/status?code=200")
    return r.status == 200


class ConnectionCapsTest(unittest.TestCase):
    def stack_with(self, **limits):
        def mutate(conf):
            conf["limits"].update({"max_connections": 0, "connections_per_second_per_address": 0,
                                   "connection_burst_per_address": 0, "requests_per_second_per_address": 0,
                                   "request_burst_per_address": 0})
            conf["limits"].update(limits)
        stack = H.Stack(tls=True, mutate=mutate, name="caps")
        self.addCleanup(stack.close)
        return stack

    def test_max_connections(self):
        stack = self.stack_with(max_connections=20)
        held = [H.HTTP1Conn(stack.http_port, timeout=5) for _ in range(20)]
        try:
            self.assertTrue(all(get_ok(c) for c in held))
            refused = [refused_at_once(stack.http_port) for _ in range(5)]
            self.assertEqual(refused, [True] * 5, "connections over max_connections (20) were served")
            self.assertTrue(all(get_ok(c) for c in held), "held connections stopped being served")
        finally:
            for c in held[:10]:
                c.close()
        try:
            # freed slots are usable again
            ok = H.wait_until(lambda: H.http1_request(stack.http_port, "GET", "/_test/status?code=200",
                                                      timeout=2).status == 200, 5)
            self.assertTrue(ok, "no new connection accepted after 10 of 20 closed")
            n = metric(stack.omote, "omote_connections_refused_total", "max_connections")
            H.log("max_connections 20: 5 of 5 extra connections refused; metric %s" % n)
            self.assertGreaterEqual(n, 5)
        finally:
            for c in held[10:]:
                c.close()

    def test_connection_rate_per_address(self):
        stack = self.stack_with(connections_per_second_per_address=2, connection_burst_per_address=5)
        first = H.HTTP1Conn(stack.http_port, timeout=5)
        with first:
            self.assertTrue(get_ok(first))
            refused = sum(refused_at_once(stack.http_port, timeout=1.0) for _ in range(15))
            # burst 5 (one taken by `first`), refilling at 2/s while the 15 attempts run
            H.log("address rate 2/s burst 5: %d of 15 quick connections refused" % refused)
            self.assertGreaterEqual(refused, 5)
            self.assertTrue(get_ok(first), "an established connection stopped being served")
            time.sleep(2.0)  # the bucket refills
            r = H.http1_request(stack.http_port, "GET", "/_test/status?code=200", timeout=5)
            self.assertEqual(r.status, 200)
        n = metric(stack.omote, "omote_connections_refused_total", "address_rate")
        H.log("address rate: metric omote_connections_refused_total{reason=\"address_rate\"} %s" % n)
        self.assertEqual(n, refused)

    def assert_429(self, r):
        self.assertEqual(r.status, 429, r)
        self.assertIsNotNone(r.header("retry-after"), r)
        self.assertGreaterEqual(int(r.header("retry-after")), 1)
        self.assertTrue((r.header("content-type") or "").startswith("application/json"), r)
        self.assertIn("error", json.loads(r.body.decode()))

    def test_request_rate_per_address(self):
        stack = self.stack_with(requests_per_second_per_address=5, request_burst_per_address=10)
        path = "/caps/request-rate"
        statuses = []
        with H.HTTP1Conn(stack.http_port, timeout=5) as c:
            for _ in range(30):
                r = c.request("GET", path)
                statuses.append(r.status)
                if r.status == 429:
                    self.assert_429(r)
        h1_429 = statuses.count(429)
        hits = stack.origin.count()["by_path"].get(path, 0)
        H.log("request rate 5/s burst 10, HTTP/1.1: %d of 30 answered 429; %d reached the origin" % (h1_429, hits))
        self.assertGreaterEqual(h1_429, 10)
        self.assertEqual(hits, 30 - h1_429, "a refused request reached the origin")
        time.sleep(2.5)  # refill
        with H.H2Conn(stack.tls_port, timeout=10) as c:
            sids = [c.start_request([(":method", "GET"), (":scheme", "https"),
                                     (":authority", "127.0.0.1:%d" % stack.tls_port), (":path", path)])
                    for _ in range(30)]
            rs = [c.wait(sid) for sid in sids]
        h2_429 = sum(1 for r in rs if r.status == 429)
        for r in rs:
            if r.status == 429:
                self.assert_429(r)
        H.log("request rate, HTTP/2: %d of 30 streams answered 429" % h2_429)
        self.assertGreaterEqual(h2_429, 10, "HTTP/2 streams must count as requests")
        time.sleep(2.5)
        self.assertEqual(H.http1_request(stack.http_port, "GET", "/_test/status?code=200").status, 200)
        n = metric(stack.omote, "omote_requests_rejected_total", "address_rate")
        self.assertEqual(n, h1_429 + h2_429)


# ---- idle cost ----------------------------------------------------------------------------

IDLE_CONNECTIONS = 10000
IDLE_RSS_MIB = 400.0


class IdleCostTest(unittest.TestCase):
    def test_10000_idle_tls_connections(self):
        # omote does not raise its own RLIMIT_NOFILE (no setrlimit in src/): it inherits ours
        need = IDLE_CONNECTIONS + 1000
        if R.raise_nofile(need + 1000) < need:
            H.skip_or_fail("RLIMIT_NOFILE hard limit below %d" % need)

        def mutate(conf):
            conf["timeouts"]["http2_idle_ms"] = 600000
            H.add_known_limits(conf, max_connections=2 * IDLE_CONNECTIONS, connections_per_second_per_address=0)
        stack = H.Stack(tls=True, mutate=mutate, name="idle")
        self.addCleanup(stack.close)
        omote_limit = _nofile_of(stack.omote.pid)
        self.assertGreaterEqual(omote_limit, need, "omote's RLIMIT_NOFILE")
        before = H.rss_kib(stack.omote.pid)
        conns = []
        t0 = time.monotonic()
        try:
            for i in range(IDLE_CONNECTIONS):
                c = R.H2Raw(stack.tls_port, timeout=10)
                c.start()
                conns.append(c)
            # omote has answered every preface with its SETTINGS: each connection is fully set up
            for c in conns:
                c.wait_for(lambda: c.server_settings or c.frame_counts.get("SettingsFrame"), 10)
            setup_s = time.monotonic() - t0
            time.sleep(2.0)
            alive = sum(1 for c in conns if c.read_available())
            after = H.rss_kib(stack.omote.pid)
        finally:
            for c in conns:
                c.close()
        per_conn = (after - before) / float(IDLE_CONNECTIONS)
        H.log("%d idle TLS HTTP/2 connections (%d still open, set up in %.0f s): omote RSS %d KiB -> %d KiB "
              "(%.1f MiB), %.1f KiB per connection" % (IDLE_CONNECTIONS, alive, setup_s, before, after, after / 1024.0,
                                                       per_conn))
        self.assertEqual(alive, IDLE_CONNECTIONS, "omote closed idle connections")
        self.assertLessEqual(after / 1024.0, IDLE_RSS_MIB)


def _nofile_of(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return 0


# ---- TLS ------------------------------------------------------------------------------------

class TlsTest(unittest.TestCase):
    """ALPN, 0-RTT and resumption, as `openssl s_client` sees them."""

    @classmethod
    def setUpClass(cls):
        cls.openssl = shutil.which("openssl") or H.OPENSSL
        cls.other = {}

        def mutate(conf):
            d = H.make_tempdir("omote-it-cert2-")
            cls.addClassCleanup(H.remove_tempdir, d)
            cert, key = H.make_cert(d)
            cls.other["port"] = H.free_port()
            conf["listen"].append({"address": "127.0.0.1", "port": cls.other["port"],
                                   "tls": {"certificate": cert, "key": key}})
        cls.stack = H.Stack(tls=True, mutate=mutate, name="tls")
        cls.addClassCleanup(cls.stack.close)
        cls.port_a = cls.stack.tls_port
        cls.port_b = cls.other["port"]
        cls.tmp = H.make_tempdir("omote-it-sess-")
        cls.addClassCleanup(H.remove_tempdir, cls.tmp)

    def s_client(self, port, *args, request=True):
        """Runs openssl s_client against 127.0.0.1:port; returns stdout + stderr as text."""
        data = (b"GET /_test/status?code=200 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                if request else b"")
        p = subprocess.run([self.openssl, "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
                            "-ign_eof"] + list(args), input=data, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        return p.stdout.decode("utf-8", "replace")

    # ---- ALPN

    def alpn(self, offer):
        out = self.s_client(self.port_a, "-alpn", offer)
        if "No ALPN negotiated" in out:
            return None, out
        for line in out.splitlines():
            if line.startswith("ALPN protocol:"):
                return line.split(":", 1)[1].strip(), out
        self.fail("s_client output shows neither ALPN result:\n%s" % out[-2000:])

    def test_alpn_h2_and_http11_only(self):
        self.assertEqual(self.alpn("h2")[0], "h2")
        self.assertEqual(self.alpn("http/1.1")[0], "http/1.1")
        self.assertEqual(self.alpn("spdy/3.1,h2c,http/1.1")[0], "http/1.1")
        self.assertEqual(self.alpn("h2c,h2")[0], "h2")

    def test_alpn_unknown_protocols_get_none(self):
        # no protocol in common: the handshake completes without ALPN and omote speaks HTTP/1.1
        for offer in ("h2c", "spdy/3.1", "http/1.0"):
            with self.subTest(offer=offer):
                proto, out = self.alpn(offer)
                self.assertIsNone(proto, out[-2000:])
                self.assertIn("HTTP/1.1 200", out, out[-2000:])

    # ---- 0-RTT and resumption

    def session(self, port, version):
        path = os.path.join(self.tmp, "sess-%d-%s.pem" % (port, version))
        out = self.s_client(port, version, "-sess_out", path)
        self.assertIn("HTTP/1.1 200", out, out[-2000:])
        self.assertTrue(os.path.getsize(path) > 0, "no session written")
        return path

    def resumed(self, port, version, sess, *extra):
        out = self.s_client(port, version, "-sess_in", sess, *extra)
        if "Reused, TLS" in out:
            return True, out
        self.assertIn("New, TLS", out, out[-2000:])
        return False, out

    def test_no_early_data(self):
        sess = self.session(self.port_a, "-tls1_3")
        info = subprocess.run([self.openssl, "sess_id", "-in", sess, "-noout", "-text"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30).stdout.decode()
        H.log("TLS 1.3 session: %s" % [line.strip() for line in info.splitlines() if "Early" in line])
        early = os.path.join(self.tmp, "early.txt")
        with open(early, "wb") as f:
            f.write(b"GET /_test/status?code=200 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        reused, out = self.resumed(self.port_a, "-tls1_3", sess, "-early_data", early)
        lines = [line for line in out.splitlines() if "arly data" in line]
        H.log("s_client -early_data: reused=%s %s" % (reused, lines))
        self.assertTrue(reused, "the session was not resumed, so early data was not really tried")
        self.assertNotIn("Early data was accepted", out)
        self.assertTrue(any("not sent" in line or "rejected" in line for line in lines), lines)
        if "Max Early Data" in info:
            self.assertIn("Max Early Data: 0", info)

    def test_resumption_stays_with_its_certificate(self):
        for version in ("-tls1_3", "-tls1_2"):
            with self.subTest(version=version):
                sess = self.session(self.port_a, version)
                same, out = self.resumed(self.port_a, version, sess)
                self.assertTrue(same, "the same listener did not resume:\n%s" % out[-1500:])
                other, out = self.resumed(self.port_b, version, sess)
                H.log("%s: session of listener A resumed on A: %s, on B (other certificate): %s"
                      % (version, same, other))
                self.assertFalse(other, "a session crossed certificates:\n%s" % out[-1500:])


if __name__ == "__main__":
    H.main()
