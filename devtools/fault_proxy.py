"""A fault-injecting HTTP proxy in front of the registry.

It forwards every request to the real registry and, when a fault switch
matches, answers with an error status, drops the connection (before or after
forwarding), cuts an upload half-way, stalls, or flips a bit of the answer
(``corrupt``). It records each request's
method, path, status and body size, so tests can see what the action sent, and
the scheme of each ``Authorization`` header.

It also serves as a client's HTTP proxy (``HTTP_PROXY``): a request for any host
in plain HTTP goes to the registry, so a test reaches it under a name that is not
on loopback without a name server; an HTTPS tunnel (``CONNECT``) is refused, as a
registry that speaks only plain HTTP refuses TLS.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from akua_emulator.faults import Fault, FaultPlan

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream  # host:port of the real registry
        self.faults = FaultPlan()
        self.log: list[tuple[str, str, int, int]] = []  # (method, path, status, request body bytes)
        self.authorizations: list[str] = []  # the scheme of each Authorization header that came through
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def host(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def add(self, *faults: Fault) -> None:
        self.faults.add(*faults)


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body are two writes: no 40 ms wait for a delayed ACK between

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self, limit: int | None = None) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length if limit is None else min(limit, length)) if length else b""

    def _proxy(self) -> None:
        if self.path.startswith("http://"):  # a proxy request: any host is the registry
            self.path = "/" + self.path.split("/", 3)[3]
        if "Authorization" in self.headers:
            self.server.authorizations.append(self.headers["Authorization"].split(" ")[0].lower())
        path = self.path.split("?")[0]
        fault = self.server.faults.take(self.command, path)
        if fault is not None and fault.action == "cut":
            body = self._read_body(int(self.headers.get("Content-Length") or 0) // 2)
            self._record(0, len(body))
            self.close_connection = True
            return
        body = self._read_body()
        if fault is not None and fault.action in ("drop", "stall"):
            time.sleep(fault.seconds if fault.action == "stall" else 0)
            self._record(0, len(body))
            self.close_connection = True
            return
        if fault is not None and fault.action == "status":
            self._answer(fault.status, {"Retry-After": fault.retry_after} if fault.retry_after else {},
                         fault.body.encode() or b'{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}',
                         len(body))
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        upstream = requests.request(self.command, f"http://{self.server.upstream}{self.path}", headers=headers,
                                    data=body, allow_redirects=False, timeout=60)
        if fault is not None and fault.action == "commit-drop":
            self._record(upstream.status_code, len(body))
            self.close_connection = True
            return
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS}
        content = b"" if self.command == "HEAD" else upstream.content
        if fault is not None and fault.action == "corrupt" and content:  # one bit flipped in the middle
            content = content[:len(content) // 2] + bytes([content[len(content) // 2] ^ 1]) + \
                content[len(content) // 2 + 1:]
        self._answer(upstream.status_code, kept, content, len(body), upstream.headers.get("Content-Length"))

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _proxy

    def do_CONNECT(self) -> None:
        self._answer(502, {}, b"no TLS here", 0)

    def _record(self, status: int, size: int) -> None:
        self.server.log.append((self.command, self.path.split("?")[0], status, size))

    def _answer(self, status: int, headers: dict[str, str], data: bytes, sent: int,
                length: str | None = None) -> None:
        self._record(status, sent)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", length if self.command == "HEAD" and length else str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
