"""Faults on both sides of a publish: the registry (through a fault proxy) and Akua (emulator switches).

After every scenario the registry holds at most the one intended tag, Akua at
most one version, and the outputs or the error say what happened.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from akua_emulator.faults import Fault
from conftest import WORKSPACE_ID, Akua, Target, error_lines, parse_annotation
from devtools.fault_proxy import FaultProxy
from devtools.registry import LocalRegistry

BLOB_UPLOAD = r"/blobs/uploads/"
MANIFEST = r"/manifests/"
VERSIONS = r"/versions$"
FAST = {"max-attempts": "4", "deadline": "60", "timeout": "5"}


@pytest.fixture(scope="module")
def proxy(registry: LocalRegistry) -> Iterator[FaultProxy]:
    server = FaultProxy(registry.host)
    yield server
    server.shutdown()


@pytest.fixture
def faulty(proxy: FaultProxy, registry: LocalRegistry, akua: Akua, workspace: Path) -> Iterator[Target]:
    """A package whose recorded repository is reached through the fault proxy.

    It carries 6 MiB of incompressible data, so its layer goes up in several PATCHes.
    """
    (workspace / "pkg" / "vendor" / "blob.bin").write_bytes(os.urandom(6 * 1024 * 1024))
    repo = f"faults/hello-{secrets.token_hex(4)}"
    source = {"kind": "oci", "oci_ref": f"oci://{proxy.host}/{repo}"}
    yield Target(registry, akua, akua.store.add_package(WORKSPACE_ID, "hello", source), repo)
    proxy.faults.clear()
    akua.server.faults.clear()


@dataclass
class Scenario:
    name: str
    registry: list[Fault] = field(default_factory=list)
    akua: list[Fault] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    code: int = 0
    status: str = "published"  # the status output on success
    needles: tuple[str, ...] = ()  # in the error annotation on failure
    retried: bool = True  # a "Retrying" warning is expected


SCENARIOS = [
    Scenario("registry-500-on-blob-chunk-then-recovers", registry=[Fault("PATCH", BLOB_UPLOAD, status=500)]),
    Scenario("registry-502-on-upload-start-then-recovers",
             registry=[Fault("POST", BLOB_UPLOAD, status=502, times=2)]),
    Scenario("registry-503-on-blob-commit-then-recovers", registry=[Fault("PUT", BLOB_UPLOAD, status=503)]),
    Scenario("registry-503-on-manifest-then-recovers", registry=[Fault("PUT", MANIFEST, status=503, times=2)]),
    Scenario("registry-429-with-retry-after-on-tag-lookup",
             registry=[Fault("GET", MANIFEST, status=429, retry_after="1")]),
    Scenario("registry-does-not-yet-see-a-blob-another-upload-of-it-is-committing",  # Distribution, runs that meet
             registry=[Fault("PUT", r"/manifests/sha256:", status=400, body='{"errors":[{"code":"DIGEST_INVALID",'
                             '"message":"provided digest did not match uploaded content"},{"code":'
                             '"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}')]),
    Scenario("registry-refuses-the-start-of-an-upload", registry=[Fault("POST", BLOB_UPLOAD, status=400)], code=1,
             retried=False, needles=("refused the upload of blob",)),  # oras's own error: once an internal error
    Scenario("registry-drops-the-connection-mid-upload", registry=[Fault("PATCH", BLOB_UPLOAD, action="cut")]),
    Scenario("registry-drops-the-connection-after-the-manifest",
             registry=[Fault("PUT", MANIFEST, action="commit-drop")]),
    Scenario("registry-stalls-and-the-push-gives-up", registry=[Fault("PATCH", BLOB_UPLOAD, action="stall",
                                                                      times=99, seconds=8)],
             inputs={"timeout": "1", "max-attempts": "2"}, code=75,
             needles=("did not answer PATCH in time", "timeout")),
    Scenario("registry-stalls-until-the-deadline", registry=[Fault("PATCH", BLOB_UPLOAD, action="stall", times=99,
                                                                   seconds=30)],
             inputs={"timeout": "60", "deadline": "8"}, code=75, retried=False,
             needles=("deadline (8 s) passed while waiting for the registry", "Raise the `deadline` input")),
    Scenario("registry-down-for-good", registry=[Fault("*", "/v2/", status=503, times=999)],
             inputs={"max-attempts": "2"}, code=75, needles=("HTTP 503",)),
    Scenario("akua-500-then-201", akua=[Fault("POST", VERSIONS, status=500)]),
    Scenario("akua-429-with-retry-after-then-201", akua=[Fault("POST", VERSIONS, status=429, retry_after="1")]),
    Scenario("akua-503-on-package-lookup-then-recovers", akua=[Fault("GET", r"/packages/pkg_\w+$", status=503,
                                                                     times=2)]),
    Scenario("akua-commits-then-drops-the-connection", akua=[Fault("POST", VERSIONS, action="commit-drop")],
             status="already-published"),
    Scenario("akua-stalls-after-commit", akua=[Fault("POST", VERSIONS, action="commit-drop", times=1),
                                                Fault("POST", VERSIONS, action="stall", times=1, seconds=3)],
             inputs={"timeout": "1"}, status="already-published"),
    Scenario("akua-down-longer-than-the-deadline", akua=[Fault("POST", VERSIONS, status=503, times=999)],
             inputs={"max-attempts": "20", "deadline": "3"}, code=75,
             needles=("HTTP 503", "already in the registry", "re-running the job will find it there")),
    Scenario("akua-404-is-not-retried", akua=[Fault("POST", VERSIONS, status=404)], code=1,
             needles=("HTTP 404",), retried=False),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault(scenario: Scenario, publish, faulty: Target, proxy: FaultProxy, akua: Akua) -> None:
    proxy.add(*[Fault(**vars(f)) for f in scenario.registry])
    akua.server.faults.add(*[Fault(**vars(f)) for f in scenario.akua])
    run = publish(inputs={"package-id": faulty.package_id, **FAST, **scenario.inputs})
    assert run.returncode == scenario.code, run.log
    assert len(faulty.tags()) <= 1 and len(faulty.created()) <= 1
    assert ("::warning title=Retrying" in run.stdout) is scenario.retried, run.log
    if scenario.code == 0:
        assert run.outputs["status"] == scenario.status
        assert faulty.tags() == ["0.3.0"]
        [version] = faulty.created()
        assert version["ref"] == run.outputs["digest"] == faulty.registry.manifest_digest(faulty.repo, "0.3.0")
        return
    _, message = parse_annotation(error_lines(run)[0])
    for needle in scenario.needles:
        assert needle in message, message
    assert faulty.created() == [] and run.outputs == {}


def test_after_akua_comes_back_a_rerun_finishes_the_job(publish, faulty: Target, akua: Akua) -> None:
    akua.server.faults.add(Fault("POST", VERSIONS, status=503, times=999))
    down = publish(inputs={"package-id": faulty.package_id, "max-attempts": "2"})
    assert down.returncode == 75 and faulty.tags() == [] and faulty.created() == [], "pushed by digest, untagged"
    akua.server.faults.clear()
    again = publish(inputs={"package-id": faulty.package_id})
    assert again.returncode == 0 and again.outputs["status"] == "published", again.log
    assert "nothing to upload" in again.log and len(faulty.created()) == 1 and faulty.tags() == ["0.3.0"]


def test_a_tag_that_cannot_be_set_after_the_registration_is_set_by_the_rerun(publish, faulty: Target,
                                                                            proxy: FaultProxy) -> None:
    proxy.add(Fault("PUT", r"/manifests/0\.3\.0$", status=503, times=99))
    down = publish(inputs={"package-id": faulty.package_id, "max-attempts": "2"})
    assert down.returncode == 75, down.log
    _, message = parse_annotation(error_lines(down)[0])
    assert "Akua registered 0.3.0 as" in message
    assert "Re-running the job finds the version in Akua and tags it" in message
    assert faulty.tags() == [] and len(faulty.created()) == 1
    proxy.faults.clear()
    again = publish(inputs={"package-id": faulty.package_id})
    assert again.returncode == 0 and again.outputs["status"] == "already-published", again.log
    assert faulty.tags() == ["0.3.0"]
    assert faulty.registry.manifest_digest(faulty.repo, "0.3.0") == again.outputs["digest"]


def test_uploads_stream_in_chunks_ghcr_accepts(publish, faulty: Target, proxy: FaultProxy,
                                               workspace: Path) -> None:
    (workspace / "pkg" / "vendor" / "blob.bin").write_bytes(os.urandom(10 * 1024 * 1024))  # over the 6 MiB
    run = publish(inputs={"package-id": faulty.package_id})
    assert run.returncode == 0, run.log
    chunks = [size for method, path, _, size in proxy.log if method == "PATCH" and faulty.repo in path]
    assert len(chunks) >= 3 and max(chunks) <= 4 * 1024 * 1024
    assert sum(chunks) > 10 * 1024 * 1024


@pytest.mark.parametrize("fault", [Fault("POST", BLOB_UPLOAD, action="drop", times=99),
                                   Fault("PATCH", BLOB_UPLOAD, action="cut", times=99),
                                   Fault("PUT", MANIFEST, status=503, times=99)],
                         ids=["dropped-upload-start", "cut-chunk", "manifest-503"])
def test_each_request_is_tried_at_most_max_attempts_times(publish, faulty: Target, proxy: FaultProxy,
                                                          fault: Fault) -> None:
    """One retry loop: a failing request is sent ``max-attempts`` times in all, not that number squared."""
    proxy.add(fault)
    run = publish(inputs={"package-id": faulty.package_id, "max-attempts": "3", "deadline": "120"})
    assert run.returncode == 75, run.log
    seen = [p for m, p, *_ in proxy.log if m == fault.method and faulty.repo in p and fault.path.strip("/") in p]
    assert len(seen) == 3, seen
    assert run.stdout.count("::warning title=Retrying") == 2


def test_akua_sees_each_request_at_most_max_attempts_times(publish, faulty: Target, akua: Akua) -> None:
    akua.server.faults.add(Fault("POST", VERSIONS, status=503, times=99))
    run = publish(inputs={"package-id": faulty.package_id, "max-attempts": "3", "deadline": "120"})
    assert run.returncode == 75, run.log
    assert akua.store.count_calls("POST", f"/packages/{faulty.package_id}/versions") == 3


def test_no_request_waits_past_the_deadline(publish, faulty: Target, proxy: FaultProxy) -> None:
    """A registry that accepts the connection and never answers. With the default 60 s read timeout, each
    request's timeout is the time left, so the run ends within `deadline` plus one connect timeout."""
    proxy.add(Fault("*", "/v2/", action="stall", times=999, seconds=120))
    started = time.monotonic()
    run = publish(inputs={"package-id": faulty.package_id, "deadline": "4"})
    elapsed = time.monotonic() - started
    assert run.returncode == 75, run.log
    _, message = parse_annotation(error_lines(run)[0])
    assert "did not answer" in message or "deadline (4 s) passed" in message, message
    assert 4 <= elapsed < 4 + 10, elapsed  # 10 s: the connect timeout; before the fix, ~60 s
    assert faulty.tags() == [] and faulty.created() == []
