"""Raw HTTP/2 (and raw HTTP/1.1 byte) client for the hardening tests.

harness.H2Conn speaks HTTP/2 through the `h2` package, which refuses to send what a
well-behaved client never would. The attacks of issue 6 need exactly that: thousands of
HEADERS + RST_STREAM pairs in one write, WINDOW_UPDATE of 0, DATA after END_STREAM,
endless CONTINUATION frames, header blocks with uppercase names. This module writes the
frames itself (python3-hyperframe for framing, python3-hpack for header blocks) and
enforces no protocol rule on what the test asks it to send.

Transport: a non-blocking socket to 127.0.0.1, TLS through ssl.SSLObject over memory BIOs
(so writing and reading happen on one thread, driven by poll, and a connection can be
made never to read), or cleartext. Every wait takes a deadline.

  frames:   preface(), settings(), headers(), continuation(), data(), rst_stream(),
            window_update(), ping(), goaway(): each returns the frame's bytes, so a test
            can join thousands of them into one write.
  blocks:   header_block(), request_block(): stateless HPACK (literals never indexed),
            so blocks can be built once and reused on any connection.
  RawConn:  bytes over TCP or TLS; send() queues, flush() pushes (reading meanwhile unless
            told not to), closed / close_reason / closed_at record how the server ended it.
  H2Raw:    RawConn that decodes what comes back: GOAWAY (code, last stream id),
            RST_STREAM per stream, response headers per stream, SETTINGS and PING ACKs.
  Fleet:    many RawConns on one poll loop, for the slow-client tests.
"""

import errno
import json
import math
import os
import select
import socket
import ssl
import subprocess
import sys
import time

import hpack
import hyperframe.frame as hf

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# RFC 9113 §7 error codes
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
STREAM_CLOSED = 0x5
FRAME_SIZE_ERROR = 0x6
REFUSED_STREAM = 0x7
CANCEL = 0x8
COMPRESSION_ERROR = 0x9
ENHANCE_YOUR_CALM = 0xB

# RFC 9113 §6.5.2 setting identifiers
SETTINGS_HEADER_TABLE_SIZE = 0x1
SETTINGS_ENABLE_PUSH = 0x2
SETTINGS_MAX_CONCURRENT_STREAMS = 0x3
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
SETTINGS_MAX_FRAME_SIZE = 0x5

ERROR_NAMES = {0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
               0x4: "SETTINGS_TIMEOUT", 0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM",
               0x8: "CANCEL", 0x9: "COMPRESSION_ERROR", 0xA: "CONNECT_ERROR", 0xB: "ENHANCE_YOUR_CALM",
               0xC: "INADEQUATE_SECURITY", 0xD: "HTTP_1_1_REQUIRED"}


def error_name(code):
    return ERROR_NAMES.get(code, "0x%x" % code) if code is not None else "none"


# ---------------------------------------------------------------------------
# header blocks

_encoder = hpack.Encoder()


def header_block(headers):
    """HPACK block for [(name, value)], exactly as given (no lower-casing, no validation).

    Every field is a never-indexed literal, so the block leaves no dynamic-table state
    behind: blocks can be prebuilt, reused, concatenated or split at any byte."""
    fields = [(k.encode("latin-1") if isinstance(k, str) else k, v.encode("latin-1") if isinstance(v, str) else v,
               True) for k, v in headers]
    return _encoder.encode(fields, huffman=False)


def request_block(path, method="GET", authority="127.0.0.1", scheme="https", extra=()):
    return header_block([(":method", method), (":scheme", scheme), (":authority", authority), (":path", path)]
                        + list(extra))


# ---------------------------------------------------------------------------
# frames (bytes)

def preface(settings_values=None):
    """Client connection preface followed by the client's SETTINGS frame."""
    return PREFACE + settings(settings_values)


def settings(values=None, ack=False):
    f = hf.SettingsFrame(0)
    if ack:
        f.flags.add("ACK")
    else:
        f.settings = dict(values or {})
    return f.serialize()


