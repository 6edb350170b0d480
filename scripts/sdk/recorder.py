#!/usr/bin/env python3
"""A dumb recording HTTP server standing in for a Sentry ingest endpoint.

Every request is answered 200 {"id": "<event id or random>"} with the CORS
headers Sentry's ingest sends, and written to --out as a pair of files in the
fixtures/sdk-captures format:

  <scenario>.<NN>.<kind>.json   method, path, query, headers ([name, value] in
                                wire order), seq, received_at, transfer details,
                                decoded_length, envelope_item_types, event_id_found
  <scenario>.<NN>.<kind>.body   the body exactly as received (still compressed),
                                chunked transfer framing removed

<scenario> is set by the driver (see the control endpoints), NN counts the
requests of that scenario in arrival order, <kind> is the first envelope item
type ("event", "session", ...), "options" for a CORS preflight, else the last
path segment.

Control endpoints (never recorded), for scripts/sdk/capture and tests:
  POST /__recorder/scenario?name=X           following requests belong to X
  GET  /__recorder/idle?quiet_ms=800&timeout_ms=20000
                                             returns once nothing arrived for quiet_ms
  GET  /__recorder/requests                  JSON list of what was recorded
  POST /__recorder/shutdown

--static DIR (repeatable) also serves files from those directories, first hit
wins, on --static-port: the browser page must come from another origin than the
DSN's, as on a real site, so the SDK's requests are cross-origin.

Stdlib only (brotli / zstandard are used when importable, to compute
decoded_length of such bodies). Run: recorder.py --port 8765 --out DIR
"""

import argparse
import gzip
import json
import mimetypes
import os
import sys
import threading
import time
import uuid
import zlib
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

try:
    import brotli  # type: ignore
except ImportError:  # pragma: no cover - optional
    brotli = None
try:
    import zstandard  # type: ignore
except ImportError:  # pragma: no cover - optional
    zstandard = None

CONTROL_PREFIX = "/__recorder/"

# What Sentry's ingest (relay) answers so browsers accept the response and the
# JS transports can read the rate-limit headers.
CORS_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS"),
    (
        "Access-Control-Allow-Headers",
        "x-sentry-auth, x-requested-with, x-forwarded-for, origin, referer, accept, "
        "content-type, authentication, authorization, content-encoding, "
        "transfer-encoding, sentry-trace, baggage",
    ),
    ("Access-Control-Expose-Headers", "x-sentry-error, x-sentry-rate-limits, retry-after"),
]


# ----------------------------------------------------------------- decoding
def decode_body(body, content_encoding):
    """Undo Content-Encoding (comma-separated list, applied in order). None if
    an encoding is unknown, its module missing, or the data is corrupt."""
    if not content_encoding:
        return body
    data = body
    for enc in reversed([e.strip().lower() for e in content_encoding.split(",") if e.strip()]):
        try:
            if enc in ("identity",):
                continue
            if enc in ("gzip", "x-gzip"):
                data = gzip.decompress(data)
            elif enc == "deflate":
                try:
                    data = zlib.decompress(data)  # zlib wrapper (RFC 1950), what the RFC says
                except zlib.error:
                    data = zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, what some send
            elif enc == "br" and brotli is not None:
                data = brotli.decompress(data)
            elif enc == "zstd" and zstandard is not None:
                data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
            else:
                return None
        except Exception:
            return None
    return data


