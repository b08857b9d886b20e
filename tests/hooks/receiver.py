"""An event hook receiver as docs/HOOKS.md tells one to write it, in plain Python: it checks
each delivery's signature with the documented recipe (the standard library's hmac, not
Sigil's code) and records what it got. Run by tests/hooks/run.sh.

    python3 receiver.py PORT SECRET_FILE OUT_FILE
"""

import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(","))
    t = fields["t"]
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(t)) <= tolerance
    return fresh and hmac.compare_digest(expected, fields["v1"])


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[2]) as f:
            secret = f.read().strip()
        ok = verify(secret, self.headers["Sigil-Signature"], body)
        record = {
            "verified": ok,
            "event_type": self.headers["Sigil-Event-Type"],
            "event": json.loads(body),
        }
        with open(sys.argv[3], "a") as out:
            out.write(json.dumps(record) + "\n")
        self.send_response(204 if ok else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