def headers(sid, block, end_stream=True, end_headers=True):
    f = hf.HeadersFrame(sid)
    f.data = block
    if end_stream:
        f.flags.add("END_STREAM")
    if end_headers:
        f.flags.add("END_HEADERS")
    return f.serialize()


def continuation(sid, block=b"", end_headers=False):
    f = hf.ContinuationFrame(sid)
    f.data = block
    if end_headers:
        f.flags.add("END_HEADERS")
    return f.serialize()


def data(sid, payload, end_stream=False):
    f = hf.DataFrame(sid)
    f.data = payload
    if end_stream:
        f.flags.add("END_STREAM")
    return f.serialize()


def rst_stream(sid, code=CANCEL):
    f = hf.RstStreamFrame(sid)
    f.error_code = code
    return f.serialize()


def window_update(sid, increment):
    """Built by hand: hyperframe refuses an increment of 0, which is the point of some tests."""
    return (4).to_bytes(3, "big") + b"\x08\x00" + sid.to_bytes(4, "big") + (increment & 0x7FFFFFFF).to_bytes(4, "big")


def ping(payload=b"\0" * 8, ack=False):
    f = hf.PingFrame(0)
    f.opaque_data = payload
    if ack:
        f.flags.add("ACK")
    return f.serialize()


def goaway(last_sid=0, code=NO_ERROR, debug=b""):
    f = hf.GoAwayFrame(0)
    f.last_stream_id = last_sid
    f.error_code = code
    f.additional_data = debug
    return f.serialize()


# ---------------------------------------------------------------------------
# transport

