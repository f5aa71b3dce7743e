#!/usr/bin/python3
"""Writes the seed corpora of fuzz_h2o_http1 and fuzz_h2o_http2 (tests/fuzz/corpus/h2o_http{1,2}).

Run with Debian's interpreter (it has python3-hyperframe and python3-hpack):

    /usr/bin/python3 tests/fuzz/gen_h2o_corpus.py

Seeds are reproducible: no clock, no randomness. STACK_DRIVER_MARKER (stack_driver.h) splits an
input into separate reads. GRANT_ALL and REFUSAL are the placeholders stack_driver.c swaps for
consent tokens it signs at start-up (same lengths). Paths pick the stub origin's answers
(stub_origin.c): / gzip deflate chunked close xhtml script.js empty cached redirect bad big.
"""
import os
import sys

from hpack import Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, GoAwayFrame, HeadersFrame, PingFrame, PriorityFrame,
                              RstStreamFrame, SettingsFrame, WindowUpdateFrame)

MARK = b"\n--8<--\n"
GRANT_ALL = "1.fuzz." + "G" * 48 + "." + "M" * 22
REFUSAL = "1.fuzz." + "R" * 27 + "." + "M" * 22
IDENTIFIER = "0123456789abcdef0123456789abcdef"
HERE = os.path.dirname(os.path.abspath(__file__))


# --- HTTP/1.1 ---------------------------------------------------------------------------------

