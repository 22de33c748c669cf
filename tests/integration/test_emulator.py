"""The Akua emulator against the spec files (openapi-packages.json, openapi-registry-connections.json): what it
accepts, answers and verifies."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import secrets
import tarfile
from pathlib import Path
from typing import Any

import pytest
import requests

from akua_emulator.spec import schema_validator
from akua_emulator.spec import spec as both_files
from akua_publish.artifact import CONFIG_MEDIA_TYPE, CONTENT_MEDIA_TYPE, MANIFEST_MEDIA_TYPE
from conftest import WORKSPACE_ID, Akua, Target
from devtools.registry import LocalRegistry

PACKAGE_K = b'schema Input:\n    a?: int\n    """How many."""\n'
SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "title": "Input",
          "properties": {"a": {"type": "integer", "description": "How many."}}}  # what PACKAGE_K exports


def call(akua: Akua, method: str, path: str, token: str | None = "default", **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {akua.token if token == 'default' else token}"
    response = requests.request(method, akua.server.base_url + path, headers=headers, timeout=30, **kwargs)
    _check_against_spec(method, path, response)
    return response


def _check_against_spec(method: str, path: str, response: requests.Response) -> None:
    """Every answer has a status the spec lists (422 for invalid input) and the spec's shape (both files)."""
    from akua_emulator.openapi import RequestValidator

    try:
        op, _ = RequestValidator().route(method, "/v1" + path.split("?", maxsplit=1)[0])
    except Exception:
        schema: dict[str, Any] = {"$ref": "#/components/schemas/ApiErrorResponse"}
    else:
        allowed = set(op.statuses) | {422}
        assert response.status_code in allowed, (response.status_code, response.text)
        item = both_files()["paths"][op.template][op.method.lower()]["responses"].get(str(response.status_code))
        if item is not None and "content" not in item:  # an answer without a body
            assert response.content == b"", response.text
            return
        schema = (item or {}).get("content", {}).get("application/json", {}).get("schema") or {
            "$ref": "#/components/schemas/ApiErrorResponse"
        }
    errors = list(schema_validator(schema).iter_errors(response.json()))
    assert errors == [], [e.message for e in errors]