class RawConn:
    """A non-blocking connection to 127.0.0.1:port, cleartext or TLS.

    send() queues bytes; flush() pushes them into the kernel, reading whatever arrives
    meanwhile unless read=False. When the server ends the connection, `closed` is set with
    `close_reason` ("eof", "reset", "send-error ...") and `closed_at` (time.monotonic()).
    Subclasses receive plaintext through on_bytes()."""

    def __init__(self, port, tls=True, alpn=("h2",), rcvbuf=None, sndbuf=None, timeout=10.0, server_hostname="localhost",
                 connect=True):
        self.port = port
        self.tls = tls
        self.alpn = alpn
        self.timeout = timeout
        self.rcvbuf = rcvbuf
        self.sndbuf = sndbuf
        self.server_hostname = server_hostname
        self.sock = None
        self.ssl = None
        self.selected_alpn = None
        self._out = bytearray()  # bytes ready for the socket (ciphertext under TLS)
        self.sent_bytes = 0  # plaintext bytes accepted by send()
        self.received_bytes = 0  # plaintext bytes received
        self.closed = False
        self.close_reason = None
        self.closed_at = None
        self.input_ended = False  # EOF or reset read from the socket
        self.opened_at = None
        if connect:
            self.connect()

    # ---- set-up

    def connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # buffer sizes only take full effect when set before connect (the window is announced in the SYN)
        if self.rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        if self.sndbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(self.timeout)
        s.connect(("127.0.0.1", self.port))
        s.setblocking(False)
        self.sock = s
        self.opened_at = time.monotonic()
        if self.tls:
            self._handshake(time.monotonic() + self.timeout)

    def _handshake(self, deadline):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if self.alpn:
            ctx.set_alpn_protocols(list(self.alpn))
        self._in_bio = ssl.MemoryBIO()
        self._out_bio = ssl.MemoryBIO()
        self.ssl = ctx.wrap_bio(self._in_bio, self._out_bio, server_side=False, server_hostname=self.server_hostname)
        while True:
            try:
                self.ssl.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._move_ciphertext_out()
                self._push(deadline)
                if not self._wait(select.POLLIN, deadline):
                    raise TimeoutError("TLS handshake did not finish in time")
                if not self._pull_ciphertext():
                    raise ConnectionError("connection closed during the TLS handshake (%s)" % self.close_reason)
        self._move_ciphertext_out()
        self._push(deadline)
        self.selected_alpn = self.ssl.selected_alpn_protocol()

    def fileno(self):
        return self.sock.fileno()

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None
        if not self.closed:
            self._mark_closed("closed by client")

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def _mark_closed(self, reason):
        if not self.closed:
            self.closed = True
            self.close_reason = reason
            self.closed_at = time.monotonic()

    # ---- writing

    def send(self, data):
        """Queues `data` and writes what the kernel takes now, without blocking."""
        if self.closed:
            return
        self.sent_bytes += len(data)
        if self.ssl is not None:
            self.ssl.write(data)
            self._move_ciphertext_out()
        else:
            self._out += data
        self._push(None)

    def pending(self):
        """Bytes queued but not yet taken by the kernel."""
        return len(self._out)

    def _move_ciphertext_out(self):
        if self.ssl is not None:
            chunk = self._out_bio.read()
            if chunk:
                self._out += chunk

    def _push(self, deadline):
        """Writes queued bytes until the kernel refuses more (deadline None) or all are written."""
        while self._out and not self.closed:
            try:
                n = self.sock.send(self._out)
            except (BlockingIOError, InterruptedError):
                if deadline is None or not self._wait(select.POLLOUT, deadline):
                    return
                continue
            except OSError as e:
                self._mark_closed("send-error %s" % errno.errorcode.get(e.errno, e.errno))
                return
            del self._out[:n]

    def flush(self, timeout=None, read=True):
        """Blocks until every queued byte is in the kernel, the connection closes, or `timeout`
        passes (returns False then). Reads meanwhile unless read=False (a client that never reads)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while self._out and not self.closed:
            events = select.POLLOUT | (select.POLLIN if read else 0)
            ev = self._poll(events, deadline)
            if ev is None:
                return False
            if ev & select.POLLIN and read:
                self.read_available()
            if ev & (select.POLLOUT | select.POLLERR | select.POLLHUP):
                self._push(None)
        return not self._out

    # ---- reading

    def _poll(self, events, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        p = select.poll()
        p.register(self.sock, events)
        got = p.poll(min(remaining, 1.0) * 1000)
        return got[0][1] if got else 0

    def _wait(self, events, deadline):
        while True:
            ev = self._poll(events, deadline)
            if ev is None:
                return False
            if ev:
                return True

    def _pull_ciphertext(self):
        """Moves what the kernel holds into the TLS input BIO (or plaintext straight to on_bytes).
        Returns False once the server has closed."""
        while True:
            try:
                chunk = self.sock.recv(256 * 1024)
            except (BlockingIOError, InterruptedError):
                return True
            except ConnectionResetError:
                self.input_ended = True
                self._mark_closed("reset")
                return False
            except OSError as e:
                self.input_ended = True
                self._mark_closed("recv-error %s" % errno.errorcode.get(e.errno, e.errno))
                return False
            if not chunk:
                self.input_ended = True
                if self.ssl is not None:
                    self._in_bio.write_eof()
                self._mark_closed("eof")
                return False
            if self.ssl is not None:
                self._in_bio.write(chunk)
            else:
                self.received_bytes += len(chunk)
                self.on_bytes(chunk)
            if len(chunk) < 256 * 1024:
                return True

    def read_available(self):
        """Reads and processes whatever has arrived, without blocking. Returns False once closed."""
        if self.sock is None:
            return False
        alive = self._pull_ciphertext()
        if self.ssl is not None:
            while True:
                try:
                    plain = self.ssl.read(256 * 1024)
                except ssl.SSLWantReadError:
                    break
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    self._mark_closed("eof")
                    alive = False
                    break
                except ssl.SSLError as e:
                    self._mark_closed("tls-error %s" % e.reason)
                    alive = False
                    break
                if not plain:
                    break
                self.received_bytes += len(plain)
                self.on_bytes(plain)
            # reading may have produced TLS bytes to send (key updates, alerts)
            self._move_ciphertext_out()
        return alive and not self.closed

    def pump(self, timeout):
        """Waits up to `timeout` for input and processes it; also pushes queued output."""
        if self.closed:
            return False
        deadline = time.monotonic() + timeout
        events = select.POLLIN | (select.POLLOUT if self._out else 0)
        ev = self._poll(events, deadline)
        if ev:
            if ev & select.POLLOUT:
                self._push(None)
            return self.read_available()
        return not self.closed

    def wait_for(self, pred, timeout):
        """Reads until pred() is true, the connection closes, or `timeout` passes. Returns pred()."""
        deadline = time.monotonic() + timeout
        while not pred() and not self.closed and time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())
        return pred()

    def wait_closed(self, timeout):
        """Reads (and discards what subclasses do not keep) until the server closes. Returns closed."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())
        return self.closed

    def drain(self, timeout):
        """Reads until the server's side ends (EOF or reset), even after a failed send already
        marked the connection closed: a GOAWAY can still sit unread in the kernel. Returns
        True once the end was read."""
        deadline = time.monotonic() + timeout
        while self.sock is not None and not self.input_ended and time.monotonic() < deadline:
            ev = self._poll(select.POLLIN, deadline)
            if ev is None:
                break
            if ev:
                self.read_available()
        return self.input_ended

    def on_bytes(self, data):
        pass


