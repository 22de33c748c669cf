"""The Akua API emulator's HTTP server: the package operations of the spec, and the registry connections."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .core import AkuaCore
from .faults import FaultPlan
from .openapi import ApiError, Call, RequestValidator
from .store import Grant, Store
from .verify import verify_artifact

ERROR_CODES = {401: 7001, 403: 7003, 404: 7002, 405: 7005, 409: 7009, 422: 7022}
SIMPLE_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                409: "conflict", 422: "unprocessable_entity"}


class Emulator(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, store: Store, host: str = "127.0.0.1", port: int = 0, *,
                 error_envelope: str = "spec", core: AkuaCore | None = None,
                 log: Callable[[str], None] = print) -> None:
        """``core``: Akua's own core (see ``core``), the judge of every artifact, when available; ``log``
        says how artifacts are verified, and what could not be."""
        self.store = store
        self.core = core
        self.log = log
        log("Akua API emulator: artifacts are verified with Akua's own core (its reader and its packer)." if core
            else "Akua API emulator: Akua's core is not available; artifacts are verified with the emulator's own "
                 "small checks (manifest, layer, akua.toml, vendored folders), and input schemas are not checked.")
        self.error_envelope = error_envelope
        self.faults = FaultPlan()  # switches to fail requests as a real outage would
        self.validator = RequestValidator()
        super().__init__((host, port), _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> Emulator:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def handle_call(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        handler: Callable[[Call, Grant, str], tuple[int, Any]] = getattr(
            self, "op_" + call.operation.operation_id.split(".")[1]
        )
        return handler(call, grant, workspace)

    # --- operations -------------------------------------------------------------------

    def _package(self, call: Call, workspace: str) -> dict[str, Any]:
        package = self.store.packages.get(call.path["id"])
        if package is None or package["workspace_id"] != workspace:
            raise ApiError(404, f"Package {call.path['id']} not found", ["path", "id"])
        return package

    def op_get(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        return 200, self.store.package_json(self._package(call, workspace)["id"])

    def op_list(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        mine = [p for p in self.store.packages.values() if p["workspace_id"] == workspace]
        return 200, _page([self.store.package_json(p["id"]) for p in mine], call.query)

    def op_listVersions(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        package = self._package(call, workspace)
        newest_first = list(reversed(self.store.versions[package["id"]]))
        if self.store.lists_omit_schemas:
            newest_first = [{k: v for k, v in version.items() if k != "input_schema"} for version in newest_first]
        return 200, _page(newest_first, call.query)

    def _version(self, call: Call, workspace: str) -> dict[str, Any]:
        package = self._package(call, workspace)
        for version in self.store.versions[package["id"]]:
            if version["id"] == call.path["version_id"]:
                return version
        raise ApiError(404, f"Version {call.path['version_id']} not found", ["path", "version_id"])

    def op_getVersion(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        return 200, self._version(call, workspace)

    def op_getVersionInputs(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        return 200, self._version(call, workspace)["input_schema"]

    def op_listCredentials(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        if not grant.list_connections:
            raise ApiError(403, "This token may not read the workspace's registry connections")
        return 200, _page(self.store.connections_json(workspace), call.query)

    def op_createCredential(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        _require_write(grant)
        body = call.body
        credentials = body["credentials"]
        if body["type"] != "basic" or not credentials.get("username") or not credentials.get("password"):
            raise ApiError(422, "The emulator keeps basic connections only: credentials.username and .password",
                           ["body", "credentials"])
        self.store.add_connection(workspace, body["registry_url"], (credentials["username"], credentials["password"]),
                                  name=body["name"])
        return 201, None

    def op_createVersion(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        _require_write(grant)
        package = self._package(call, workspace)
        body = call.body
        if package["source"].get("kind") != "oci":
            raise ApiError(422, "Package is not OCI-backed", ["path", "id"])
        with self.store.lock:
            if any(v["semver"] == body["semver"] for v in self.store.versions[package["id"]]):
                raise ApiError(409, f"Version {body['semver']} already exists", ["body", "semver"])
            verify_artifact(package["source"]["oci_ref"], body["semver"], body["ref"],
                            body["input_schema"], self.store.reader_credentials(workspace),
                            tls=self.store.registry_tls, core=self.core, log=self.log,
                            signature_key=self.store.signature_keys.get(package["id"], ""))
            version = self.store.record_version(
                package["id"], body["semver"], body["ref"], body["input_schema"]
            )
            if "compatibility" in body:
                self.store.compatibility[version["id"]] = body["compatibility"]
            return 201, version

    def op_importPublished(self, call: Call, grant: Grant, workspace: str) -> tuple[int, Any]:
        _require_write(grant)
        body, key = call.body, call.headers.get("idempotency-key")
        with self.store.lock:
            if key and (workspace, key) in self.store.imports:
                return 201, self.store.package_json(self.store.imports[(workspace, key)])
            if any(p["name"] == body["name"] and p["workspace_id"] == workspace
                   for p in self.store.packages.values()):
                raise ApiError(409, f"Package {body['name']} already exists", ["body", "name"])
            version = body["version"]
            verify_artifact(body["oci_ref"], version["semver"], version["ref"],
                            version["input_schema"], self.store.reader_credentials(workspace),
                            tls=self.store.registry_tls, core=self.core, log=self.log)
            package_id = self.store.add_package(
                workspace, body["name"], {"kind": "oci", "oci_ref": body["oci_ref"]},
                semver=version["semver"], ref=version["ref"], input_schema=version["input_schema"],
            )
            self.store.packages[package_id]["display_image_url"] = body.get("display_image_url")
            if key:
                self.store.imports[(workspace, key)] = package_id
            return 201, self.store.package_json(package_id)


def _require_write(grant: Grant) -> None:
    if not grant.write:
        raise ApiError(403, "This token may not publish (read-only)")


def _page(items: list[Any], query: dict[str, Any]) -> dict[str, Any]:
    limit = query.get("limit", 50)
    offset = 0
    if query.get("cursor"):
        try:
            offset = int(base64.urlsafe_b64decode(query["cursor"].encode()).decode())
        except ValueError:
            raise ApiError(422, "Invalid cursor", ["query", "cursor"]) from None
    chunk = items[offset:offset + limit]
    more = offset + limit < len(items)
    cursor = base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if more else None
    return {"data": chunk, "has_more": more, "next_cursor": cursor}


class _Handler(BaseHTTPRequestHandler):
    server: Emulator
    protocol_version = "HTTP/1.1"
    # The head and the body go out as two writes: with Nagle's algorithm the body would wait for the
    # client's delayed ACK (40 ms a request on Linux), time no real API spends.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read results
        pass

    def _dispatch(self) -> None:
        started = time.perf_counter()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = self.server.faults.take(self.command, parts.path)
        extra: dict[str, str] = {}
        if fault and fault.action in ("drop", "stall"):
            time.sleep(fault.seconds if fault.action == "stall" else 0)
            self.close_connection = True
            return
        if fault and fault.action == "before" and fault.before:
            fault.before()
        try:
            if fault and fault.action == "status":
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                raise ApiError(fault.status, "Service temporarily unavailable (injected fault)")
            operation, path_params = self.server.validator.route(self.command, parts.path)
            grant, workspace = self._authorize(headers)
            call = self.server.validator.parse(
                operation, path_params, parse_qs(parts.query), headers, raw_body
            )
            status, payload = self.server.handle_call(call, grant, workspace)
        except ApiError as exc:
            status, payload = exc.status, self._error_body(exc)
        self.server.store.calls.append(
            (self.command, parts.path, status, headers.get("user-agent", ""), time.perf_counter() - started)
        )
        if fault and fault.action == "commit-drop":
            self.close_connection = True
            return
        data = b"" if payload is None else json.dumps(payload).encode()  # None: the spec's answer has no body
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch

    def _authorize(self, headers: dict[str, str]) -> tuple[Grant, str]:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        grant = self.server.store.grants.get(token) if scheme.lower() == "bearer" else None
        if grant is None:
            raise ApiError(401, "Invalid or missing API token")
        context = headers.get("akua-context")
        if context and context not in grant.workspaces:
            raise ApiError(403, f"Token has no access to workspace {context}")
        return grant, context or grant.workspaces[0]

    def _error_body(self, exc: ApiError) -> dict[str, Any]:
        if self.server.error_envelope == "simple":
            return {"error": {"code": SIMPLE_CODES.get(exc.status, "error"), "message": exc.message}}
        entry: dict[str, Any] = {"code": ERROR_CODES.get(exc.status, 7000), "message": exc.message}
        if exc.path:
            entry["path"] = exc.path
        return {"success": False, "errors": [entry], "result": {}}
