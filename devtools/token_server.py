"""A bearer-token service for Distribution, as GHCR, Docker Hub and Harbor run one.

The registry sends clients here with ``WWW-Authenticate: Bearer realm=...``;
this server checks HTTP Basic credentials and signs a JWT (RS256, with the
certificate in ``x5c``) that grants only the actions the user holds *and*
asked for. Distribution verifies the signature against the certificate in its
``rootcertbundle`` and enforces the scope: a pull-only token cannot push.
Anyone, without credentials, gets a token that may pull the repositories in
``public`` and nothing else, as GHCR treats public and private packages.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from devtools.tls import TestCA

SERVICE = "akua-tests-registry"
ISSUER = "akua-tests-token-issuer"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, users: dict[str, tuple[str, set[str]]], host: str = "127.0.0.1",
                 tls: TestCA | None = None) -> None:
        """``users``: name -> (password, actions on every repository, e.g. {"pull", "push"}).

        ``host`` is the loopback address to serve on (127.0.0.2 stands for another host than the
        registry's); ``tls`` serves HTTPS with a certificate of that CA.
        """
        super().__init__((host, 0), _Handler)
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert_file, tls.key_file)
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.users = users
        self.public: set[str] = set()  # repositories anyone may pull (the tests change it mid-run)
        self.issued: list[str] = []  # every token handed out, for the tests' secret scans
        self.credentials_seen: list[str] = []  # user names of every request that carried a password
        self.asked: list[tuple[str, tuple[str, ...]]] = []  # (user, "" for anyone; scopes) of every token given
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_file = Path(tempfile.mkdtemp(prefix="akua-token-")) / "root.pem"
        self.cert_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def realm(self) -> str:
        host, port = self.server_address[:2]
        return f"{self.scheme}://{host}:{port}/token"

    def registry_auth_yaml(self) -> str:
        return (f"auth: {{token: {{realm: {self.realm}, service: {SERVICE}, issuer: {ISSUER}, "
                f"rootcertbundle: {self.cert_file}}}}}\n")

    def mint(self, user: str, scopes: list[str], admin: bool = False) -> str:
        """A signed token for ``user`` with the requested scopes cut down to what the user holds."""
        allowed = {"pull", "push", "delete", "*"} if admin else self.users[user][1] if user in self.users else set()
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            anyone = {"pull"} if name in self.public else set()
            granted = [a for a in actions.split(",") if a in allowed | anyone]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256",
                  "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()]}
        claims = {"iss": ISSUER, "sub": user, "aud": SERVICE, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = f"{signing_input}.{_b64(signature)}"
        self.issued.append(token)
        return token


class _Handler(BaseHTTPRequestHandler):
    server: TokenServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        user = ""
        if scheme.lower() == "basic":
            name, _, password = base64.b64decode(encoded).decode().partition(":")
            self.server.credentials_seen.append(name)
            if self.server.users.get(name, ("", set()))[0] != password or not password:
                self._answer(401, {"details": "invalid credentials"})
                return
            user = name
        self.server.asked.append((user, tuple(query.get("scope", []))))
        token = self.server.mint(user, query.get("scope", []))
        self._answer(200, {"token": token, "access_token": token, "expires_in": 300})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