class RawBytes(RawConn):
    """Keeps what the server sends (for HTTP/1.1 bytes, TLS or not)."""

    def __init__(self, port, tls=False, **kw):
        self.inbuf = bytearray()
        kw.setdefault("alpn", ("http/1.1",) if tls else None)
        super().__init__(port, tls=tls, **kw)

    def on_bytes(self, data):
        self.inbuf += data


# ---------------------------------------------------------------------------
# HTTP/2

class H2Raw(RawConn):
    """Exact HTTP/2 frames out; decoded frames in.

    What arrives is recorded: goaway (error code), goaway_last_stream, resets {sid: code},
    responses {sid: [(name, value)]} (response header blocks, decoded), data_bytes {sid: n},
    settings_acks, ping_acks, frame_counts {type name: n}. Server SETTINGS are acknowledged
    as they arrive unless auto_ack=False. When keep_frames is true every decoded frame is
    also appended to `frames`."""

    def __init__(self, port, tls=True, auto_ack=True, keep_frames=False, **kw):
        self.auto_ack = auto_ack
        self.keep_frames = keep_frames
        self.frames = []
        self._inbuf = bytearray()
        self._decoder = hpack.Decoder()
        self._decoder.max_header_list_size = 1 << 24
        self._header_sid = None
        self._header_frag = bytearray()
        self.goaway = None
        self.goaway_last_stream = None
        self.goaway_debug = b""
        self.goaway_at = None
        self.resets = {}
        self.responses = {}
        self.ended = set()
        self.data_bytes = {}
        self.settings_acks = 0
        self.ping_acks = 0
        self.server_settings = {}
        self.frame_counts = {}
        self.decode_error = None
        kw.setdefault("alpn", ("h2",) if tls else None)
        super().__init__(port, tls=tls, **kw)
        if tls and self.selected_alpn != "h2":
            self.close()
            raise AssertionError("ALPN selected %r, not h2" % self.selected_alpn)

    def start(self, settings_values=None, window=None):
        """Sends the preface and SETTINGS (plus a connection WINDOW_UPDATE when `window` is given)."""
        out = preface(settings_values)
        if window:
            out += window_update(0, window)
        self.send(out)

    def status(self, sid):
        for k, v in self.responses.get(sid, ()):
            if k == ":status":
                return int(v)
        return None

    def on_bytes(self, chunk):
        self._inbuf += chunk
        buf = self._inbuf
        pos = 0
        while len(buf) - pos >= 9:
            length = int.from_bytes(buf[pos:pos + 3], "big")
            if len(buf) - pos < 9 + length:
                break
            try:
                frame, _ = hf.Frame.parse_frame_header(memoryview(buf[pos:pos + 9]))
                frame.parse_body(memoryview(bytes(buf[pos + 9:pos + 9 + length])))
            except Exception as e:  # noqa: BLE001 - a frame we cannot parse is recorded, not fatal
                self.decode_error = "%s at byte %d" % (e, self.received_bytes)
                pos += 9 + length
                continue
            pos += 9 + length
            self._on_frame(frame)
        del buf[:pos]

    def _on_frame(self, f):
        name = type(f).__name__
        self.frame_counts[name] = self.frame_counts.get(name, 0) + 1
        if self.keep_frames:
            self.frames.append(f)
        if isinstance(f, hf.GoAwayFrame):
            self.goaway = f.error_code
            self.goaway_last_stream = f.last_stream_id
            self.goaway_debug = f.additional_data
            if self.goaway_at is None:
                self.goaway_at = time.monotonic()
        elif isinstance(f, hf.RstStreamFrame):
            self.resets[f.stream_id] = f.error_code
        elif isinstance(f, hf.SettingsFrame):
            if "ACK" in f.flags:
                self.settings_acks += 1
            else:
                self.server_settings.update(f.settings)
                if self.auto_ack and not self.closed:
                    self.send(settings(ack=True))
        elif isinstance(f, hf.PingFrame):
            if "ACK" in f.flags:
                self.ping_acks += 1
            elif self.auto_ack and not self.closed:
                self.send(ping(f.opaque_data, ack=True))
        elif isinstance(f, (hf.HeadersFrame, hf.ContinuationFrame)):
            if isinstance(f, hf.HeadersFrame):
                self._header_sid = f.stream_id
                self._header_frag = bytearray()
            self._header_frag += f.data
            if "END_HEADERS" in f.flags:
                try:
                    hdrs = [(k.decode("latin-1"), v.decode("latin-1"))
                            for k, v in self._decoder.decode(bytes(self._header_frag), raw=True)]
                except Exception as e:  # noqa: BLE001
                    self.decode_error = "HPACK: %s" % e
                    hdrs = []
                if self._header_sid in self.responses:
                    self.responses[self._header_sid] += hdrs  # trailers
                else:
                    self.responses[self._header_sid] = hdrs
            if "END_STREAM" in f.flags:
                self.ended.add(f.stream_id)
        elif isinstance(f, hf.DataFrame):
            self.data_bytes[f.stream_id] = self.data_bytes.get(f.stream_id, 0) + len(f.data)
            if "END_STREAM" in f.flags:
                self.ended.add(f.stream_id)

    def wait_stream(self, sid, timeout):
        """Waits until `sid` has ended, was reset, or lies beyond a GOAWAY's last stream id."""
        def done():
            return (sid in self.ended or sid in self.resets
                    or (self.goaway_last_stream is not None and sid > self.goaway_last_stream))
        return self.wait_for(done, timeout)

    def describe(self):
        return ("goaway=%s last_stream=%s resets=%d responses=%d closed=%s (%s) frames=%s"
                % (error_name(self.goaway), self.goaway_last_stream, len(self.resets), len(self.responses),
                   self.closed, self.close_reason, self.frame_counts))


