"""The examples pack to the same bytes whatever the code's layout: their digests are pinned here.

examples/hello and examples/greeter are packed as they are committed; examples/wrapper with its dependencies
vendored from the chart and the git tree the demo serves (``devtools/dependencies.py``), written here without a
network. A change of the layer's digests is a change of the packing, of the manifest's a change
of the artifact format: either needs a new ``akuaVersion`` (``ARTIFACT_FORMAT``), never a
refactoring. The manifests are those of format 2, whose layer descriptor records the content's
digest; the layers are those format 1 packed, byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from akua_publish.deps.tree import chart_root, unpack, walk
from akua_publish.options import UnpackLimits
from akua_publish.package.manifest import build_artifact, oci_annotations
from akua_publish.package.packing import VendoredFile, pack
from devtools.dependencies import CHART_FILES, chart_tarball

ROOT = Path(__file__).resolve().parents[2]
HELLO = ("sha256:04820ffe4d321a8b0754d6c79bb85b68859903a060190eed1764444160833b2a",  # layer, manifest
         "sha256:66eeb54762ea04020302696f60d33d2a1977d7de1537c35be9023b4bfca7ce51")
WRAPPER = ("sha256:582e9b8f853cd8802393669b6a3e6faded3cc89583aa618afb50d8a3eb0319e4",
           "sha256:5cea1cf7e0dbc2d5a926cd85664bc00bcdc1cb881f7d361abd0a3b87ad8a78c2")
GREETER = ("sha256:896e430c5a43fb1007bea9526d4f654fee1ab981af4a2d7a26ec67c7f82a7ebc",
           "sha256:fece1a9f4ccd8bb7aad7ad71617277186ba275eb9e4859a2b7d175e5ea9f12cb")


def vendored_wrapper(work: Path) -> list[VendoredFile]:
    blob = work / "chart.tgz"
    blob.write_bytes(chart_tarball())
    unpack(blob, work / "oci", gzipped=True, limits=UnpackLimits(), time_left=lambda: 60.0)
    files = [VendoredFile(f".akua/vendor/podinfo/{rel}", path, bool(path.stat().st_mode & 0o100))
             for rel, path in walk(chart_root(work / "oci", helm=True))]
    tree = {f"chart/{rel}": data for rel, (data, _) in CHART_FILES.items()} | {"values.yaml": b"replicaCount: 1\n"}
    for rel, data in tree.items():
        (work / "git" / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / "git" / rel).write_bytes(data)
    return files + [VendoredFile(f".akua/vendor/podinfo-git/{rel}", path, False) for rel, path in walk(work / "git")]


def digests(root: Path, vendored: list[VendoredFile], semver: str) -> tuple[str, str]:
    layer = pack(root, None, vendored)
    artifact = build_artifact(layer, oci_annotations(semver, "https://github.com/owner/akua-publish", "0" * 40))
    return layer.digest, artifact.digest


def test_the_examples_pack_to_their_pinned_digests(tmp_path: Path) -> None:
    assert digests(ROOT / "examples" / "hello", [], "0.3.0") == HELLO
    assert digests(ROOT / "examples" / "wrapper", vendored_wrapper(tmp_path), "0.1.0") == WRAPPER
    assert digests(ROOT / "examples" / "greeter", [], "0.1.0") == GREETER