def push_raw(registry: LocalRegistry, repo: str, tag: str, files: dict[str, bytes],
             manifest_type: str = MANIFEST_MEDIA_TYPE, layer_type: str = CONTENT_MEDIA_TYPE) -> str:
    """Push a hand-made artifact with plain HTTP calls; returns the manifest digest."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    layer = gzip.compress(buffer.getvalue())
    config = b'{"akuaVersion":"test"}'
    base = f"http://{registry.host}/v2/{repo}"
    for blob in (layer, config):
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        requests.put(registry.monolithic_upload_url(repo, digest), data=blob, timeout=10).raise_for_status()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": manifest_type,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                   "size": len(config)},
        "layers": [{"mediaType": layer_type, "digest": "sha256:" + hashlib.sha256(layer).hexdigest(),
                    "size": len(layer)}],
    }).encode()
    response = requests.put(f"{base}/manifests/{tag}", data=manifest,
                            headers={"Content-Type": manifest_type}, timeout=10)
    response.raise_for_status()
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


def good_files(version: str = "1.0.0", package_k: bytes = PACKAGE_K) -> dict[str, bytes]:
    return {
        "akua.toml": f'\ufeff[package]\nname = "x"\nversion = "{version}"\nedition = "akua.dev/v1alpha1"\n'.encode(),
        "package.k": package_k,
    }


def test_package_operations_answer_in_the_spec_shapes(akua: Akua, target: Target) -> None:
    package = call(akua, "GET", f"/packages/{target.package_id}").json()
    assert package["source"] == {"kind": "oci", "oci_ref": target.oci_ref}
    ids, cursor = [], ""
    while True:  # every page: other tests of the session add packages to the same workspace
        listed = call(akua, "GET", "/packages?limit=100" + (f"&cursor={cursor}" if cursor else "")).json()
        ids += [p["id"] for p in listed["data"]]
        if not listed["has_more"]:
            break
        cursor = listed["next_cursor"]
    assert target.package_id in ids
    versions = call(akua, "GET", f"/packages/{target.package_id}/versions").json()
    [seed] = versions["data"]
    assert call(akua, "GET", f"/packages/{target.package_id}/versions/{seed['id']}").json() == seed
    inputs = call(akua, "GET", f"/packages/{target.package_id}/versions/{seed['id']}/inputs").json()
    assert inputs == seed["input_schema"]


def test_create_version_verifies_and_records(akua: Akua, target: Target) -> None:
    digest = push_raw(target.registry, target.repo, "1.0.0", good_files())
    body = {"semver": "1.0.0", "ref": digest, "input_schema": SCHEMA}
    created = call(akua, "POST", f"/packages/{target.package_id}/versions", json=body)
    assert created.status_code == 201 and created.json()["ref"] == digest
    again = call(akua, "POST", f"/packages/{target.package_id}/versions", json=body)
    assert again.status_code == 409
    assert call(akua, "GET", f"/packages/{target.package_id}").json()["latest_version_id"] == created.json()["id"]


@pytest.mark.parametrize(("case", "files", "kwargs", "semver", "needle"), [
    ("unknown-ref", None, {}, "1.0.0", "not found"),
    ("docker-manifest", good_files(), {"manifest_type": "application/vnd.docker.distribution.manifest.v2+json"},
     "1.0.0", "not an OCI image manifest"),
    ("no-akua-layer", good_files(), {"layer_type": "application/vnd.oci.image.layer.v1.tar+gzip"},
     "1.0.0", "No layer of media type"),
    ("no-package-k", {"akua.toml": good_files()["akua.toml"]}, {}, "1.0.0", "package.k is missing"),
    ("package-k-not-at-root", {k: v for k, v in good_files().items() if k != "package.k"} | {"sub/package.k": b"x"},
     {}, "1.0.0", "package.k is missing"),
    ("semver-differs", good_files("1.0.1"), {}, "1.0.0", "does not match the artifact's version 1.0.1"),
    ("akua-toml-without-edition", good_files() | {"akua.toml": b'[package]\nname = "x"\nversion = "1.0.0"\n'}, {},
     "1.0.0", "akua.toml is not a manifest Akua reads"),
    ("schema-differs", good_files(package_k=b"schema Input:\n    b: str\n"), {}, "1.0.0", "input_schema differs"),
    ("package-k-without-input", good_files(package_k=b"schema Other:\n    b: str\n"), {}, "1.0.0",
     "no `Input` schema declared"),
    ("package-k-syntax-error", good_files(package_k=b"schema Input:\n    b: str =\n"), {}, "1.0.0",
     "input_schema differs"),
])
def test_create_version_rejects_what_akua_rejects(akua: Akua, target: Target, case: str, files, kwargs,
                                                    semver: str, needle: str) -> None:
    absent = "sha256:" + "0" * 64
    digest = absent if files is None else push_raw(target.registry, target.repo, "t", files, **kwargs)
    response = call(akua, "POST", f"/packages/{target.package_id}/versions",
                    json={"semver": semver, "ref": digest, "input_schema": SCHEMA})
    assert response.status_code == 422
    assert needle in response.json()["errors"][0]["message"]
    assert target.created() == []


LONG = "x" * 60


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), [
    ("GET", f"/packages/pkg_{'a' * 51}", None, {}, 422),  # id longer than 54
    ("GET", "/packages?limit=0", None, {}, 422),
    ("GET", "/packages?limit=101", None, {}, 422),
    ("GET", "/packages?view=everything", None, {}, 422),
    ("GET", "/packages", None, {"akua-context": "ws_" + LONG}, 403),
    ("POST", "/packages/{id}/versions", {"semver": "1.0.0", "ref": "sha256:x", "input_schema": {}, "x": 1}, {}, 422),
    ("POST", "/packages/{id}/versions", {"semver": "v1.0.0", "ref": "sha256:x", "input_schema": {}}, {}, 422),
    ("POST", "/packages/{id}/versions", {"semver": "1.0.0", "ref": "", "input_schema": {}}, {}, 422),
    ("POST", "/packages/{id}/versions", {"semver": "1.0.0", "ref": "r", "input_schema": []}, {}, 422),
    ("POST", "/packages/{id}/versions", {"semver": "1.0.0", "ref": "r"}, {}, 422),
    ("POST", "/packages/{id}/versions",
     {"semver": "1.0.0", "ref": "r", "input_schema": {}, "compatibility": {"clusterTypes": []}}, {}, 422),
    ("POST", "/packages/{id}/versions", "not json", {"Content-Type": "application/json"}, 422),
    ("POST", "/packages/{id}/versions", b"{}", {"Content-Type": "text/plain"}, 422),
    ("GET", "/packages/{id}/versions/ver_unknown", None, {}, 404),
    ("GET", "/nothing-here", None, {}, 404),
    ("DELETE", "/packages/{id}", None, {}, 405),
])
def test_requests_the_spec_rejects(akua: Akua, target: Target, method: str, path: str, body, headers,
                                   status: int) -> None:
    path = path.replace("{id}", target.package_id)
    kwargs: dict[str, Any] = {"headers": dict(headers)}
    if isinstance(body, dict):
        kwargs["json"] = body
    elif body is not None:
        kwargs["data"] = body
    response = call(akua, method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["success"] is False


def test_authentication_and_workspaces(akua: Akua, target: Target) -> None:
    path = f"/packages/{target.package_id}"
    assert call(akua, "GET", path, token=None).status_code == 401
    assert call(akua, "GET", path, token="sk_akua_nope").status_code == 401
    assert call(akua, "GET", path, headers={"akua-context": "ws_other"}).status_code == 403
    assert call(akua, "GET", path, headers={"akua-context": WORKSPACE_ID}).status_code == 200
    post = call(akua, "POST", path + "/versions", token=akua.read_only_token,
                json={"semver": "1.0.0", "ref": "r", "input_schema": {}})
    assert post.status_code == 403


def test_versions_page_newest_first(akua: Akua, target: Target) -> None:
    for i in range(120):
        akua.store.record_version(target.package_id, f"2.0.{i}", f"sha256:{i:064x}", SCHEMA)
    first = call(akua, "GET", f"/packages/{target.package_id}/versions?limit=100").json()
    assert first["has_more"] and len(first["data"]) == 100 and first["data"][0]["semver"] == "2.0.119"
    rest = call(akua, "GET", f"/packages/{target.package_id}/versions?limit=100&cursor={first['next_cursor']}").json()
    assert not rest["has_more"] and rest["next_cursor"] is None and len(rest["data"]) == 21
    assert rest["data"][-1]["semver"] == "0.0.1"


def test_the_action_finds_its_version_beyond_the_first_page(publish, target: Target) -> None:
    first = publish()
    assert first.returncode == 0
    for i in range(150):
        target.akua.store.record_version(target.package_id, f"9.0.{i}", f"sha256:{i:064x}", SCHEMA)
    again = publish()
    assert again.returncode == 0 and again.outputs["status"] == "already-published", again.log
    assert again.outputs["version-id"] == first.outputs["version-id"]


def test_import_registers_a_package_with_its_first_version(akua: Akua, registry: LocalRegistry) -> None:
    repo = f"tests/import-{secrets.token_hex(4)}"
    digest = push_raw(registry, repo, "1.0.0", good_files())
    body = {"name": f"imported-{repo[-8:]}", "oci_ref": f"oci://{registry.host}/{repo}",
            "version": {"semver": "1.0.0", "ref": digest, "input_schema": SCHEMA}}
    key = {"idempotency-key": secrets.token_hex(8)}
    created = call(akua, "POST", "/packages:import", json=body, headers=dict(key))
    assert created.status_code == 201
    assert call(akua, "POST", "/packages:import", json=body, headers=dict(key)).json()["id"] == created.json()["id"]
    assert call(akua, "POST", "/packages:import", json=body).status_code == 409
    bad = dict(body, oci_ref="https://x/y")
    assert call(akua, "POST", "/packages:import", json=bad).status_code == 422


def test_emulator_cli_takes_tokens_from_the_environment(tmp_path: Path) -> None:
    import json
    import os
    import secrets
    import subprocess
    import sys

    import requests

    from devtools.registry import free_port

    token = "sk_akua_cli_" + secrets.token_hex(8)
    config = tmp_path / "packages.json"
    config.write_text(json.dumps({"packages": [{"id": "pkg_cli", "name": "x", "workspace_id": "ws_cli",
                                                "oci_ref": "oci://127.0.0.1:1/x"}]}))
    port = free_port()
    env = dict(os.environ, AKUA_EMULATOR_TOKENS=json.dumps({token: {"workspaces": ["ws_cli"]}}),
               PYTHONPATH=str(Path(__file__).parents[2]))
    server = subprocess.Popen([sys.executable, "-m", "akua_emulator", "--config", str(config), "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert "listening on http://127.0.0.1" in server.stdout.readline()
        answer = requests.get(f"http://127.0.0.1:{port}/v1/packages/pkg_cli",
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["source"]["oci_ref"] == "oci://127.0.0.1:1/x"
        assert token not in config.read_text()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_artifact_that_would_not_render_offline_is_refused(akua: Akua, target: Target) -> None:
    """Akua's CLI ships such artifacts when a dependency fails; the emulator answers as a failed offline render."""
    from devtools.dependencies import lock_file, push_chart

    chart = push_chart(target.registry, "charts/offline", "1.0.0")
    toml = (good_files()["akua.toml"].decode() +
            f'[dependencies]\nchart = {{ oci = "oci://{target.registry.host}/charts/offline", version = "1.0.0" }}\n')
    lock = lock_file([{"name": "chart", "version": "1.0.0", "source": "x", "digest": chart}]).encode()
    base = good_files() | {"akua.toml": toml.encode(), "akua.lock": lock}
    for tag, files, needle in (
        ("bare", base, "is not vendored under .akua/vendor/chart/"),
        ("other", base | {".akua/vendor/chart/Chart.yaml": b"name: not-the-pinned-chart\n"},
         "not the ones Akua vendors"),
    ):
        digest = push_raw(target.registry, target.repo, tag, files)
        body = {"semver": "1.0.0", "ref": digest, "input_schema": SCHEMA}
        refused = call(akua, "POST", f"/packages/{target.package_id}/versions", json=body)
        assert refused.status_code == 422 and needle in refused.json()["errors"][0]["message"], refused.text
    assert target.created() == []
    # Replaced by a local folder, as Akua's lock records it: Akua's publish vendors it neither.
    replaced = lock_file([{"name": "chart", "version": "1.0.0", "source": "x", "digest": chart,
                           "replaced": "vendor/fork"}]).encode()
    digest = push_raw(target.registry, target.repo, "replaced", base | {"akua.lock": replaced})
    accepted = call(akua, "POST", f"/packages/{target.package_id}/versions",
                    json={"semver": "1.0.0", "ref": digest, "input_schema": SCHEMA})
    assert accepted.status_code == 201, accepted.text


