"""Shared harness for omote's integration tests.

Written for Debian's /usr/bin/python3 (standard library plus Debian's python3-h2,
python3-hpack and python3-hyperframe). If this module is imported by an interpreter
without the `h2` package (for example a pyenv python3 picked up by CMake's
find_package(Python3)), it re-executes the test file with /usr/bin/python3.

What it offers:
  - free_port(): an ephemeral port on 127.0.0.1 (bind port 0, read it, close).
  - RedisServer, Origin, Omote: child processes started in a temporary directory and
    stopped by PID (SIGTERM, wait, SIGKILL). Every child is also registered for an atexit
    sweep and gets PR_SET_PDEATHSIG, so nothing outlives the test process.
  - make_config(): an omote JSON configuration (dict) in the documented format.
  - HTTP1Conn / http1_request / raw_request: an HTTP/1.1 client over a plain socket that
    sends exact bytes and reads a whole response (status, headers in order, body; framing by
    Content-Length, chunked, or close).
  - H2Conn: an HTTP/2 client over TLS (ALPN h2) using the `h2` package; it sends arbitrary
    header lists, including thousands of duplicate fields, and collects the response
    headers, body, RST_STREAM and GOAWAY.
  - rss_kib(pid): VmRSS of a process from /proc/PID/status; minor_faults(pid) from /proc/PID/stat.
  - Stack: redis + origin + omote in one temporary directory, for test classes.

All traffic stays on 127.0.0.1. Every wait is bounded in time.
"""

import atexit
import ctypes
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

# ---------------------------------------------------------------------------
# interpreter: the tests need Debian's python3 with python3-h2

_DEBIAN_PYTHON = "/usr/bin/python3"

try:
    import h2.config
    import h2.connection
    import h2.errors
    import h2.events
    import h2.exceptions
    import h2.settings
