"""Shared plumbing for the emulators: request log, fault injection, control API,
TLS server start-up, ready file, SIGTERM.  Python 3 standard library only."""
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder:
    """Thread-safe in-memory log of every request the emulated server received."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, method, path, query, headers, body, status=None, peer=None):
        """peer: the client's port, so a test can count the connections a
        run opened (one per distinct peer)."""
        with self.lock:
            rec = {"seq": len(self.items) + 1, "time": time.time(), "method": method,
                   "path": path, "query": query, "headers": headers, "body": body,
                   "status": status, "peer": peer}
            self.items.append(rec)
            return rec

    def snapshot(self):
        with self.lock:
            return list(self.items)

    def clear(self):
        with self.lock:
            self.items = []


class Faults:
    """Fault rules: {"path": regex (search on the path), "method": optional,
    "count": n (default 1, -1 = forever), "status": int, "body": str|obj,
    "html": bool (HTML 502-style page), "delay": seconds, "reset": bool (drop the
    connection), "retry_after": str, "after": n (skip the first n matches),
    "late": bool (the request is carried out first; the fault then delays, drops
    or replaces its answer)}."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, rule):
        if not isinstance(rule, dict) or "path" not in rule:
            raise ValueError("fault needs a 'path' regex")
        re.compile(rule["path"])
        r = dict(rule)
        r.setdefault("count", 1)
        r.setdefault("after", 0)
        r["hits"] = 0
        with self.lock:
            self.rules.append(r)
        return r

    def take(self, method, path):
        with self.lock:
            for r in self.rules:
                if r.get("method") and r["method"].upper() != method:
                    continue
                if not re.search(r["path"], path):
                    continue
                if r["count"] == 0:
                    continue
                if r["after"] > 0:
                    r["after"] -= 1
                    continue
                if r["count"] > 0:
                    r["count"] -= 1
                r["hits"] += 1
                return dict(r)
        return None

    def snapshot(self):
        with self.lock:
            return [dict(r) for r in self.rules]

    def clear(self):
        with self.lock:
            self.rules = []


HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            b"</body>\r\n</html>\r\n")


class BaseHandler(BaseHTTPRequestHandler):
    """Reads the body, records the request, applies faults, then calls
    self.route(method, path, query, body_bytes) -> (status, headers, body)."""

    protocol_version = "HTTP/1.1"
    server_version = "EmuServer/1.0"
    recorder = None  # set per subclass
    faults = None

    def log_message(self, fmt, *args):
        if os.environ.get("EMU_VERBOSE"):
            sys.stderr.write("%s %s\n" % (self.__class__.__name__, fmt % args))

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if te.lower() == "chunked":
            out = b""
            while True:
                line = self.rfile.readline().strip()
                n = int(line.split(b";")[0], 16)
                if n == 0:
                    self.rfile.readline()
                    break
                out += self.rfile.read(n)
                self.rfile.readline()
            return out
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _handle(self):
        try:
            body = self._read_body()
        except Exception:
            self.close_connection = True
            return
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        query = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
        try:
            body_rec = body.decode("utf-8")
        except UnicodeDecodeError:
            body_rec = body.decode("latin-1")
        rec = self.recorder.add(self.command, path, query, dict(self.headers.items()), body_rec,
                                peer=self.client_address[1] if self.client_address else None)
        fault = self.faults.take(self.command, path) if self.faults else None
        late = None
        if fault and fault.get("late"):
            # the request takes effect first; the fault then delays, drops
            # or replaces its answer (a write done but never confirmed)
            late = self._route(rec, path, query, body)
        if fault:
            if fault.get("delay"):
                time.sleep(float(fault["delay"]))
            if fault.get("reset"):
                rec["status"] = "reset"
                self._reset()
                return
            if fault.get("status") or fault.get("html"):
                st = int(fault.get("status") or 502)
                hdrs = {}
                if fault.get("html"):
                    out, ctype = HTML_502, "text/html"
                else:
                    b = fault.get("body")
                    if b is None:
                        b = {"success": False, "title": None,
                             "message": "Injected fault %d" % st, "hints": [],
                             "error_code": "generic"}
                    out = (b if isinstance(b, str) else json.dumps(b)).encode()
                    ctype = "application/json" if not isinstance(b, str) else "text/plain"
                if fault.get("retry_after") is not None:
                    hdrs["Retry-After"] = str(fault["retry_after"])
                hdrs["Content-Type"] = ctype
                rec["status"] = st
                self._send(st, hdrs, out)
                rec["end"] = time.time()
                return
        st, hdrs, out = late if late else self._route(rec, path, query, body)
        rec["status"] = st
        self._send(st, hdrs, out)
        rec["end"] = time.time()  # with "time": the request was in flight in between

    def _route(self, rec, path, query, body):
        try:
            return self.route(self.command, path, query, body)
        except Exception as e:  # an emulator bug must be visible, not a hang
            import traceback
            traceback.print_exc()
            return 500, {"Content-Type": "application/json"}, json.dumps(
                {"success": False, "title": None, "message": "emulator error: %s" % e,
                 "hints": [], "error_code": "generic"}).encode()

    def _reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _send(self, status, headers, body):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        multi = headers.pop("_set_cookie", None)
        for k, v in headers.items():
            self.send_header(k, v)
        if multi:
            for c in multi:
                self.send_header("Set-Cookie", c)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


