#!/usr/bin/env python3
"""A tiny stand-in for the Kubernetes API server, for the error paths a shared cluster cannot show.

    fake_apiserver.py MODE PORT_FILE

MODE "no-crd":         the bitcoinnetworks resource is not served (404 "404 page not found", as the
                       real server answers for an unknown group); everything else is an empty list.
MODE "no-controller":  the CRD is served but no network and no controller Deployment exist.
Listens on 127.0.0.1 on a free port, written to PORT_FILE once it accepts connections.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1]
GROUP_PATH = "/apis/bitcoin.kubectl-bitcoin.dev/"


def status_404(path):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "the server could not find the requested resource", "reason": "NotFound",
            "details": {}, "code": 404}


def is_collection(path):
    """/api/v1/pods, /apis/apps/v1/namespaces/x/deployments: a list; with a trailing name: one object."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"]:
        rest = parts[2:]
    elif parts[:1] == ["apis"]:
        rest = parts[3:]
    else:
        return False
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        rest = rest[2:]
    return len(rest) == 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # keep the connection usable for the next request
        path = self.path.split("?", 1)[0]
        if path.startswith(GROUP_PATH):
            if MODE == "no-crd":
                return self.reply(404, b"404 page not found\n", "text/plain; charset=utf-8")
            if path.rstrip("/").endswith("/bitcoinnetworks"):
                return self.reply(200, {"apiVersion": "bitcoin.kubectl-bitcoin.dev/v1", "kind": "BitcoinNetworkList",
                                        "metadata": {"resourceVersion": "1"}, "items": []})
            name = path.rstrip("/").rsplit("/", 1)[-1]
            return self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                    "message": f'bitcoinnetworks.bitcoin.kubectl-bitcoin.dev "{name}" not found',
                                    "details": {"name": name, "group": "bitcoin.kubectl-bitcoin.dev",
                                                "kind": "bitcoinnetworks"}, "code": 404})
        if is_collection(path):
            return self.reply(200, {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"},
                                    "items": []})
        return self.reply(404, status_404(path))

    do_POST = do_GET
    do_DELETE = do_GET
    do_PATCH = do_GET

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-apiserver: " + (fmt % args) + "\n")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
