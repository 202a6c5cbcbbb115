#!/usr/bin/env python3
"""Rehearsal stand-in for the HTTP endpoints the example runbooks check.

    python3 assets/stub-api.py batch2            # serves assets/batch2/stub on 127.0.0.1:18080
    python3 assets/stub-api.py staging-release   # 18081
    python3 assets/stub-api.py blue-green        # 18082
    python3 assets/stub-api.py week4             # 18083
    python3 assets/stub-api.py NAME PORT         # any port

A request for /a/b answers with the file stub/a/b.json (or stub/a/b.html, or stub/index.html
for /), whatever the method; the query string is ignored. Inside a file, {{header:X-Site-Id}}
is replaced by that request header (empty when absent). Anything else is a 404.
Standard library only; stop it with Ctrl-C.
"""

import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTS = {"batch2": 18080, "staging-release": 18081, "blue-green": 18082, "week4": 18083}
HERE = os.path.dirname(os.path.abspath(__file__))


class Handler(BaseHTTPRequestHandler):
    root = ""

    def _answer(self, send_body=True):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?", 1)[0].rstrip("/")
        candidates = ["index.html"] if path == "" else [path.lstrip("/") + ".json", path.lstrip("/") + ".html"]
        for rel in candidates:
            full = os.path.normpath(os.path.join(self.root, rel))
            if full.startswith(self.root + os.sep) and os.path.isfile(full):
                with open(full, encoding="utf-8") as f:
                    text = f.read()
                text = re.sub(r"\{\{header:([A-Za-z0-9-]+)\}\}", lambda m: self.headers.get(m.group(1), ""), text)
                body = text.encode("utf-8")
                kind = "application/json" if rel.endswith(".json") else "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)
                return
        body = b'{"error":"not found"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def do_PUT(self):
        self._answer()

    def do_HEAD(self):
        self._answer(send_body=False)

    def log_message(self, fmt, *args):
        sys.stderr.write("stub-api %s\n" % (fmt % args))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    name = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) == 3 else PORTS.get(name, 18080)
    Handler.root = os.path.join(HERE, name, "stub")
    if not os.path.isdir(Handler.root):
        sys.exit("no stub folder at %s" % Handler.root)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("stub-api: serving %s on http://127.0.0.1:%d" % (Handler.root, port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
