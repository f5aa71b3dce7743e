#!/usr/bin/env python3
"""omote test/demo origin server.

Python 3 standard library only. Speaks HTTP/1.1 with keep-alive; every
response is framed by Content-Length or chunked encoding (HTTP/1.0 clients get
close-delimited bodies where chunked would otherwise be used).

It serves a directory statically (the demo shop by default) and offers test
endpoints under /_test/. See tests/origin/README.md for the full list.

Usage:
    python3 tests/origin/origin.py [--host 127.0.0.1] [--port 8081]
                                   [--root DIR] [--ready-file PATH] [--quiet]
"""

import argparse
import email.utils
import gzip
import hashlib
import http.client
import http.server
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import zlib

# Proxies under test may forward many headers; the stdlib default is 100.
http.client._MAXHEADERS = 1000

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_ROOT = os.path.join(REPO_ROOT, "config", "demo-site")

MAX_BYTES = 1 << 30          # /_test/bytes and /_test/chunked total limit (1 GiB)
WRITE_SIZE = 64 * 1024       # streaming write size
MAX_SLEEP_MS = 10 * 60 * 1000
FORM_LIMIT = 1 << 20         # bodies kept in memory for the form endpoints

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".mjs": "application/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
    ".wasm": "application/wasm",
}

# /_test/chunked without parameters sends exactly these chunks, in order, each
# as one chunk. The full body is therefore, byte for byte (46 bytes):
#   b"omote-chunk-1\nomote-chunk-2\n\xe7\x85\x8e\xe8\x8c\xb6\n0123456789\n"
# i.e. "omote-chunk-1\n" "omote-chunk-2\n" "煎茶\n" (UTF-8) "0123456789\n".
DEFAULT_CHUNKS = [
    b"omote-chunk-1\n",
    b"omote-chunk-2\n",
    "煎茶\n".encode("utf-8"),
    b"0123456789\n",
]
DEFAULT_CHUNKED_BODY = b"".join(DEFAULT_CHUNKS)

# /_test/slow-body sends FIRST immediately, sleeps, then SECOND.
SLOW_BODY_FIRST = b"slow-body: first part\n"
SLOW_BODY_SECOND = b"slow-body: second part\n"

# /_test/set-cookie sends these Set-Cookie headers, in this order.
SET_COOKIES = [
    "sid=s3ss10n-0m0te; Path=/; HttpOnly; SameSite=Lax",
    "lang=ja; Path=/; Max-Age=31536000",
    "cart=empty; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Secure",
    "_ga=GA1.1.1234567890.1700000000; Path=/; Domain=127.0.0.1; Max-Age=63072000; SameSite=Lax",
    "_fbp=fb.1.1700000000000.1234567890; Path=/; Max-Age=7776000; SameSite=Lax",
]

# Pattern for /_test/bytes: byte i = i % 251. Slicing at offset (o % 251)
# yields the bytes for absolute offsets o .. o+WRITE_SIZE-1.
_PATTERN = bytes(range(251)) * (WRITE_SIZE // 251 + 2)
_PATTERN_VIEW = memoryview(_PATTERN)


class BadRequest(Exception):
    pass


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.total = 0
        self.by_path = {}

    def hit(self, path):
        with self.lock:
            self.total += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1

    def snapshot(self):
        with self.lock:
            return {"requests": self.total, "by_path": dict(self.by_path)}

    def reset(self):
        with self.lock:
            self.total = 0
            self.by_path = {}


class OriginServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, root, quiet):
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        self.root = os.path.realpath(root)
        self.quiet = quiet
        self.counter = Counter()
        super().__init__(addr, handler)