def parse_envelope(data):
    """Returns (header dict, [(item header, payload bytes)]) or None if the
    first line is not a JSON object. Items with `length` are read by length,
    others up to the next newline (JS SDKs send no length)."""
    nl = data.find(b"\n")
    first = data if nl < 0 else data[:nl]
    try:
        header = json.loads(first or b"null")
    except ValueError:
        return None
    if not isinstance(header, dict):
        return None
    items = []
    pos = len(data) if nl < 0 else nl + 1
    while pos < len(data):
        nl = data.find(b"\n", pos)
        line = data[pos:] if nl < 0 else data[pos:nl]
        pos = len(data) if nl < 0 else nl + 1
        if not line.strip():
            continue
        try:
            item_header = json.loads(line)
        except ValueError:
            break
        if not isinstance(item_header, dict):
            break
        length = item_header.get("length")
        if isinstance(length, int):
            payload = data[pos : pos + length]
            pos += length
            if data[pos : pos + 1] == b"\n":
                pos += 1
        else:
            nl = data.find(b"\n", pos)
            payload = data[pos:] if nl < 0 else data[pos:nl]
            pos = len(data) if nl < 0 else nl + 1
        items.append((item_header, payload))
    return header, items


def envelope_facts(decoded):
    """(envelope_item_types, event_id_found) as in the fixtures' .json files."""
    if not decoded:
        return None, None
    env = parse_envelope(decoded)
    if env is None:
        return None, None
    header, items = env
    types = [h.get("type") for h, _ in items]
    event_id = header.get("event_id")
    if event_id is None:
        for h, payload in items:
            if h.get("type") in ("event", "transaction"):
                try:
                    event_id = json.loads(payload).get("event_id")
                except (ValueError, AttributeError):
                    pass
                break
    return types, event_id