except ImportError:  # pragma: no cover - depends on the interpreter
    if (os.path.exists(_DEBIAN_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(_DEBIAN_PYTHON)
            and not os.environ.get("OMOTE_IT_REEXEC")):
        os.environ["OMOTE_IT_REEXEC"] = "1"
        sys.stdout.flush()
        sys.stderr.flush()
        main_file = os.path.abspath(sys.modules["__main__"].__file__)
        os.execv(_DEBIAN_PYTHON, [_DEBIAN_PYTHON, main_file] + sys.argv[1:])
    raise

# ---------------------------------------------------------------------------
# locations

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.environ.get("OMOTE_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE)))
BUILD_DIR = os.path.abspath(os.environ.get("OMOTE_BUILD_DIR") or os.path.join(SOURCE_DIR, "build"))


def _omote_bin():
    b = os.environ.get("OMOTE_BIN") or "build/omote"
    if not os.path.isabs(b):
        # relative to the repository root (ctest and the docs run from there)
        b = os.path.join(SOURCE_DIR, b)
    return b


OMOTE_BIN = _omote_bin()
ORIGIN_PY = os.path.join(SOURCE_DIR, "tests", "origin", "origin.py")
DEMO_SITE = os.path.join(SOURCE_DIR, "config", "demo-site")
PYTHON = sys.executable
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
KEEP_TMP = bool(os.environ.get("OMOTE_KEEP_TMP"))

# Same pattern as tests/origin/origin.py's /_test/bytes: byte i = i % 251.
BYTES_PATTERN = bytes(range(251))
DEFAULT_CHUNKED_BODY = b"omote-chunk-1\nomote-chunk-2\n\xe7\x85\x8e\xe8\x8c\xb6\n0123456789\n"
SET_COOKIES = [
    "sid=s3ss10n-0m0te; Path=/; HttpOnly; SameSite=Lax",
    "lang=ja; Path=/; Max-Age=31536000",
    "cart=empty; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Secure",
    "_ga=GA1.1.1234567890.1700000000; Path=/; Domain=127.0.0.1; Max-Age=63072000; SameSite=Lax",
    "_fbp=fb.1.1700000000000.1234567890; Path=/; Max-Age=7776000; SameSite=Lax",
]

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authenticate", "proxy-authorization"}


def log(msg):
    """Progress output for humans (stderr, so unittest's own output stays readable)."""
    sys.stderr.write("    [it] %s\n" % msg)
    sys.stderr.flush()


def require_omote_bin():
    """A missing binary is an error (not a skip): under ctest it must fail."""
    if not os.access(OMOTE_BIN, os.X_OK):
        raise RuntimeError("omote binary not found or not executable: %s (set OMOTE_BIN)" % OMOTE_BIN)


# ---------------------------------------------------------------------------
# processes

_children = []
_children_lock = threading.Lock()
_libc = None
try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _libc = None
_PR_SET_PDEATHSIG = 1


def _preexec():
    # Die with the test process even if it is SIGKILLed (e.g. by a ctest timeout).
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.setpgid(0, 0)


def spawn(argv, stdout=None, stderr=None, cwd=None, env=None):
    """Starts a child process and registers it for the atexit sweep."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, cwd=cwd, env=env,
                         preexec_fn=_preexec, close_fds=True)
    with _children_lock:
        _children.append(p)
    return p


def send_signal(proc, sig):
    """Sends `sig` to the child by PID (never by name)."""
    if proc is not None and proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass


def stop(proc, timeout=10.0):
    """SIGTERM by PID, wait up to `timeout`, then SIGKILL. Returns the exit status (or None)."""
    if proc is None:
        return None
    if proc.poll() is None:
        send_signal(proc, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            send_signal(proc, signal.SIGKILL)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
    with _children_lock:
        if proc in _children:
            _children.remove(proc)
    return proc.returncode


def _sweep_children():
    with _children_lock:
        procs = list(_children)
    for p in procs:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


atexit.register(_sweep_children)


def _on_sigterm(signum, frame):
    # ctest (or a human) stops us: unwind so cleanups and atexit run.
    raise KeyboardInterrupt("signal %d" % signum)


if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, _on_sigterm)


def rss_kib(pid):
    """VmRSS of `pid` in KiB (from /proc/PID/status)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def minor_faults(pid):
    """Minor page faults of `pid` so far (field 10 of /proc/PID/stat): pages the kernel had
    to supply, which a process that reuses its memory stops taking."""
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    return int(stat[stat.rindex(")") + 2:].split()[7])


def rss_detail_kib(pid):
    """{'VmRSS': KiB, 'RssAnon': KiB, 'RssFile': KiB, 'RssShmem': KiB} from /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(v.split()[0])
    return out


class RssSampler:
    """Peak VmRSS (and its anonymous / file-backed parts) of a PID while a block runs.

    Sampled every `interval` seconds in a thread; bounded to `max_seconds`."""

    def __init__(self, pid, interval=0.02, max_seconds=120):
        self.pid = pid
        self.interval = interval
        self.max_samples = int(max_seconds / interval)
        d = rss_detail_kib(pid)
        self.before = d["VmRSS"]
        self.before_detail = d
        self.peak = self.before
        self.peak_detail = d
        self.after = None
        self._done = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        d = rss_detail_kib(self.pid)
        if d["VmRSS"] > self.peak:
            self.peak = d["VmRSS"]
            self.peak_detail = d
        return d

    def _run(self):
        for _ in range(self.max_samples):
            if self._done.wait(self.interval):
                return
            try:
                self._sample()
            except OSError:
                return

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *a):
        self._done.set()
        self._t.join(5)
        try:
            self.after = self._sample()["VmRSS"]
        except OSError:
            self.after = None

    @property
    def growth_mib(self):
        return (self.peak - self.before) / 1024.0

    def describe(self):
        b, p = self.before_detail, self.peak_detail
        return ("RSS before %d KiB, peak %d KiB (anon %d, file %d), after %s KiB, growth %.1f MiB"
                % (b["VmRSS"], p["VmRSS"], p.get("RssAnon", -1), p.get("RssFile", -1), self.after, self.growth_mib))


def wait_until(pred, timeout, interval=0.05):
    """Polls pred() until it returns a truthy value (returned) or `timeout` seconds pass (returns the last value)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = pred()
        except Exception:  # noqa: BLE001 - polling through transient errors
            last = None
        if last:
            return last
        if time.monotonic() >= deadline:
            return last
        time.sleep(interval)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def port_is_open(port, timeout=0.5):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError:
        return False
    s.close()
    return True


def make_tempdir(prefix="omote-it-"):
    return tempfile.mkdtemp(prefix=prefix)


def remove_tempdir(path):
    if KEEP_TMP:
        log("keeping %s" % path)
        return
    shutil.rmtree(path, ignore_errors=True)


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


# ---------------------------------------------------------------------------
# TLS material

_shared_cert = None


def shared_cert():
    """One self-signed certificate per test process (RSA key generation takes a while);
    copied into each stack's directory by Stack. Returns (cert_path, key_path)."""
    global _shared_cert
    if _shared_cert is None:
        d = make_tempdir("omote-it-cert-")
        atexit.register(remove_tempdir, d)
        _shared_cert = make_cert(d)
    return _shared_cert


def make_cert(directory):
    """Self-signed certificate for CN=localhost (openssl req -x509); returns (cert_path, key_path)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", key, "-out", cert], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60)
    return cert, key


# ---------------------------------------------------------------------------
# redis

def redis_command(port, *args, timeout=1.0):
    """Sends one RESP command, returns the first reply line (bytes) or raises OSError."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"".join(parts))
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in buf and time.monotonic() < deadline:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        return buf.split(b"\r\n", 1)[0]


class RedisServer:
    def __init__(self, workdir, port=None):
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.fixed_port = port
        self.port = port
        self.proc = None
        self.log_path = os.path.join(self.dir, "redis.log")

    def ping(self):
        try:
            return redis_command(self.port, "PING") == b"+PONG"
        except OSError:
            return False

    def start(self, timeout=10.0):
        attempts = 1 if self.fixed_port else 3
        for _ in range(attempts):
            if not self.fixed_port:
                self.port = free_port()
            with open(self.log_path, "ab") as logf:
                self.proc = spawn([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                                   "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                                   "--daemonize", "no"], stdout=logf, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self.ping():
                    return self
                time.sleep(0.05)
            stop(self.proc)
        raise RuntimeError("redis-server did not answer PING on port %s:\n%s" % (self.port, read_text(self.log_path)))

    def stop(self):
        rc = stop(self.proc)
        self.proc = None
        return rc


# ---------------------------------------------------------------------------
# origin

class Origin:
    """tests/origin/origin.py on an ephemeral port."""

    def __init__(self, workdir, name="origin"):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.name = name
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.dir, "origin.log")

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.port

    def start(self, timeout=10.0):
        ready = os.path.join(self.dir, "ready")
        if os.path.exists(ready):
            os.unlink(ready)
        with open(self.log_path, "ab") as logf:
            self.proc = spawn([PYTHON, ORIGIN_PY, "--port", "0", "--ready-file", ready, "--quiet"],
                              stdout=logf, stderr=subprocess.STDOUT, cwd=SOURCE_DIR)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if os.path.exists(ready):
                txt = read_text(ready).strip()
                if txt.isdigit():
                    self.port = int(txt)
                    return self
            time.sleep(0.05)
        stop(self.proc)
        raise RuntimeError("origin did not become ready:\n%s" % read_text(self.log_path))

    def stop(self):
        rc = stop(self.proc)
        self.proc = None
        return rc

    def get(self, target, headers=(), method="GET", body=None):
        return http1_request(self.port, method, target, headers=headers, body=body)

    def count(self):
        r = self.get("/_test/count")
        assert r.status == 200, r
        return json.loads(r.body)

    def reset(self):
        r = self.get("/_test/reset")
        assert r.status == 200, r

    def total(self):
        return self.count()["requests"]


# ---------------------------------------------------------------------------
# omote

def make_config(origin_url, http_port, admin_port, redis_port, tls_port=None, cert=None, key=None,
                access_log=None, threads=2):
    """The documented configuration format, with every section spelled out."""
    listen = [{"address": "127.0.0.1", "port": http_port}]
    if tls_port is not None:
        listen.append({"address": "127.0.0.1", "port": tls_port, "tls": {"certificate": cert, "key": key}})
    return {
        "listen": listen,
        "origin": {"url": origin_url, "preserve_host": True, "io_timeout_ms": 30000, "keepalive_timeout_ms": 2000},
        "timeouts": {"request_ms": 10000, "http2_idle_ms": 10000, "handshake_ms": 10000, "drain_ms": 10000},
        "threads": threads,
        "admin": {"enabled": True, "address": "127.0.0.1", "port": admin_port},
        "redis": {"address": "127.0.0.1:%d" % redis_port, "connect_timeout_ms": 1000, "command_timeout_ms": 250,
                  "reconnect_min_ms": 100, "reconnect_max_ms": 1000},
        "limits": {"header_count": 100, "header_bytes": 65536, "header_field_bytes": 8192,
                   "request_body_bytes": 10485760, "api_body_bytes": 16384},
        "log": {"access": access_log, "error": "-", "level": "info"},
    }


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


class Omote:
    """An omote process with its config file, stdout and stderr files in `workdir`."""

    def __init__(self, workdir, config, name="omote"):
        self.dir = workdir
        self.name = name
        self.config = config
        self.config_path = os.path.join(workdir, name + ".json")
        self.stderr_path = os.path.join(workdir, name + ".stderr")
        self.stdout_path = os.path.join(workdir, name + ".stdout")
        self.proc = None

    # ports from the config
    @property
    def http_port(self):
        return next(l["port"] for l in self.config["listen"] if "tls" not in l)

    @property
    def tls_port(self):
        return next((l["port"] for l in self.config["listen"] if "tls" in l), None)

    @property
    def admin_port(self):
        return self.config["admin"]["port"]

    @property
    def pid(self):
        return self.proc.pid

    def write_config(self, config=None, path=None):
        if config is not None:
            self.config = config
        write_json(path or self.config_path, self.config)

    def _repick_ports(self):
        for l in self.config["listen"]:
            l["port"] = free_port()
        self.config["admin"]["port"] = free_port()

    def start(self, timeout=10.0, retries=3):
        require_omote_bin()
        for attempt in range(retries):
            self.write_config()
            with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
                self.proc = spawn([OMOTE_BIN, "-c", self.config_path], stdout=out, stderr=err, cwd=self.dir)
            if self.wait_healthy(timeout):
                return self
            exited = self.proc.poll()
            stop(self.proc)
            text = self.stderr()
            if exited is not None and "in use" in text and attempt + 1 < retries:
                # someone took a port between free_port() and omote's bind: try other ports
                self._repick_ports()
                continue
            raise RuntimeError("omote did not become healthy (exit status %s); stderr:\n%s" % (exited, text))
        raise RuntimeError("omote could not start")  # pragma: no cover

    def wait_healthy(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                r = http1_request(self.admin_port, "GET", "/healthz", timeout=1.0)
                if r.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        send_signal(self.proc, sig)

    def stop(self, timeout=15.0):
        return stop(self.proc, timeout)

    def stop_checked(self, timeout=15.0):
        """Stops omote (SIGTERM) and raises AssertionError if it did not exit 0 on its own or
        left a sanitizer report on stderr. Meant for cleanups, so crashes are not silent."""
        if self.proc is None:
            return
        already = self.proc.poll()
        rc = stop(self.proc, timeout)
        problems = []
        if rc != 0:
            problems.append("omote %s with status %s (negative: killed by that signal)"
                            % ("had already exited" if already is not None else "exited after SIGTERM", rc))
        text = self.stderr()
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Segmentation fault", "Assertion"):
            if marker in text:
                problems.append("omote's stderr contains %r" % marker)
        if problems:
            raise AssertionError("%s\n--- stderr tail (%s) ---\n%s" % ("; ".join(problems), self.stderr_path,
                                                                       text[-4000:]))

    def stderr(self):
        return read_text(self.stderr_path)

    def rss_kib(self):
        return rss_kib(self.proc.pid)

    def admin_get(self, path, method="GET", timeout=5.0):
        return http1_request(self.admin_port, method, path, timeout=timeout)

    def metrics(self):
        r = self.admin_get("/metrics")
        assert r.status == 200, r
        return parse_metrics(r.body.decode())


def parse_metrics(text):
    """Prometheus text -> {'name{labels}': float}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            pass
    return out


class Stack:
    """redis-server + origin + omote in one temporary directory.

    Use from setUpClass/setUp; close() (registered as a cleanup by the caller) stops all
    three by PID and removes the directory.
    """

    def __init__(self, tls=True, threads=2, mutate=None, start_redis=True, name="stack"):
        self.dir = make_tempdir("omote-it-%s-" % name)
        self.redis = None
        self.origin = None
        self.omote = None
        self.cert = self.key = None
        self._closed = False
        try:
            if start_redis:
                self.redis = RedisServer(self.dir).start()
                redis_port = self.redis.port
            else:
                redis_port = free_port()
            self.origin = Origin(self.dir).start()
            if tls:
                cert, key = shared_cert()
                self.cert = os.path.join(self.dir, "cert.pem")
                self.key = os.path.join(self.dir, "key.pem")
                shutil.copyfile(cert, self.cert)
                shutil.copyfile(key, self.key)
                os.chmod(self.key, 0o600)
            self.access_log = os.path.join(self.dir, "access.log")
            self.config = make_config(self.origin.url, free_port(), free_port(), redis_port,
                                      tls_port=free_port() if tls else None, cert=self.cert, key=self.key,
                                      access_log=self.access_log, threads=threads)
            if mutate is not None:
                mutate(self.config)
            self.omote = Omote(self.dir, self.config)
            self.omote.start()
        except BaseException:
            self.close()
            raise

    @property
    def http_port(self):
        return self.omote.http_port

    @property
    def tls_port(self):
        return self.omote.tls_port

    def close(self):
        """Stops everything; raises AssertionError afterwards if omote crashed or did not exit 0."""
        if self._closed:
            return
        self._closed = True
        error = None
        try:
            if self.omote is not None:
                self.omote.stop_checked()
        except AssertionError as e:
            error = e
        for part in (self.omote, self.origin, self.redis):
            if part is not None and part.proc is not None:
                part.stop()
        if error is not None:
            log("omote problem; keeping %s" % self.dir)
            raise error
        remove_tempdir(self.dir)


# ---------------------------------------------------------------------------
# HTTP/1.1 client

class Response:
    def __init__(self):
        self.version = None
        self.status = None
        self.reason = None
        self.headers = []  # [(name, value)] as received, original case
        self.body = b""
        self.body_len = 0
        self.chunked = False
        self.closed = False  # the server closed the connection after this response
        self.trailers = []
        # HTTP/2 only
        self.reset = None  # RST_STREAM error code
        self.goaway = None  # GOAWAY error code

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def header_names(self):
        return [k.lower() for k, _ in self.headers]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        body = self.body[:300]
        return "<Response %s %s headers=%r body[:300]=%r reset=%r goaway=%r>" % (
            self.status, self.reason, self.headers, body, self.reset, self.goaway)


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def _fill(self):
        if self.eof:
            return False
        d = self.sock.recv(256 * 1024)
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def readline(self, limit=1 << 20):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if len(self.buf) > limit:
                raise ValueError("line too long")
            if not self._fill():
                line = bytes(self.buf)
                self.buf.clear()
                return line

    def read_exact(self, n, sink):
        """Reads exactly n bytes into sink; returns the count actually read (short on EOF)."""
        got = 0
        while got < n:
            if not self.buf and not self._fill():
                break
            take = min(len(self.buf), n - got)
            sink(bytes(self.buf[:take]))
            del self.buf[:take]
            got += take
        return got

    def read_to_eof(self, sink):
        got = 0
        while True:
            if self.buf:
                got += len(self.buf)
                sink(bytes(self.buf))
                self.buf.clear()
            if not self._fill():
                return got


class HTTP1Conn:
    """One HTTP/1.1 connection to 127.0.0.1:port; keeps alive between requests."""

    def __init__(self, port, timeout=10.0, host="127.0.0.1", tls=False):
        self.port = port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = _Reader(self.sock)
        self.server_closed = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    @staticmethod
    def build(method, target, headers=(), body=None, host=None, port=None):
        lines = ["%s %s HTTP/1.1" % (method, target)]
        names = {k.lower() for k, _ in headers}
        if "host" not in names and host is not False:
            lines.append("Host: %s" % (host or "127.0.0.1:%d" % port))
        for k, v in headers:
            lines.append("%s: %s" % (k, v))
        if body is not None and "content-length" not in names and "transfer-encoding" not in names:
            lines.append("Content-Length: %d" % len(body))
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return data + (body or b"")

    def request(self, method="GET", target="/", headers=(), body=None, sink=None):
        self.send(self.build(method, target, headers, body, port=self.port))
        return self.read_response(head=(method == "HEAD"), sink=sink)

    def read_response(self, head=False, sink=None):
        """Reads one final response. sink(bytes), when given, receives the body instead of r.body."""
        while True:
            r = self._read_one(head, sink)
            if r.status is not None and 100 <= r.status < 200 and r.status != 101:
                continue  # interim response
            return r

    def read_one(self, head=False, sink=None):
        """Reads one response, interim (1xx) ones included."""
        return self._read_one(head, sink)

    def _read_one(self, head, sink):
        r = Response()
        line = self.reader.readline()
        if not line:
            raise ConnectionError("connection closed before a response")
        parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise ValueError("bad status line %r" % line)
        r.version = parts[0]
        r.status = int(parts[1])
        r.reason = parts[2] if len(parts) > 2 else ""
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise ConnectionError("connection closed inside the response head")
            k, _, v = line.decode("latin-1").rstrip("\r\n").partition(":")
            r.headers.append((k, v.strip(" \t")))
        if 100 <= r.status < 200:
            return r
        chunks = []
        if sink is None:
            def sink_fn(d):
                chunks.append(d)
        else:
            sink_fn = sink
        conn_tokens = ",".join(r.header_all("connection")).lower()
        te = ",".join(r.header_all("transfer-encoding")).lower()
        cl = r.header("content-length")
        if head or r.status in (204, 304):
            pass
        elif "chunked" in te:
            r.chunked = True
            while True:
                size_line = self.reader.readline()
                if not size_line:
                    raise ConnectionError("connection closed inside a chunked body")
                try:
                    size = int(size_line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    # libh2o ends a response it must abort with a chunk header that has no chunk
                    # ("\r\n1\r\n", then the close), so any client sees the body as broken
                    raise ConnectionError("broken chunked framing: %r" % size_line) from None
                if size == 0:
                    while True:
                        t = self.reader.readline()
                        if t in (b"\r\n", b"\n", b""):
                            break
                        k, _, v = t.decode("latin-1").rstrip("\r\n").partition(":")
                        r.trailers.append((k, v.strip()))
                    break
                got = self.reader.read_exact(size, sink_fn)
                r.body_len += got
                if got != size:
                    raise ConnectionError("connection closed inside a chunk")
                if self.reader.readline() not in (b"\r\n", b"\n"):
                    raise ValueError("missing CRLF after chunk")
        elif cl is not None:
            n = int(cl)
            got = self.reader.read_exact(n, sink_fn)
            r.body_len = got
            if got != n:
                raise ConnectionError("connection closed after %d of %d body bytes" % (got, n))
        else:
            r.body_len = self.reader.read_to_eof(sink_fn)
            r.closed = True
        r.body = b"".join(chunks)
        if "close" in conn_tokens or r.version == "HTTP/1.0" and "keep-alive" not in conn_tokens:
            r.closed = True
        if r.closed:
            self.server_closed = True
        return r


def http1_request(port, method="GET", target="/", headers=(), body=None, timeout=10.0, sink=None, tls=False):
    """One request on a fresh connection, then close."""
    with HTTP1Conn(port, timeout=timeout, tls=tls) as c:
        return c.request(method, target, headers, body, sink=sink)


def raw_request(port, data, timeout=10.0, head=False):
    """Sends exactly `data` on a fresh connection and reads one response."""
    with HTTP1Conn(port, timeout=timeout) as c:
        c.send(data)
        return c.read_response(head=head)


def connection_refused(port):
    """True when a TCP connect to 127.0.0.1:port is actively refused (nothing listens)."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1.0)
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    s.close()
    return False


# ---------------------------------------------------------------------------
# HTTP/2 client

class H2Conn:
    """HTTP/2 over TLS (ALPN h2) to 127.0.0.1:port with the `h2` package."""

    def __init__(self, port, timeout=10.0, validate=False, normalize=False):
        self.port = port
        self.timeout = timeout
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.alpn = self.sock.selected_alpn_protocol()
        if self.alpn != "h2":
            self.sock.close()
            raise AssertionError("ALPN selected %r, not h2" % self.alpn)
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                        validate_outbound_headers=validate, normalize_outbound_headers=normalize,
                                        validate_inbound_headers=False)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        # accept big response header blocks and keep the data flowing without many WINDOW_UPDATEs
        self.conn.update_settings({h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 1 << 24,
                                   h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 24})
        self.conn.decoder.max_header_list_size = 1 << 24
        self.conn.increment_flow_control_window(1 << 24)
        self._flush()
        self.streams = {}
        self.goaway = None  # error code of the last GOAWAY received
        self.goaway_last_stream = None
        self.goaway_count = 0
        self._inbuf = bytearray()
        self.closed = False

    def close(self):
        try:
            self.conn.close_connection()
            self._flush()
        except Exception:  # noqa: BLE001
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def _flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def _pump(self, deadline):
        """Reads once from the socket and processes events. Returns False on EOF."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("HTTP/2 exchange did not finish in time")
        self.sock.settimeout(min(remaining, self.timeout))
        try:
            data = self.sock.recv(256 * 1024)
        except socket.timeout:
            raise TimeoutError("HTTP/2 exchange did not finish in time")
        except (ConnectionResetError, ssl.SSLError):
            data = b""
        if not data:
            self.closed = True
            return False
        data = self._take_goaway(data)
        if data:
            for ev in self.conn.receive_data(data):
                self._event(ev)
        self._flush()
        return True

    def _take_goaway(self, data):
        """Removes GOAWAY frames from the input and records them.

        The h2 package closes its connection state machine on GOAWAY and then refuses the
        frames of streams the server still completes (a graceful shutdown sends GOAWAY first
        and finishes streams up to last_stream_id afterwards), so GOAWAY is handled here.
        """
        self._inbuf += data
        out = bytearray()
        buf = self._inbuf
        pos = 0
        while len(buf) - pos >= 9:
            length = int.from_bytes(buf[pos:pos + 3], "big")
            if len(buf) - pos < 9 + length:
                break
            ftype = buf[pos + 3]
            if ftype == 0x7 and length >= 8:
                payload = buf[pos + 9:pos + 9 + length]
                self.goaway_last_stream = int.from_bytes(payload[0:4], "big") & 0x7FFFFFFF
                self.goaway = int.from_bytes(payload[4:8], "big")
                self.goaway_count += 1
            else:
                out += buf[pos:pos + 9 + length]
            pos += 9 + length
        del buf[:pos]
        return bytes(out)

    def _stream(self, sid):
        return self.streams.setdefault(sid, {"resp": Response(), "ended": False, "chunks": [], "sink": None})

    def _event(self, ev):
        if isinstance(ev, h2.events.ResponseReceived):
            st = self._stream(ev.stream_id)
            r = st["resp"]
            for k, v in ev.headers:
                k = k.decode() if isinstance(k, bytes) else k
                v = v.decode("latin-1") if isinstance(v, bytes) else v
                if k == ":status":
                    r.status = int(v)
                else:
                    r.headers.append((k, v))
            r.version = "HTTP/2"
        elif isinstance(ev, h2.events.TrailersReceived):
            st = self._stream(ev.stream_id)
            st["resp"].trailers = list(ev.headers)
        elif isinstance(ev, h2.events.DataReceived):
            st = self._stream(ev.stream_id)
            if st["sink"] is not None:
                st["sink"](ev.data)
            else:
                st["chunks"].append(ev.data)
            st["resp"].body_len += len(ev.data)
            if ev.flow_controlled_length:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            self._stream(ev.stream_id)["ended"] = True
        elif isinstance(ev, h2.events.StreamReset):
            st = self._stream(ev.stream_id)
            st["resp"].reset = int(ev.error_code)
            st["ended"] = True
        elif isinstance(ev, h2.events.ConnectionTerminated):  # not reached: GOAWAY is taken out before h2
            self.goaway = int(ev.error_code)
            self.goaway_last_stream = ev.last_stream_id

    def _send_body(self, sid, body, deadline):
        view = memoryview(body)
        off = 0
        while off < len(body):
            st = self.streams.get(sid)
            if st is not None and st["ended"]:
                return  # reset or answered early
            window = self.conn.local_flow_control_window(sid)
            if window <= 0:
                if not self._pump(deadline):
                    return
                continue
            n = min(window, self.conn.max_outbound_frame_size, len(body) - off)
            self.conn.send_data(sid, view[off:off + n].tobytes())
            off += n
            self._flush()
        self.conn.end_stream(sid)
        self._flush()

    def start_request(self, headers, body=None):
        """Sends HEADERS (and the body); returns the stream id. headers: [(name, value)] incl. pseudo-headers."""
        sid = self.conn.get_next_available_stream_id()
        self._stream(sid)
        self.conn.send_headers(sid, headers, end_stream=body is None)
        self._flush()
        if body is not None:
            self._send_body(sid, body, time.monotonic() + self.timeout)
        return sid

    def wait(self, sid, timeout=None, sink=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        st = self._stream(sid)
        if sink is not None:
            st["sink"] = sink
        while not st["ended"]:
            if self.goaway_last_stream is not None and sid > self.goaway_last_stream:
                break  # the server will not process this stream
            if not self._pump(deadline):
                break
        r = st["resp"]
        r.body = b"".join(st["chunks"])
        r.goaway = self.goaway
        r.closed = self.closed
        return r

    def request(self, method="GET", path="/", headers=(), body=None, authority=None, scheme="https", timeout=None,
                sink=None):
        hdrs = [(":method", method), (":scheme", scheme), (":authority", authority or "127.0.0.1:%d" % self.port),
                (":path", path)]
        hdrs += list(headers)
        if body is not None and not any(k.lower() == "content-length" for k, _ in headers):
            hdrs.append(("content-length", str(len(body))))
        sid = self.start_request(hdrs, body)
        return self.wait(sid, timeout, sink)


# ---------------------------------------------------------------------------
# helpers for comparing responses

def filtered_headers(resp, drop=()):
    """Headers without hop-by-hop ones, date and server, as lower-cased (name, value) list."""
    skip = HOP_BY_HOP | {"date", "server"} | {d.lower() for d in drop}
    return [(k.lower(), v) for k, v in resp.headers if k.lower() not in skip]


class PatternChecker:
    """Sink that checks a /_test/bytes body on the fly (byte i == i % 251) without keeping it."""

    def __init__(self):
        self.offset = 0
        self.bad_at = None
        self.sha = hashlib.sha256()
        self._pattern = BYTES_PATTERN * (((1 << 20) // 251) + 2)

    def __call__(self, data):
        n = len(data)
        pos = 0
        while pos < n and self.bad_at is None:
            take = min(n - pos, 1 << 20)
            start = (self.offset + pos) % 251
            if data[pos:pos + take] != self._pattern[start:start + take]:
                self.bad_at = self.offset + pos
            pos += take
        self.offset += n


def expected_bytes(n):
    return (BYTES_PATTERN * (n // 251 + 1))[:n]


# ---------------------------------------------------------------------------
# running

def main():
    """Runs the calling test module with unittest; prints a summary line; exits non-zero on failure."""
    prog = os.path.basename(sys.modules["__main__"].__file__)
    started = time.monotonic()
    program = unittest.main(module="__main__", exit=False, verbosity=2)
    result = program.result
    elapsed = time.monotonic() - started
    ok = result.wasSuccessful()
    print("%s: %s - ran %d tests in %.1fs: %d failures, %d errors, %d skipped" % (
        prog, "OK" if ok else "FAILED", result.testsRun, elapsed, len(result.failures), len(result.errors),
        len(result.skipped)), flush=True)
    _sweep_children()
    sys.exit(0 if ok and result.testsRun > 0 else 1)


# ---------------------------------------------------------------------------
# shared by the tests that need a browser, node or the demo shop's configuration

def skip_or_fail(why):
    """A missing tool skips on a developer's machine; under CI it is a failure."""
    if os.environ.get("CI") == "true":
        raise AssertionError("prerequisite missing under CI: %s" % why)
    raise unittest.SkipTest(why)


DEMO_JSON = os.path.join(SOURCE_DIR, "config", "demo.json")


def demo_config():
    """config/demo.json's purposes, vendors and trackers, paths made absolute (they resolve against config/)."""
    with open(DEMO_JSON) as f:
        demo = json.load(f)
    base = os.path.dirname(DEMO_JSON)
    trackers = demo["trackers"]
    for entry in trackers.get("lists", []):
        entry["path"] = os.path.join(base, entry["path"])
    if "signatures" in trackers:
        trackers["signatures"] = os.path.join(base, trackers["signatures"])
    return demo["purposes"], demo["vendors"], trackers


# ---------------------------------------------------------------------------
# configuration keys a binary may not know yet (used by the hardening tests)

def add_known_limits(config, **limits):
    """Adds `limits` to config["limits"] in place, keeping only the keys the omote binary under
    test accepts (`omote -c FILE --check`), and returns the names it refused as unknown.

    The hardening tests raise or switch off connection caps that a newer omote enforces by
    default; run against an omote without those keys, they log what was left out instead of
    failing to start."""
    refused = []
    d = make_tempdir("omote-it-check-")
    try:
        path = os.path.join(d, "check.json")
        while limits:
            trial = dict(config)
            trial["limits"] = dict(config.get("limits", {}), **limits)
            write_json(path, trial)
            p = subprocess.run([OMOTE_BIN, "-c", path, "--check"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
            text = p.stderr.decode("utf-8", "replace") + p.stdout.decode("utf-8", "replace")
            unknown = [k for k in limits if "limits.%s: unknown key" % k in text]
            if p.returncode == 0 or not unknown:
                break
            for k in unknown:
                refused.append(k)
                del limits[k]
        config.setdefault("limits", {}).update(limits)
    finally:
        remove_tempdir(d)
    if refused:
        log("omote does not know limits.%s yet; running without" % ", limits.".join(refused))
    return refused