def _int_param(query, name, default, lo, hi):
    values = query.get(name)
    if not values:
        if default is None:
            raise BadRequest("missing parameter %s" % name)
        return default
    try:
        v = int(values[0], 10)
    except ValueError:
        raise BadRequest("parameter %s must be an integer" % name)
    if v < lo or v > hi:
        raise BadRequest("parameter %s must be in [%d, %d]" % (name, lo, hi))
    return v


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # head and body leave in separate writes; with Nagle on, the body would wait for the delayed
    # ACK of the head (about 40 ms), which is this test origin's cost, not omote's
    disable_nagle_algorithm = True
    server_version = "omote-test-origin/1.0"
    sys_version = ""
    timeout = 300  # idle keep-alive / stalled peer limit, seconds

    # ---- plumbing -------------------------------------------------------

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            sys.stderr.write("origin: %s %s\n" % (self.address_string(), fmt % args))

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    def __getattr__(self, name):
        # Every method (GET, POST, PURGE, ...) goes to dispatch().
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def _send(self, code, body=b"", ctype="text/plain; charset=utf-8", headers=(), head_only=None):
        if head_only is None:
            head_only = self.command == "HEAD"
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if code in (204, 304) or 100 <= code < 200:
            self.end_headers()
            return
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only and body:
            self.wfile.write(body)

    def _send_json(self, code, obj, headers=()):
        body = (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")
        self._send(code, body, "application/json", headers=headers)

    def _error(self, code, msg, close=False):
        if close:
            self.close_connection = True
        hdrs = [("Connection", "close")] if close else []
        self._send(code, ("%d %s\n" % (code, msg)).encode("utf-8"), headers=hdrs)

    def _readline(self):
        line = self.rfile.readline(65537)
        if len(line) > 65536:
            raise BadRequest("chunk header line too long")
        if not line:
            raise BadRequest("unexpected end of request body")
        return line

    def _read_body(self, sink, keep_limit=0):
        """Read the request body per Transfer-Encoding/Content-Length.

        Calls sink(bytes) for each piece. Returns the bytes kept in memory
        (at most keep_limit bytes, for the form endpoints)."""
        kept = []
        kept_len = 0

        def feed(data):
            nonlocal kept_len
            sink(data)
            if kept_len < keep_limit:
                kept.append(data[: keep_limit - kept_len])
                kept_len += len(kept[-1])

        te = self.headers.get_all("Transfer-Encoding") or []
        codings = [c.strip().lower() for v in te for c in v.split(",") if c.strip()]
        if codings:
            if codings[-1] != "chunked" or len(codings) != 1:
                raise BadRequest("unsupported Transfer-Encoding")
            while True:
                line = self._readline()
                size_s = line.split(b";", 1)[0].strip()
                if not re.fullmatch(rb"[0-9A-Fa-f]{1,15}", size_s):
                    raise BadRequest("bad chunk size")
                size = int(size_s, 16)
                if size == 0:
                    while self._readline() not in (b"\r\n", b"\n"):
                        pass  # trailer fields are read and dropped
                    break
                left = size
                while left:
                    data = self.rfile.read(min(left, WRITE_SIZE))
                    if not data:
                        raise BadRequest("unexpected end of chunked body")
                    feed(data)
                    left -= len(data)
                if self._readline() not in (b"\r\n", b"\n"):
                    raise BadRequest("missing CRLF after chunk data")
        else:
            cls = self.headers.get_all("Content-Length") or []
            if cls:
                vals = {v.strip() for c in cls for v in c.split(",")}
                if len(vals) != 1 or not re.fullmatch(r"[0-9]{1,18}", next(iter(vals))):
                    raise BadRequest("bad Content-Length")
                left = int(next(iter(vals)))
                while left:
                    data = self.rfile.read(min(left, WRITE_SIZE))
                    if not data:
                        raise BadRequest("unexpected end of body")
                    feed(data)
                    left -= len(data)
        return b"".join(kept)

    # ---- dispatch -------------------------------------------------------

    def dispatch(self):
        raw = self.path
        target = raw
        if not target.startswith("/"):
            # absolute-form (proxy style) request target
            parts = urllib.parse.urlsplit(target)
            target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        path, _, qs = target.partition("?")
        query = urllib.parse.parse_qs(qs, keep_blank_values=True)

        if path not in ("/_test/count", "/_test/reset"):
            self.server.counter.hit(path)

        route = self.ROUTES.get(path)
        hasher = hashlib.sha256()
        total = [0]

        def sink(data):
            hasher.update(data)
            total[0] += len(data)

        if path == "/_test/early":
            # answers before reading the request body, then closes, as an origin refusing an upload does
            self.close_connection = True
            self._send(413, b"too large, not read\n", headers=[("Connection", "close")])
            return

        try:
            keep = FORM_LIMIT if route in ("form_cart", "form_newsletter") else 0
            body = self._read_body(sink, keep)
        except BadRequest as e:
            self._error(400, str(e), close=True)
            return
        except (ValueError, OSError):
            self.close_connection = True
            return

        try:
            if route is None:
                if path.startswith("/_test/"):
                    self._error(404, "unknown test endpoint")
                else:
                    self.serve_static(path)
                return
            getattr(self, route)(
                query=query, path=path, raw=raw, body=body,
                body_len=total[0], body_sha256=hasher.hexdigest())
        except BadRequest as e:
            self._error(400, str(e))

    # ---- test endpoints -------------------------------------------------

    def t_echo(self, raw, body_len, body_sha256, **_):
        self._send_json(200, {
            "method": self.command,
            "path": raw,
            "version": self.request_version,
            "headers": [[k, v.strip()] for k, v in self.headers.items()],
            "body_len": body_len,
            "body_sha256": body_sha256,
        })

    def t_slow(self, query, **_):
        ms = _int_param(query, "ms", 1000, 0, MAX_SLEEP_MS)
        time.sleep(ms / 1000.0)
        self._send(200, ("slept %d ms\n" % ms).encode())

    def t_slow_body(self, query, **_):
        ms = _int_param(query, "ms", 1000, 0, MAX_SLEEP_MS)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(SLOW_BODY_FIRST) + len(SLOW_BODY_SECOND)))
        self.end_headers()
        if self.command == "HEAD":
            return
        self.wfile.write(SLOW_BODY_FIRST)
        time.sleep(ms / 1000.0)
        self.wfile.write(SLOW_BODY_SECOND)

    def t_chunked(self, query, **_):
        if "n" in query or "size" in query:
            n = _int_param(query, "n", 4, 0, MAX_BYTES)
            size = _int_param(query, "size", 1024, 1, 16 << 20)
            if n * size > MAX_BYTES:
                raise BadRequest("n*size must be at most %d" % MAX_BYTES)
            # chunk k (0-based) is `size` copies of the byte b"a"[0] + k % 26
            chunks = (bytes([97 + k % 26]) * size for k in range(n))
        else:
            chunks = iter(DEFAULT_CHUNKS)
        delay = _int_param(query, "ms", 0, 0, MAX_SLEEP_MS) / 1000.0
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        http10 = self.request_version == "HTTP/1.0"
        if http10:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        first = True
        for c in chunks:
            if delay and not first:
                time.sleep(delay)
            first = False
            if http10:
                self.wfile.write(c)
            else:
                self.wfile.write(b"%x\r\n" % len(c) + c + b"\r\n")
        if not http10:
            self.wfile.write(b"0\r\n\r\n")

    def _write_pattern(self, n):
        """Writes n bytes of the repeating 0..250 pattern, WRITE_SIZE at a time."""
        off = 0
        while off < n:
            ln = min(WRITE_SIZE, n - off)
            start = off % 251
            self.wfile.write(_PATTERN_VIEW[start:start + ln])
            off += ln

    def t_bytes(self, query, **_):
        n = _int_param(query, "n", None, 0, MAX_BYTES)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        self._write_pattern(n)

    def t_truncated(self, query, **_):
        """Declares Content-Length `declared`, sends `send` bytes of the pattern, then closes."""
        declared = _int_param(query, "declared", None, 1, MAX_BYTES)
        send = _int_param(query, "send", None, 0, declared - 1)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        self._write_pattern(send)
        self.wfile.flush()
        self.close_connection = True

    def t_until_close(self, query, **_):
        """A body without length, ended by the connection's end: `end=fin` closes cleanly (the
        body is complete), `end=reset` aborts with RST after the bytes (the body is broken)."""
        n = _int_param(query, "n", None, 0, MAX_BYTES)
        end = query.get("end", ["fin"])[0]
        if end not in ("fin", "reset"):
            self._error(400, "end must be fin or reset")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self._write_pattern(n)
        self.wfile.flush()
        self.close_connection = True
        if end == "reset":
            # linger 0 makes close() send RST instead of FIN; socketserver's later shutdown() of
            # the closed socket fails quietly
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _encode(self, data, coding, members):
        if coding in ("gzip", "x-gzip"):
            if members == 1:
                return gzip.compress(data, mtime=0)
            step = len(data) // members + 1
            return b"".join(gzip.compress(data[i:i + step], mtime=0) for i in range(0, max(len(data), 1), step))
        if coding == "deflate":
            return zlib.compress(data)
        if coding == "deflate-raw":
            c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            return c.compress(data) + c.flush()
        if coding in ("br", "identity"):
            return data  # the stdlib has no brotli: the bytes are only labelled br
        raise BadRequest("coding must be gzip, x-gzip, deflate, deflate-raw, br or identity")

    def t_encoded(self, query, **_):
        """A file of the root, content-coded whatever the request's Accept-Encoding says."""
        rel = query.get("path", ["/index.html"])[0]
        real = os.path.realpath(os.path.join(self.server.root, rel.lstrip("/")))
        if not real.startswith(self.server.root + os.sep) or not os.path.isfile(real):
            self._error(404, "not found")
            return
        with open(real, "rb") as f:
            data = f.read() * _int_param(query, "repeat", 1, 1, 1000)
        coding = query.get("coding", ["gzip"])[0]
        body = self._encode(data, coding, _int_param(query, "members", 1, 1, 64))
        cut = _int_param(query, "cut", 0, 0, len(body))
        body = bytearray(body[:len(body) - cut])
        if query.get("corrupt", ["0"])[0] == "1":
            mid = len(body) // 2
            for i in range(mid, min(mid + 16, len(body))):
                body[i] ^= 0x5A
        body = bytes(body) + query.get("trailing", [""])[0].encode("latin-1")
        label = query.get("label", ["deflate" if coding == "deflate-raw" else coding])[0]
        ctype = query.get("ctype", [CONTENT_TYPES.get(os.path.splitext(real)[1].lower(), "application/octet-stream")])[0]
        piece = _int_param(query, "piece", 0, 0, 1 << 20)
        cache = query.get("cache", [""])[0]
        if any(c in cache for c in "\r\n\0"):
            raise BadRequest("bad cache value")
        self.send_response(_int_param(query, "status", 200, 200, 599))
        self.send_header("Content-Type", ctype)
        if cache:
            self.send_header("Cache-Control", cache)
        if label != "identity":
            self.send_header("Content-Encoding", label)
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("ETag", '"enc-%s"' % hashlib.sha256(body).hexdigest()[:16])
        if piece == 0:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        if piece == 0:
            self.wfile.write(body)
            return
        for i in range(0, len(body), piece):
            c = body[i:i + piece]
            self.wfile.write(b"%x\r\n" % len(c) + c + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def t_redirect(self, query, **_):
        status = _int_param(query, "status", 302, 300, 399)
        to = query.get("to", ["/"])[0]
        if any(c in to for c in "\r\n\0"):
            raise BadRequest("bad redirect target")
        self._send(status, ("redirect to %s\n" % to).encode("utf-8"), headers=[("Location", to)])

    def t_status(self, query, **_):
        code = _int_param(query, "code", 200, 200, 599)
        # 204 and 304 carry no body and no Content-Length; 205 has an empty body.
        body = b"" if code == 205 else ("status %d\n" % code).encode()
        self._send(code, body)

    def t_set_cookie(self, **_):
        self.send_response(200)
        for c in SET_COOKIES:
            self.send_header("Set-Cookie", c)
        body = (json.dumps({"set_cookie": SET_COOKIES}) + "\n").encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def t_count(self, **_):
        self._send_json(200, self.server.counter.snapshot(), headers=[("Cache-Control", "no-store")])

    def t_reset(self, **_):
        self.server.counter.reset()
        self._send_json(200, {"reset": True}, headers=[("Cache-Control", "no-store")])

    def _form(self, body, what):
        if self.command != "POST":
            self._send(405, b"405 use POST\n", headers=[("Allow", "POST")])
            return
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in ("", "application/x-www-form-urlencoded"):
            self._error(415, "expected application/x-www-form-urlencoded")
            return
        fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        if not self.server.quiet:
            sys.stderr.write("origin: %s form %s\n" % (what, json.dumps(fields, ensure_ascii=False)))
        self._send(303, b"See Other: /cart.html\n",
                   headers=[("Location", "/cart.html"), ("Cache-Control", "no-store")])

    def form_cart(self, body, **_):
        self._form(body, "cart/add")

    def form_newsletter(self, body, **_):
        self._form(body, "newsletter")

    ROUTES = {
        "/_test/echo": "t_echo",
        "/_test/slow": "t_slow",
        "/_test/slow-body": "t_slow_body",
        "/_test/chunked": "t_chunked",
        "/_test/bytes": "t_bytes",
        "/_test/truncated": "t_truncated",
        "/_test/until-close": "t_until_close",
        "/_test/encoded": "t_encoded",
        "/_test/redirect": "t_redirect",
        "/_test/status": "t_status",
        "/_test/set-cookie": "t_set_cookie",
        "/_test/count": "t_count",
        "/_test/reset": "t_reset",
        "/cart/add": "form_cart",
        "/newsletter": "form_newsletter",
    }

    # ---- static files ---------------------------------------------------

    def serve_static(self, path):
        if self.command not in ("GET", "HEAD"):
            self._send(405, b"405 method not allowed\n", headers=[("Allow", "GET, HEAD")])
            return
        try:
            decoded = urllib.parse.unquote(path, errors="strict") if "%" in path else path
        except UnicodeDecodeError:
            self._error(400, "bad path encoding")
            return
        segs = decoded.split("/")
        if "\0" in decoded or "\\" in decoded or any(s in ("..", ".") for s in segs):
            self._error(400, "bad path")
            return
        root = self.server.root
        fs = os.path.join(root, *[s for s in segs if s])
        real = os.path.realpath(fs)
        if real != root and not real.startswith(root + os.sep):
            self._error(404, "not found")
            return
        if os.path.isdir(real):
            if not path.endswith("/"):
                loc = path + "/"
                self._send(301, ("moved to %s\n" % loc).encode(), headers=[("Location", loc)])
                return
            real = os.path.join(real, "index.html")
        try:
            f = open(real, "rb")
        except OSError:
            self._error(404, "not found")
            return
        with f:
            st = os.fstat(f.fileno())
            if not os.path.isfile(real):
                self._error(404, "not found")
                return
            etag = '"%x-%x"' % (st.st_mtime_ns, st.st_size)
            mtime = int(st.st_mtime)
            lastmod = email.utils.formatdate(mtime, usegmt=True)
            ext = os.path.splitext(real)[1].lower()
            ctype = CONTENT_TYPES.get(ext, "application/octet-stream")
            cache = "no-cache" if ext in (".html", ".htm") else "public, max-age=300"
            validators = [("ETag", etag), ("Last-Modified", lastmod), ("Cache-Control", cache)]
            if self._not_modified(etag, mtime):
                self._send(304, headers=validators)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(st.st_size))
            for k, v in validators:
                self.send_header(k, v)
            self.end_headers()
            if self.command == "HEAD":
                return
            left = st.st_size
            while left > 0:
                data = f.read(min(WRITE_SIZE, left))
                if not data:
                    break
                self.wfile.write(data)
                left -= len(data)
            if left:
                # file shrank under us: the framing is broken, drop the connection
                self.close_connection = True

    def _not_modified(self, etag, mtime):
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            if "*" in tags:
                return True
            # weak comparison (RFC 9110 13.1.2)
            strip = lambda t: t[2:] if t.startswith("W/") else t
            return any(strip(t) == etag for t in tags)
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                dt = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            if dt is None:
                return False
            return mtime <= int(dt.timestamp())
        return False


def write_ready_file(path, port):
    path = os.path.abspath(path)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="omote test/demo origin server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081, help="0 picks an ephemeral port")
    ap.add_argument("--root", default=DEFAULT_ROOT, help="directory served statically")
    ap.add_argument("--ready-file", help="write the bound port here (atomically) once listening")
    ap.add_argument("--quiet", action="store_true", help="no per-request logging")
    args = ap.parse_args(argv)

    if not os.path.isdir(args.root):
        print("origin: --root %s is not a directory" % args.root, file=sys.stderr)
        return 2
    try:
        srv = OriginServer((args.host, args.port), Handler, args.root, args.quiet)
    except OSError as e:
        print("origin: cannot listen on %s:%d: %s" % (args.host, args.port, e.strerror), file=sys.stderr)
        return 1
    port = srv.server_address[1]
    if args.ready_file:
        write_ready_file(args.ready_file, port)
    host = "[%s]" % args.host if ":" in args.host else args.host
    print("origin listening on http://%s:%d/" % (host, port), flush=True)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    if not args.quiet:
        print("origin stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