def req(method, target, headers=(), body=b"", host="shop.example", version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None:
        lines.append("Host: " + host)
    lines += ["%s: %s" % h for h in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


PAGE = [("Accept", "text/html,application/xhtml+xml"), ("Accept-Language", "en-US,en;q=0.8"), ("Sec-Fetch-Dest", "document")]
JSON_POST = [("Content-Type", "application/json"), ("Origin", "http://shop.example")]
FORM_POST = [("Content-Type", "application/x-www-form-urlencoded"), ("Origin", "http://shop.example")]


def post(target, headers, body):
    return req("POST", target, list(headers) + [("Content-Length", str(len(body)))], body)


def chunked(body_pieces):
    out = b""
    for piece in body_pieces:
        out += b"%x\r\n%s\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


def http1_seeds():
    s = {}
    s["get-page"] = req("GET", "/", PAGE)
    s["get-page-ja"] = req("GET", "/?lang=ja", [("Accept", "text/html"), ("Accept-Language", "ja,en;q=0.5")])
    s["get-gzip"] = req("GET", "/gzip", PAGE + [("Accept-Encoding", "gzip, deflate")])
    s["get-deflate"] = req("GET", "/deflate", PAGE + [("Accept-Encoding", "gzip")])
    s["get-chunked"] = req("GET", "/chunked", PAGE + [("Accept-Encoding", "gzip")])
    s["get-close"] = req("GET", "/close", PAGE)
    s["get-xhtml"] = req("GET", "/xhtml", [("Accept", "application/xhtml+xml")])
    s["get-script"] = req("GET", "/script.js", [("Accept", "*/*"), ("Sec-Fetch-Dest", "script"), ("Accept-Encoding", "gzip")])
    s["get-empty"] = req("GET", "/empty", [("Accept", "*/*")])
    s["get-cached"] = req("GET", "/cached", PAGE + [("If-None-Match", '"page-1"')])
    s["get-redirect-utm"] = req("GET", "/redirect?utm_source=news&id=7&fbclid=abc&gclid=x", PAGE)
    s["get-bad-origin"] = req("GET", "/bad", PAGE)
    s["get-big"] = req("GET", "/big", PAGE + [("Accept-Encoding", "gzip")])
    s["head-page"] = req("HEAD", "/", PAGE)
    s["head-chunked"] = req("HEAD", "/chunked", PAGE)
    s["get-range"] = req("GET", "/", PAGE + [("Range", "bytes=0-99")])
    s["get-http10-nohost"] = req("GET", "/", [("Accept", "text/html")], host=None, version="HTTP/1.0")
    s["get-absolute-form"] = req("GET", "http://shop.example/xhtml?utm_medium=a", PAGE)
    s["get-blocked-path"] = req("GET", "/collect?v=2&tid=G-1", [("Sec-Fetch-Dest", "image")])
    s["get-vendor-path"] = req("GET", "/g/collect?v=2", [("Sec-Fetch-Dest", "script")])
    s["get-rule-blocked"] = req("GET", "/pixel.gif?u=1", [("Sec-Fetch-Dest", "image"), ("Referer", "http://shop.example/")])
    s["get-cookies-consented"] = req("GET", "/", PAGE + [
        ("Cookie", "session=s1; _ga=GA1.1.2; omote_consent=%s; omote_id=%s; mystery=1; _fbp=fb.1" % (GRANT_ALL, IDENTIFIER))])
    s["get-cookies-refused"] = req("GET", "/gzip", PAGE + [
        ("Cookie", "omote_consent=%s; _ga=GA1.1.2; cart_1=3; __Host-omote_id=%s" % (REFUSAL, IDENTIFIER))])
    s["get-cookies-tampered"] = req("GET", "/", PAGE + [("Cookie", "omote_consent=" + GRANT_ALL[:-3] + "AAA; _gid=1")])
    s["get-spoofed-headers"] = req("GET", "/", PAGE + [("X-Forwarded-For", "1.2.3.4"), ("Forwarded", "for=1.2.3.4"),
                                                         ("Omote-Consent", "analytics=1"), ("Omote-Id", IDENTIFIER),
                                                         ("Via", "1.1 evil"), ("Connection", "close, X-Private"),
                                                         ("X-Private", "1"), ("Keep-Alive", "timeout=5"), ("TE", "trailers")])
    s["get-gpc"] = req("GET", "/", PAGE + [("Sec-GPC", "1")])
    s["get-upgrade-h2c"] = req("GET", "/", [("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"),
                                            ("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA")])
    s["get-expect"] = req("POST", "/form", [("Expect", "100-continue"), ("Content-Length", "5")]) + MARK + b"hello"
    s["post-form-origin"] = post("/form?utm_source=x", [("Content-Type", "application/x-www-form-urlencoded")], b"a=1&b=2")
    s["post-chunked-origin"] = (req("POST", "/form", [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")]) + MARK +
                                chunked([b"hello ", b"world"]).replace(b"\r\nworld", b"\r\nwor" + MARK + b"ld"))
    s["post-consent-json-all"] = post("/_omote/consent", JSON_POST, b'{"all": true}')
    s["post-consent-json-purposes"] = post("/_omote/consent", JSON_POST + [("Sec-GPC", "1")],
                                           b'{"purposes": {"analytics": true, "marketing": false}}')
    s["post-consent-form"] = post("/_omote/consent", FORM_POST + [("Cookie", "omote_consent=" + REFUSAL)],
                                  b"all=1&purpose=analytics&purpose=marketing")
    s["post-consent-withdraw"] = post("/_omote/consent", FORM_POST + [("Cookie", "omote_consent=" + GRANT_ALL)], b"withdraw=1")
    s["post-consent-cross-site"] = post("/_omote/consent", [("Content-Type", "application/json"), ("Sec-Fetch-Site", "cross-site")],
                                        b'{"all": true}')
    s["post-consent-chunked"] = (req("POST", "/_omote/consent", JSON_POST + [("Transfer-Encoding", "chunked")]) + MARK +
                                 chunked([b'{"purp', b'oses": {"analytics": tr', b'ue}}']))
    s["post-consent-bad-json"] = post("/_omote/consent", JSON_POST, b'{"all": tru')
    s["delete-consent"] = req("DELETE", "/_omote/consent", [("Origin", "http://shop.example"), ("Cookie", "omote_consent=" + GRANT_ALL)])
    s["get-consent"] = req("GET", "/_omote/consent", [("Cookie", "omote_consent=" + GRANT_ALL), ("Sec-GPC", "1")])
    s["get-me"] = req("GET", "/_omote/me", [("Cookie", "omote_consent=%s; omote_id=%s" % (GRANT_ALL, IDENTIFIER))])
    s["delete-me"] = req("DELETE", "/_omote/me", [("Origin", "http://shop.example"), ("Cookie", "omote_id=" + IDENTIFIER)])
    s["get-privacy"] = req("GET", "/_omote/privacy", [("Accept-Language", "ja")])
    s["get-banner"] = req("GET", "/_omote/banner", [("Cookie", "omote_consent=" + REFUSAL)])
    s["get-api-404"] = req("GET", "/_omote/nothing/../consent", [])
    s["get-gpc-json"] = req("GET", "/.well-known/gpc.json", [])
    s["post-csp-report"] = post("/_omote/csp-report", [("Content-Type", "application/csp-report")],
                                b'{"csp-report": {"document-uri": "http://shop.example/", "violated-directive": "script-src",'
                                b' "blocked-uri": "https://tracker.example/x.js"}}')
    s["pipelined"] = req("GET", "/", PAGE) + req("GET", "/script.js", [("Sec-Fetch-Dest", "script")]) + req("HEAD", "/gzip", PAGE)
    s["pipelined-split"] = req("GET", "/chunked", PAGE) + MARK + req("GET", "/empty", [])[:20] + MARK + req("GET", "/empty", [])[20:]
    s["split-head"] = MARK.join(req("GET", "/deflate", PAGE + [("Accept-Encoding", "gzip")])[i:i + 7]
                                for i in range(0, len(req("GET", "/deflate", PAGE + [("Accept-Encoding", "gzip")])), 7))
    s["obs-fold"] = b"GET / HTTP/1.1\r\nHost: shop.example\r\nX-Folded: a\r\n  b\r\n\r\n"
    s["empty-name"] = b"GET / HTTP/1.1\r\nHost: shop.example\r\n: nothing\r\n\r\n"
    s["huge-header"] = req("GET", "/", [("X-Big", "b" * 6000)])
    s["many-headers"] = req("GET", "/", [("X-H%d" % i, "v") for i in range(60)])
    s["huge-cookie"] = req("GET", "/", [("Cookie", "; ".join("c%d=%s" % (i, "v" * 30) for i in range(100)))])
    s["huge-body"] = req("POST", "/form", [("Content-Length", "70000")]) + b"x" * 1000
    s["bad-content-length"] = req("POST", "/form", [("Content-Length", "5"), ("Content-Length", "6")], b"hello!")
    s["te-and-cl"] = req("POST", "/form", [("Content-Length", "3"), ("Transfer-Encoding", "chunked")], chunked([b"abc"]))
    s["bad-chunk"] = req("POST", "/form", [("Transfer-Encoding", "chunked")], b"zz\r\nabc\r\n0\r\n\r\n")
    s["bad-method"] = b"G\x01T / HTTP/1.1\r\nHost: shop.example\r\n\r\n"
    s["bad-target"] = b"GET /a\x7fb HTTP/1.1\r\nHost: shop.example\r\n\r\n"
    s["lf-only"] = b"GET / HTTP/1.1\nHost: shop.example\nAccept: text/html\n\n"
    s["truncated"] = b"GET / HTTP/1.1\r\nHost: shop.exa"
    s["options-star"] = req("OPTIONS", "*", [])
    s["connect"] = req("CONNECT", "shop.example:443", [])
    return s


# --- HTTP/2 (the driver sends the client preface first) -------------------------------------------

def frames(*fs):
    out = b""
    for f in fs:
        out += MARK if f is None else f.serialize()
    return out


def settings(extra=None):
    f = SettingsFrame(0)
    f.settings = {SettingsFrame.INITIAL_WINDOW_SIZE: 1 << 20, SettingsFrame.MAX_CONCURRENT_STREAMS: 100}
    f.settings.update(extra or {})
    return f


def settings_ack():
    return SettingsFrame(0, flags=["ACK"])


def headers(encoder, stream_id, method, path, extra=(), end_stream=True, authority="shop.example", scheme="http"):
    block = [(":method", method), (":scheme", scheme), (":authority", authority), (":path", path)]
    block = [h for h in block if h[1] is not None] + list(extra)
    f = HeadersFrame(stream_id, encoder.encode(block))
    f.flags = {"END_HEADERS"} | ({"END_STREAM"} if end_stream else set())
    return f


def data(stream_id, payload, end_stream=True):
    return DataFrame(stream_id, payload, flags=["END_STREAM"] if end_stream else [])


H2_PAGE = [("accept", "text/html"), ("sec-fetch-dest", "document"), ("accept-language", "en")]


def http2_seeds():
    s = {}

    def one(name, method, path, extra=(), body=None, more=()):
        e = Encoder()
        fs = [settings(), None, headers(e, 1, method, path, extra, end_stream=body is None)]
        if body is not None:
            fs += [None, data(1, body)]
        s[name] = frames(*fs, *more)

    one("get-page", "GET", "/", H2_PAGE)
    one("get-gzip", "GET", "/gzip", H2_PAGE + [("accept-encoding", "gzip")])
    one("get-deflate", "GET", "/deflate", H2_PAGE)
    one("get-chunked", "GET", "/chunked", H2_PAGE + [("accept-encoding", "gzip")])
    one("get-close", "GET", "/close", H2_PAGE)
    one("get-script", "GET", "/script.js", [("sec-fetch-dest", "script")])
    one("get-empty", "GET", "/empty")
    one("get-cached", "GET", "/cached", H2_PAGE + [("if-none-match", '"page-1"')])
    one("get-redirect-utm", "GET", "/redirect?utm_campaign=x&q=1", H2_PAGE)
    one("get-bad-origin", "GET", "/bad", H2_PAGE)
    one("get-big", "GET", "/big", H2_PAGE)
    one("head-page", "HEAD", "/", H2_PAGE)
    one("get-blocked-path", "GET", "/tp/pixel", [("sec-fetch-dest", "image")])
    one("get-rule-blocked", "GET", "/pixel.gif?u=2", [("sec-fetch-dest", "image"), ("referer", "http://shop.example/")])
    one("get-cookies-consented", "GET", "/", H2_PAGE + [("cookie", "session=s1"), ("cookie", "omote_consent=" + GRANT_ALL),
                                                         ("cookie", "omote_id=" + IDENTIFIER), ("cookie", "_ga=1; _fbp=2")])
    one("get-cookies-refused", "GET", "/", H2_PAGE + [("cookie", "omote_consent=" + REFUSAL), ("cookie", "_ga=1")])
    one("get-spoofed-headers", "GET", "/", H2_PAGE + [("x-forwarded-for", "1.2.3.4"), ("omote-consent", "marketing=1"),
                                                       ("forwarded", "for=x"), ("via", "2 evil"), ("te", "trailers")])
    one("post-consent-json", "POST", "/_omote/consent", [("content-type", "application/json"), ("origin", "http://shop.example")],
        b'{"all": true}')
    one("post-consent-form", "POST", "/_omote/consent", [("content-type", "application/x-www-form-urlencoded"),
                                                         ("sec-fetch-site", "same-origin"), ("cookie", "omote_consent=" + REFUSAL)],
        b"all=1")
    one("delete-consent", "DELETE", "/_omote/consent", [("origin", "http://shop.example"), ("cookie", "omote_consent=" + GRANT_ALL)])
    one("get-consent", "GET", "/_omote/consent", [("cookie", "omote_consent=" + GRANT_ALL)])
    one("get-me", "GET", "/_omote/me", [("cookie", "omote_id=" + IDENTIFIER)])
    one("get-privacy", "GET", "/_omote/privacy", [("accept-language", "ja")])
    one("get-gpc-json", "GET", "/.well-known/gpc.json")
    one("post-origin", "POST", "/form?fbclid=1", [("content-type", "text/plain"), ("content-length", "11")], b"hello world")
    one("bad-path-space", "GET", "/a b", H2_PAGE)
    one("bad-method", "G T", "/", H2_PAGE)
    one("bad-header-value-crlf", "GET", "/", [("x-injected", "a\r\nx-evil: 1")])
    one("uppercase-header", "GET", "/", [("X-Upper", "1")])
    one("connection-header", "GET", "/", [("connection", "close")])
    one("missing-authority", "GET", "/", H2_PAGE)
    s["missing-authority"] = frames(settings(), headers(Encoder(), 1, "GET", "/", H2_PAGE, authority=None))
    s["missing-path"] = frames(settings(), headers(Encoder(), 1, "GET", None, H2_PAGE))
    one("huge-header", "GET", "/", [("x-big", "b" * 6000)])
    one("many-cookies", "GET", "/", [("cookie", "c%d=%d" % (i, i)) for i in range(80)])

    # several streams, one encoder (dynamic table references), interleaved with control frames
    e = Encoder()
    s["multi-stream"] = frames(settings(), settings_ack(), None,
                               headers(e, 1, "GET", "/", H2_PAGE), headers(e, 3, "GET", "/gzip", H2_PAGE + [("accept-encoding", "gzip")]),
                               None, PingFrame(0, b"12345678"), headers(e, 5, "GET", "/script.js", [("sec-fetch-dest", "script")]),
                               None, WindowUpdateFrame(0, window_increment=1 << 20), RstStreamFrame(3, error_code=8),
                               None, headers(e, 7, "HEAD", "/chunked", H2_PAGE), GoAwayFrame(0, last_stream_id=7))

    # a request body in several DATA frames and reads, then the stream's window reopened
    e = Encoder()
    s["post-split-body"] = frames(settings(), headers(e, 1, "POST", "/_omote/consent",
                                                      [("content-type", "application/json"), ("origin", "http://shop.example")],
                                                      end_stream=False),
                                  None, data(1, b'{"purposes": ', end_stream=False), None, data(1, b'{"marketing": true}}'))

    # a header block split over CONTINUATION frames
    e = Encoder()
    block = e.encode([(":method", "GET"), (":scheme", "http"), (":authority", "shop.example"), (":path", "/"),
                      ("accept", "text/html"), ("cookie", "omote_consent=" + GRANT_ALL)])
    cut = len(block) // 2
    s["continuation"] = frames(settings(), HeadersFrame(1, block[:cut], flags=["END_STREAM"]), None,
                               ContinuationFrame(1, block[cut:], flags=["END_HEADERS"]))

    # priority frames and a dependency on the stream itself
    e = Encoder()
    s["priority"] = frames(settings(), PriorityFrame(3, depends_on=1, stream_weight=200), headers(e, 1, "GET", "/", H2_PAGE),
                           PriorityFrame(1, depends_on=1, stream_weight=1))

    # the big page with a small window: flow control stalls it until WINDOW_UPDATEs arrive
    e = Encoder()
    s["big-flow-control"] = frames(settings({SettingsFrame.INITIAL_WINDOW_SIZE: 1024}), headers(e, 1, "GET", "/big", H2_PAGE),
                                   None, WindowUpdateFrame(1, window_increment=4096), None, WindowUpdateFrame(0, window_increment=65536),
                                   None, RstStreamFrame(1, error_code=0))

    # trailers (a second HEADERS ending the stream) after a body
    e = Encoder()
    trailer = HeadersFrame(1, e.encode([("x-checksum", "1")]), flags=["END_HEADERS", "END_STREAM"])
    s["trailers"] = frames(settings(), headers(e, 1, "POST", "/form", [("content-type", "text/plain")], end_stream=False),
                           data(1, b"abc", end_stream=False), None, trailer)

    s["settings-only"] = frames(settings(), settings_ack(), PingFrame(0, b"abcdefgh"))
    s["bad-frame"] = frames(settings()) + b"\x00\x00\x05\x09\x00\x00\x00\x00\x01hello"  # CONTINUATION without HEADERS
    return s


def write_corpus(name, seeds):
    out_dir = os.path.join(HERE, "corpus", name)
    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):
        os.unlink(os.path.join(out_dir, old))
    total = 0
    for seed_name, payload in sorted(seeds.items()):
        with open(os.path.join(out_dir, seed_name), "wb") as f:
            f.write(payload)
        total += len(payload)
    print("%s: %d seeds, %d bytes" % (name, len(seeds), total))


def main():
    if len(sys.argv) > 1:
        sys.exit(__doc__)
    write_corpus("h2o_http1", http1_seeds())
    write_corpus("h2o_http2", http2_seeds())


if __name__ == "__main__":
    main()
