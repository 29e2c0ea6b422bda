"""splunkd side (client) and driver side (parser) of the persistconn protocol used by
restmap.conf `scripttype = persist` handlers (splunk-protocol.md §5.5).

splunkd -> driver stdin, one packet per message:
    1 opcode byte: flags INIT 0x01, BLOCK 0x02, END 0x04, ALLOW_STREAM 0x08
    INIT:  "<count>\\n" then count x ("<len>\\n" <bytes>)   (command pieces)
           then "<len>\\n" <bytes>                           (command_arg, empty = none)
    BLOCK: "<len>\\n" <bytes>                                (the request JSON)
driver -> splunkd stdout: every reply is "<len>\\n" <bytes>.  After INIT the driver answers
"" (0\\n) for success or an error text; each BLOCK gets exactly one reply, the JSON
{"status": int, "payload": str|obj, "headers": {...}}.
"""
import json
import os
import subprocess
import threading

INIT, BLOCK, END, ALLOW_STREAM = 0x01, 0x02, 0x04, 0x08


class ProtocolError(Exception):
    pass


def _lenbytes(b):
    return b"%d\n" % len(b) + b


def encode_init(command, command_arg=b""):
    """The INIT part (opcode byte not included)."""
    out = b"%d\n" % len(command)
    for piece in command:
        out += _lenbytes(piece if isinstance(piece, bytes) else piece.encode())
    arg = command_arg if isinstance(command_arg, bytes) else command_arg.encode()
    return out + _lenbytes(arg)


def encode_packet(opcode, command=None, command_arg=b"", block=None):
    out = bytes([opcode])
    if opcode & INIT:
        out += encode_init(command or [], command_arg)
    if opcode & BLOCK:
        b = block if isinstance(block, bytes) else (block or "").encode()
        out += _lenbytes(b)
    return out


def _read_exact(stream, n):
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            raise ProtocolError("unexpected EOF after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_len(stream, limit=1 << 30):
    """Read "<decimal>\\n"; raise ProtocolError on anything else."""
    digits = b""
    while True:
        c = stream.read(1)
        if not c:
            if digits:
                raise ProtocolError("unexpected EOF in length")
            raise EOFError("stream closed")
        if c == b"\n":
            break
        if not c.isdigit() or len(digits) > 12:
            raise ProtocolError("bad length byte %r" % c)
        digits += c
    if not digits:
        raise ProtocolError("empty length")
    n = int(digits)
    if n > limit:
        raise ProtocolError("length %d too large" % n)
    return n


def read_reply(stream):
    """One driver reply: "<len>\\n" + bytes."""
    return _read_exact(stream, read_len(stream))


def write_reply(stream, data):
    if isinstance(data, str):
        data = data.encode()
    stream.write(_lenbytes(data))
    stream.flush()


def read_packet(stream):
    """Driver side: parse one packet from splunkd.  Returns a dict with opcode,
    command (list of bytes or None), command_arg (bytes or None), block (bytes or None).
    Raises EOFError at a clean end of stream."""
    while True:
        c = stream.read(1)
        if not c:
            raise EOFError("stream closed")
        if c != b"\n":  # stray newlines before the opcode are ignored
            break
    op = c[0]
    pkt = {"opcode": op, "command": None, "command_arg": None, "block": None}
    if op & INIT:
        n = read_len(stream, 1 << 16)
        pkt["command"] = [_read_exact(stream, read_len(stream)) for _ in range(n)]
        pkt["command_arg"] = _read_exact(stream, read_len(stream))
    if op & BLOCK:
        pkt["block"] = _read_exact(stream, read_len(stream))
    return pkt


class PersistentHandler:
    """splunkd's view of one persistent driver process: started lazily, INIT once,
    one BLOCK|END per request, restarted if it dies."""

    def __init__(self, argv, command, command_arg=b"", env=None, cwd=None, timeout=30,
                 init_mode="separate"):
        """init_mode "separate": INIT alone, then BLOCK|END per request (§5.5);
        "combined": the first request goes as one INIT|BLOCK|END packet (the driver still
        answers the INIT, then the request)."""
        if init_mode not in ("separate", "combined"):
            raise ValueError("init_mode must be 'separate' or 'combined'")
        self.init_mode = init_mode
        self.argv = list(argv)
        self.command = command
        self.command_arg = command_arg
        self.env = env
        self.cwd = cwd
        self.timeout = timeout
        self.proc = None
        self.lock = threading.Lock()
        self.starts = 0
        self.stderr_lines = []

    def _drain(self, pipe):
        for line in iter(pipe.readline, b""):
            self.stderr_lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    def _start(self, first_block=None):
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=self.cwd)
        self.starts += 1
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
        if first_block is None:
            self.proc.stdin.write(encode_packet(INIT, self.command, self.command_arg))
        else:
            self.proc.stdin.write(encode_packet(INIT | BLOCK | END, self.command, self.command_arg,
                                                first_block))
        self.proc.stdin.flush()
        r = self._reply()
        if r:
            self.stop()
            raise ProtocolError("driver refused INIT: %s" % r.decode("utf-8", "replace"))

    def _reply(self):
        result = {}

        def rd():
            try:
                result["data"] = read_reply(self.proc.stdout)
            except (ProtocolError, EOFError) as e:
                result["err"] = e
        t = threading.Thread(target=rd, daemon=True)
        t.start()
        t.join(self.timeout)
        if t.is_alive():
            self.stop()
            raise ProtocolError("driver did not answer within %ss" % self.timeout)
        if "err" in result:
            self.stop()
            raise ProtocolError("driver reply: %s" % result["err"])
        return result["data"]

    def request(self, req):
        """Send one request (dict -> JSON); return the decoded reply dict."""
        data = json.dumps(req).encode()
        with self.lock:
            fresh = self.proc is None or self.proc.poll() is not None
            if fresh and self.init_mode == "combined":
                self._start(first_block=data)
            else:
                if fresh:
                    self._start()
                try:
                    self.proc.stdin.write(encode_packet(BLOCK | END, block=data))
                    self.proc.stdin.flush()
                except (BrokenPipeError, OSError) as e:
                    self.stop()
                    raise ProtocolError("driver stdin closed: %s" % e)
            raw = self._reply()
        try:
            rep = json.loads(raw)
        except ValueError:
            raise ProtocolError("driver reply is not JSON: %r" % raw[:200])
        if not isinstance(rep, dict) or not isinstance(rep.get("status"), int):
            raise ProtocolError("driver reply lacks an integer 'status'")
        return rep

    def stop(self):
        p, self.proc = self.proc, None
        if p is None:
            return
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(2)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