# ----------------------------------------------------------------- server state
class State:
    def __init__(self, out_dir, scenario):
        self.out_dir = out_dir
        self.lock = threading.Lock()
        self.seq = 0
        self.scenario = scenario
        self.per_scenario = {}
        self.last_activity = time.monotonic()
        self.in_flight = 0
        self.recorded = []

    def touch(self, delta=0):
        with self.lock:
            self.in_flight += delta
            self.last_activity = time.monotonic()

    def allocate(self, kind):
        with self.lock:
            self.seq += 1
            n = self.per_scenario.get(self.scenario, 0) + 1
            self.per_scenario[self.scenario] = n
            name = "%s.%02d.%s" % (self.scenario, n, kind)
            self.recorded.append(name)
            return self.seq, self.scenario, name


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, chunked uploads, as real clients expect
    server_version = "moth-recorder"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.server.verbose:
            sys.stderr.write("recorder: " + (fmt % args) + "\n")

    # All methods go through one place.
    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_OPTIONS = do_HEAD = do_DELETE = do_PATCH = do_GET

    def read_body(self):
        """Returns (body, chunked, chunk_sizes)."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            body = bytearray()
            sizes = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                sizes.append(size)
                if size == 0:
                    # trailers, up to the empty line
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline(3)  # CRLF after the chunk data
            return bytes(body), True, sizes
        length = int(self.headers.get("Content-Length") or 0)
        return (self.rfile.read(length) if length else b""), False, None

    def respond(self, status, body, content_type="application/json", extra=()):
        self.send_response(status)
        for k, v in CORS_HEADERS:
            self.send_header(k, v)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        st = self.server.state
        st.touch(+1)
        try:
            if self.path.startswith(CONTROL_PREFIX):
                return self.control()
            if self.server.is_static:
                return self.static()
            self.record()
        finally:
            st.touch(-1)

    # --------------------------------------------------------- recording
    def record(self):
        st = self.server.state
        received_at = datetime.now(timezone.utc).isoformat()
        body, chunked, sizes = self.read_body()
        split = urlsplit(self.path)
        encoding = self.headers.get("Content-Encoding")
        decoded = decode_body(body, encoding)
        types, event_id = envelope_facts(decoded) if decoded is not None else (None, None)

        if types:
            kind = types[0] or "item"
        elif self.command == "OPTIONS":
            kind = "options"
        else:
            kind = ([s for s in split.path.split("/") if s] or ["root"])[-1]
        kind = "".join(c if c.isalnum() or c in "_-" else "_" for c in kind)

        seq, scenario, name = st.allocate(kind)
        meta = {
            "name": name,
            "scenario": scenario,
            "seq": seq,
            "received_at": received_at,
            "method": self.command,
            "path": split.path,
            "query": split.query,
            "request_target": self.path,
            "http_version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_length": len(body),
            "body_file": name + ".body",
            "chunked_transfer": chunked,
            "chunk_sizes": sizes,
            "decoded_length": None if decoded is None else len(decoded),
            "envelope_item_types": types,
            "event_id_found": event_id,
        }
        with open(os.path.join(st.out_dir, name + ".body"), "wb") as f:
            f.write(body)
        with open(os.path.join(st.out_dir, name + ".json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")

        answer_id = (event_id or "").replace("-", "").lower() or uuid.uuid4().hex
        if self.command == "OPTIONS":
            # Preflight: allow whatever the page asks for.
            asked = self.headers.get("Access-Control-Request-Headers")
            extra = [("Access-Control-Allow-Headers", asked)] if asked else []
            self.send_response(200)
            for k, v in CORS_HEADERS:
                if not (asked and k == "Access-Control-Allow-Headers"):
                    self.send_header(k, v)
            for k, v in extra:
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.respond(200, json.dumps({"id": answer_id}, separators=(",", ":")).encode())

    # --------------------------------------------------------- control
    def control(self):
        st = self.server.state
        split = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(split.query).items()}
        self.read_body()
        cmd = split.path[len(CONTROL_PREFIX) :].strip("/")
        if cmd == "scenario":
            with st.lock:
                st.scenario = q.get("name") or "capture"
            return self.respond(200, b'{"ok":true}')
        if cmd == "idle":
            quiet = float(q.get("quiet_ms", 800)) / 1000
            deadline = time.monotonic() + float(q.get("timeout_ms", 20000)) / 1000
            while time.monotonic() < deadline:
                with st.lock:
                    # this control request itself is in flight
                    idle = st.in_flight <= 1 and time.monotonic() - st.last_activity >= quiet
                if idle:
                    break
                time.sleep(0.05)
            return self.respond(200, json.dumps({"idle": idle, "recorded": len(st.recorded)}).encode())
        if cmd == "requests":
            with st.lock:
                return self.respond(200, json.dumps(st.recorded).encode())
        if cmd == "shutdown":
            self.respond(200, b'{"ok":true}')
            threading.Thread(target=self.server.stop_all, daemon=True).start()
            return
        self.respond(404, b'{"error":"unknown control command"}')

    # --------------------------------------------------------- static files
    def static(self):
        self.read_body()
        rel = unquote(urlsplit(self.path).path).lstrip("/") or "index.html"
        if ".." in rel.split("/"):
            return self.respond(403, b"forbidden", "text/plain")
        for root in self.server.static_dirs:
            path = os.path.join(root, rel)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    data = f.read()
                ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
                if ctype.startswith("text/") or ctype.endswith("javascript"):
                    ctype += "; charset=utf-8"
                return self.respond(200, data, ctype, [("Cache-Control", "no-store")])
        self.respond(404, b"not found", "text/plain")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--out", required=True, help="directory for the .json/.body pairs")
    ap.add_argument("--scenario", default="capture", help="initial scenario name")
    ap.add_argument("--static", action="append", default=[], help="directory to serve on --static-port")
    ap.add_argument("--static-port", type=int, default=None)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    state = State(args.out, args.scenario)
    servers = []

    def stop_all():
        for s in servers:
            s.shutdown()

    def make(port, is_static):
        s = Server((args.host, port), Handler)
        s.state, s.verbose, s.is_static = state, args.verbose, is_static
        s.static_dirs = [os.path.abspath(d) for d in args.static]
        s.stop_all = stop_all
        servers.append(s)
        return s

    main_server = make(args.port, False)
    if args.static:
        static_server = make(args.static_port or args.port + 1, True)
        threading.Thread(target=static_server.serve_forever, daemon=True).start()
    print("recorder: listening on http://%s:%d/ -> %s" % (args.host, args.port, args.out), file=sys.stderr, flush=True)
    try:
        main_server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