# ---------------------------------------------------------------------------
# many connections on one loop

class Fleet:
    """Many RawConns on one poll loop: reads what arrives (so closes are seen when they
    happen) and sends scheduled bytes. Used by the slow-client tests."""

    def __init__(self, conns=()):
        self.conns = list(conns)

    def add(self, conn):
        self.conns.append(conn)

    def open(self):
        return [c for c in self.conns if not c.closed]

    def run(self, until, tick=None, read=True, poll_ms=100):
        """Polls every open connection until time.monotonic() >= until or all are closed.
        tick(now) is called about every poll_ms; read=False leaves input unread (closes are
        then noticed only through failed sends)."""
        poller = select.poll()
        registered = {}
        for c in self.open():
            fd = c.fileno()
            registered[fd] = c
            poller.register(fd, select.POLLIN if read else 0)
        while registered and time.monotonic() < until:
            wait_ms = max(0, min(poll_ms, int((until - time.monotonic()) * 1000)))
            for fd, ev in poller.poll(wait_ms):
                c = registered.get(fd)
                if c is None:
                    continue
                if ev & (select.POLLIN | select.POLLERR | select.POLLHUP) and read:
                    c.read_available()
                elif ev & (select.POLLERR | select.POLLHUP) and not read:
                    c._mark_closed("hangup")
            if tick is not None:
                tick(time.monotonic())
            for fd in [fd for fd, c in registered.items() if c.closed]:
                poller.unregister(fd)
                del registered[fd]

    def close_all(self):
        for c in self.conns:
            c.close()