def jresp(status, obj, extra=None):
    h = {"Content-Type": "application/json"}
    if extra:
        h.update(extra)
    return status, h, json.dumps(obj).encode("utf-8")


class ControlHandler(BaseHTTPRequestHandler):
    """Plain-HTTP loopback control API.  self.server.emu.control(method, path, query, obj)
    returns (status, obj)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _handle(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        u = urllib.parse.urlsplit(self.path)
        try:
            obj = json.loads(raw) if raw.strip() else None
        except ValueError:
            obj = None
            st, out = 400, {"error": "control body must be JSON"}
        else:
            try:
                st, out = self.server.emu.control(self.command, u.path,
                                                  urllib.parse.parse_qs(u.query), obj)
            except (ValueError, KeyError, TypeError) as e:
                st, out = 400, {"error": str(e)}
        data = json.dumps(out, indent=1).encode()
        self.send_response(st)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


def common_control(emu, method, path, query, obj):
    """Control routes shared by both emulators; returns None if not handled."""
    if path == "/_emu/requests" and method == "GET":
        items = emu.recorder.snapshot()
        if "path" in query:
            items = [i for i in items if re.search(query["path"][0], i["path"])]
        if "method" in query:
            items = [i for i in items if i["method"] == query["method"][0].upper()]
        return 200, items
    if path == "/_emu/requests" and method == "DELETE":
        emu.recorder.clear()
        return 200, {"ok": True}
    if path == "/_emu/fault" and method == "POST":
        rules = obj if isinstance(obj, list) else [obj]
        return 200, {"ok": True, "faults": [emu.faults.add(r) for r in rules]}
    if path == "/_emu/faults" and method == "GET":
        return 200, emu.faults.snapshot()
    if path == "/_emu/faults" and method == "DELETE":
        emu.faults.clear()
        return 200, {"ok": True}
    if path == "/_emu/ping":
        return 200, {"ok": True}
    return None


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, certfile, keyfile):
        super().__init__(addr, handler, bind_and_activate=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(certfile, keyfile)

    def get_request(self):
        sock, addr = self.socket.accept()
        # Headers and body leave in separate writes: without NODELAY, Nagle
        # and the client's delayed ACK add ~40 ms to every keep-alive answer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr

    def finish_request(self, request, client_address):
        # Handshake in the worker thread so a silent client cannot block accept().
        try:
            request.settimeout(30)
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            try:
                request.close()
            except OSError:
                pass
            return
        self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request, client_address):
        pass


class PlainServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


def serve(emu, handler_cls, args, extra_ready=None):
    """Start the HTTPS server and the control server, write the ready file, wait for
    SIGTERM/SIGINT."""
    if args.plain:
        srv = PlainServer((args.host, args.port), handler_cls)
    else:
        srv = TLSServer((args.host, args.port), handler_cls, args.cert, args.key)
    srv.emu = emu
    ctl = PlainServer(("127.0.0.1", args.control_port), ControlHandler)
    ctl.emu = emu
    emu.port = srv.server_address[1]
    emu.control_port = ctl.server_address[1]
    for s in (srv, ctl):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    ready = {"port": emu.port, "control_port": emu.control_port, "pid": os.getpid()}
    if extra_ready:
        ready.update(extra_ready)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(ready, fh)
        os.replace(tmp, args.ready_file)
    else:
        print(json.dumps(ready), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    while not stop.wait(0.5):
        pass
    if hasattr(emu, "shutdown"):
        emu.shutdown()
    srv.shutdown()
    ctl.shutdown()


def add_common_args(p):
    p.add_argument("--config", help="JSON config file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--control-port", type=int, default=0)
    p.add_argument("--ready-file")
    p.add_argument("--cert", help="server certificate (PEM)")
    p.add_argument("--key", help="server key (PEM)")
    p.add_argument("--plain", action="store_true", help="plain HTTP instead of HTTPS (debug only)")
