"""The examples pack to the same bytes whatever the code's layout: their digests are pinned here.

examples/hello is packed as it is committed; examples/wrapper with its dependencies vendored from
the chart and the git tree the demo serves (``devtools/dependencies.py``), written here without a
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
HELLO = ("sha256:3ff4d2141dbef3a74178f002e0db2c1d575766dff3cc410477edf0a08116886c",  # layer, manifest
         "sha256:0a8f7ba966c252190d47bd1999736d731c25d6b2ac64d2c2249b9e9389c3dbc3")
WRAPPER = ("sha256:1d0dbeea536e5d9009a43ac4c19b3985556f5d5c6f74327dca8a15e97c447977",
           "sha256:9916fee36cc7728f44106c9796e0c7f0c4e4b0166ce216ae7b601ed214ad4fd8")


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