def raise_nofile(wanted):
    """Raises this process's RLIMIT_NOFILE soft limit to min(wanted, hard); children inherit it.
    Returns the new soft limit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def percentile(values, p):
    """p-th percentile (0..100) by nearest rank; None for no values."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s)) - 1))
    return s[k]


# ---------------------------------------------------------------------------
# a normal client running alongside an attack

class Probe:
    """A well-behaved client in a process of its own (so the attacking loop in the test
    process cannot slow it down): sequential GETs of `path` over one HTTP/2 TLS connection
    ("h2") or one keep-alive HTTP/1.1 connection ("h1"), `pause` seconds apart, each with a
    5 s timeout, reconnecting after an error. Use as a context manager; afterwards
    `result` holds n, errors, p50_ms, p99_ms, max_ms and a few error samples."""

    def __init__(self, port, proto="h2", path="/_test/status?code=200", pause=0.02, workdir=None):
        import harness as H
        self._H = H
        self.workdir = workdir or H.make_tempdir("omote-probe-")
        self._own_dir = workdir is None
        self.stop_file = os.path.join(self.workdir, "probe-%d.stop" % id(self))
        self.out_file = os.path.join(self.workdir, "probe-%d.json" % id(self))
        self.argv = [sys.executable, os.path.abspath(__file__), "probe", str(port), proto, path, str(pause),
                     self.stop_file]
        self.proc = None
        self.result = None

    def __enter__(self):
        with open(self.out_file, "wb") as out:
            self.proc = self._H.spawn(self.argv, stdout=out, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *a):
        with open(self.stop_file, "w"):
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            pass
        self._H.stop(self.proc)
        text = self._H.read_text(self.out_file)
        try:
            self.result = json.loads(text.strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.result = {"n": 0, "errors": 1, "p50_ms": None, "p99_ms": None, "max_ms": None,
                           "samples": ["probe output unreadable: %r" % text[-500:]]}
        if self._own_dir:
            self._H.remove_tempdir(self.workdir)

    def describe(self):
        r = self.result
        return "normal %s client: %d requests, %d errors, p50 %s ms, p99 %s ms, max %s ms%s" % (
            self.argv[4], r["n"], r["errors"], _fmt(r["p50_ms"]), _fmt(r["p99_ms"]), _fmt(r["max_ms"]),
            (" (e.g. %s)" % r["samples"][:3]) if r["errors"] else "")


def _fmt(ms):
    return "-" if ms is None else "%.1f" % ms


def _probe_main(port, proto, path, pause, stop_file):
    import harness as H
    times, errors, samples = [], 0, []
    conn = None
    while not os.path.exists(stop_file):
        t0 = time.monotonic()
        try:
            if conn is None:
                conn = H.H2Conn(port, timeout=5) if proto == "h2" else H.HTTP1Conn(port, timeout=5)
            r = conn.request("GET", path, timeout=5) if proto == "h2" else conn.request("GET", path)
            if r.status != 200:
                raise AssertionError("status %s" % r.status)
            times.append((time.monotonic() - t0) * 1000.0)
            if proto == "h1" and r.closed:
                conn.close()
                conn = None
        except Exception as e:  # noqa: BLE001 - every failure is counted and sampled
            errors += 1
            if len(samples) < 10:
                samples.append("%s: %s" % (type(e).__name__, e))
            if conn is not None:
                conn.close()
            conn = None
        time.sleep(pause)
    if conn is not None:
        conn.close()
    print(json.dumps({"n": len(times) + errors, "errors": errors, "p50_ms": percentile(times, 50),
                      "p99_ms": percentile(times, 99), "max_ms": max(times) if times else None,
                      "samples": samples}), flush=True)


if __name__ == "__main__" and len(sys.argv) == 7 and sys.argv[1] == "probe":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    _probe_main(int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6])
