#!/usr/bin/env python3
"""A tiny persistconn driver for emulator self-tests: answers INIT with "" and echoes each
request back as {"status": 200, "payload": {"echo": <request>, "init": <command>}}.
A form field status=<n> sets the reply status."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import persistconn  # noqa: E402


def main():
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    init = None
    while True:
        try:
            pkt = persistconn.read_packet(inp)
        except EOFError:
            return 0
        if pkt["opcode"] & persistconn.INIT:
            init = [c.decode() for c in pkt["command"]]
            persistconn.write_reply(out, b"")
        if pkt["opcode"] & persistconn.BLOCK:
            req = json.loads(pkt["block"])
            st = int(dict(req.get("form") or []).get("status", 200))
            persistconn.write_reply(out, json.dumps({"status": st, "payload": {"echo": req, "init": init}}))


if __name__ == "__main__":
    sys.exit(main())
