"""What the registry adapter relies on in oras-py. An oras release that changes any of it fails
here (and, at run time, fails closed as an internal error instead of sending a request around the
action's transport). The README's development section says what to check when upgrading oras."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import oras.container
import oras.provider
import pytest

from akua_publish.clients import registry as adapter
from akua_publish.clients.retry import RetryPolicy
from akua_publish.package.manifest import build_artifact
from akua_publish.package.packing import pack
from akua_publish.reference import Credentials, parse_repository
from conftest import assert_plain_words
from devtools.registry import LocalRegistry


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_oras_methods_the_adapter_calls_keep_their_signatures() -> None:
    registry = oras.provider.Registry
    assert parameters(registry.do_request) == ["self", "url", "method", "data", "headers", "json", "stream"]
    assert parameters(registry.put_upload)[:4] == ["self", "blob", "container", "layer"]
    assert parameters(registry.upload_blob)[:6] == ["self", "blob", "container", "layer", "do_chunked",
                                                    "chunk_size"]
    assert {"hostname", "insecure"} <= set(parameters(registry.__init__))
    container = oras.container.Container("a/b:t", registry="r:1")
    assert {"registry", "namespace", "repository"} <= set(vars(container))
    assert callable(container.upload_blob_url)


def test_a_request_around_the_transport_fails_closed() -> None:
    with pytest.raises(adapter.OrasContractError) as caught:
        adapter._NoDirectRequests().request("GET", "https://example.com/")
    assert caught.value.exit_code == 70
    assert_plain_words(caught.value)


@pytest.mark.parametrize("size", [1024, 9 * 1024 * 1024], ids=["one-put", "chunked"])
def test_every_upload_request_goes_through_the_transport(registry: LocalRegistry, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "akua.toml").write_text('[package]\nname = "x"\nversion = "1.0.0"\nedition = "akua.dev/v1"\n')
    (package / "package.k").write_text("schema Input:\n    a: str\n")
    (package / "blob.bin").write_bytes(os.urandom(size))
    layer = pack(package, tmp_path)
    seen: list[str] = []
    original = adapter.RegistryTransport.request

    def counting(self: adapter.RegistryTransport, method: str, url: str, **kwargs: object) -> object:
        seen.append(method)
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(adapter.RegistryTransport, "request", counting)
    repository = parse_repository(f"{registry.host}/contract/x{size}", "test")
    client = adapter.RegistryClient(repository, Credentials("", ""), True, RetryPolicy(attempts=1))
    digest = client.push("1.0.0", layer, build_artifact(layer, {}))
    assert registry.manifest_digest(repository.name, "1.0.0") == digest
    uploads = ["POST", "PUT", "POST", "PUT", "PUT"] if size < adapter.CHUNK_SIZE else None
    if uploads:
        assert seen == uploads
    else:
        assert seen[:2] == ["HEAD", "POST"] and seen.count("PATCH") == 3 and seen[-1] == "PUT"