def test_registry_connections_as_the_spec_has_them(akua: Akua) -> None:
    """Listed page by page without their credentials, per workspace; added by the call the action's error gives;
    a token that may not read them gets 403."""
    from akua_emulator import Grant

    mine = [akua.store.add_connection(WORKSPACE_ID, f"registry-{n}.example", ("u", f"secret-{n}")) for n in range(3)]
    theirs = akua.store.add_connection("ws_other", "ghcr.io", ("u", "their-secret"))
    try:
        first = call(akua, "GET", "/registry_connections?limit=2")
        assert first.status_code == 200 and first.json()["has_more"] is True
        second = call(akua, "GET", f"/registry_connections?limit=2&cursor={first.json()['next_cursor']}")
        listed = first.json()["data"] + second.json()["data"]
        assert [c["id"] for c in listed] == [c["id"] for c in mine] and "secret" not in first.text + second.text
        assert call(akua, "GET", "/registry_connections?limit=101").status_code == 422
        added = call(akua, "POST", "/registry_connections", json={
            "name": "GHCR", "registry_url": "ghcr.io", "type": "basic",
            "credentials": {"username": "reader", "password": "p"}})
        assert added.status_code == 201
        assert akua.store.reader_credentials(WORKSPACE_ID)["ghcr.io"] == ("reader", "p")
        for body in ({"name": "x", "registry_url": "ghcr.io", "type": "basic", "credentials": {}, "extra": 1},
                     {"name": "x", "registry_url": "ghcr.io", "credentials": {}}):
            assert call(akua, "POST", "/registry_connections", json=body).status_code == 422
        token = "sk_akua_nolist_" + secrets.token_hex(8)
        akua.store.grants[token] = Grant((WORKSPACE_ID,), list_connections=False)
        assert call(akua, "GET", "/registry_connections", token=token).status_code == 403
        assert call(akua, "POST", "/registry_connections", token=akua.read_only_token, json={
            "name": "x", "registry_url": "x.io", "type": "basic",
            "credentials": {"username": "u", "password": "p"}}).status_code == 403
    finally:
        akua.store.connections[:] = [c for c in akua.store.connections if c not in (*mine, theirs)
                                     and c["credentials"] != ("reader", "p")]
