"""The packer, judged by Akua's own ``pack`` and ``inspect`` on a corpus of workspaces.

Entry names, order and contents must equal Akua's; the packed akua.toml must hold Akua's
re-serialised value. Headers differ on purpose (normalised for reproducible digests).
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from akua_publish.package.packing import pack
from akua_publish.schema.document import same_json
from devtools.oracle import Oracle

HEAD = '[package]\nname = "probe"\nversion = "1.2.3"\nedition = "akua.dev/v1alpha1"\n'
PACKAGE_K = 'schema Input:\n    """Probe."""\n    replicas: int = 1\n'


def base(root: Path, toml: str = HEAD) -> None:
    root.mkdir(parents=True)
    (root / "akua.toml").write_text(toml)
    (root / "package.k").write_text(PACKAGE_K)


def files(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {name}\n")


def skip_rules(root: Path) -> None:
    base(root)
    files(root, "deploy/x.yaml", "rendered/y.yaml", "out/z", "target/t", "node_modules/m/index.js", "dist/d.js",
          "nested/deploy/a", "nested/dist", "nested/out", "nested/target", ".hidden", ".git/config", "sub/.env",
          "inputs.yaml", "sub/inputs.yaml", "keep/deployment.yaml", "keep/distinct.txt", "outputs/o.txt")


def sort_order(root: Path) -> None:
    base(root)
    files(root, "a/x", "a-b/x", "a.txt", "a b/x", "a_b/x", "A/x", "ab/x", "a/b/c/d.txt", "a/b-c/d.txt", "a/b.c",
          "Z.txt", "z.txt", "10.txt", "9.txt")


def long_and_unicode_names(root: Path) -> None:
    base(root)
    files(root, "l" * 99 + ".txt", "dir-" + "n" * 120 + "/file.txt", "/".join(["deep"] * 40) + "/leaf",
          "ünïcödé/日本語.yaml", "emoji-🚀.txt", "with space.txt", "quote'name.txt")


def modes_and_links(root: Path) -> None:
    base(root)
    files(root, "run.sh", "bin/tool", "plain.txt", "empty-dir-sibling.txt")
    (root / "run.sh").chmod(0o755)
    (root / "bin" / "tool").chmod(0o700)
    (root / "plain.txt").chmod(0o600)
    (root / "empty-dir").mkdir()
    (root / "link.txt").symlink_to("plain.txt")
    (root / "link-dir").symlink_to("bin")
    (root / "empty.txt").write_bytes(b"")
    (root / "big.bin").write_bytes(bytes(range(256)) * 4096)


def manifest_rewrite(root: Path) -> None:
    toml = ("# comments vanish\n" + HEAD.replace('name = "probe"', 'name = "probe"  # trailing') +
            'unknown = "dropped"\n\n[workspace]\n\n[signing]\ncosign_public_key = "cosign.pub"\nother = 1\n\n'
            '[dependencies]\n'
            'zeta = { path = "./vendor/zeta" }\n'
            'alpha = { oci = "oci://ghcr.io/acme/alpha", version = "1.0.0", replace = { path = "./vendor/alpha" } }\n'
            '"quoted-key" = { path = "./vendor/q", extra = "x" }\n'
            '[dependencies.beta]\npath = "./vendor/beta"\n')
    base(root, toml)
    files(root, "vendor/zeta/Chart.yaml", "vendor/alpha/Chart.yaml", "vendor/q/Chart.yaml", "vendor/beta/Chart.yaml")


def manifest_defaults(root: Path) -> None:
    base(root, HEAD.replace('edition = "akua.dev/v1alpha1"', 'edition = "akua.dev/v1"\nstrict_signing = false')
         + '\n[workspace]\nmembers = ["./apps/*", "./b"]\n')
    files(root, "README.md", "tests/render_test.k")


def the_example(root: Path) -> None:
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "hello", root, symlinks=True)


WORKSPACES: dict[str, Callable[[Path], None]] = {
    "skip-rules": skip_rules, "sort-order": sort_order, "long-and-unicode-names": long_and_unicode_names,
    "modes-and-links": modes_and_links, "manifest-rewrite": manifest_rewrite,
    "manifest-defaults": manifest_defaults, "example": the_example,
}


def entries(tarball: Path) -> list[tuple[str, bytes, tarfile.TarInfo]]:
    with tarfile.open(tarball, "r:gz") as archive:
        return [(m.name, archive.extractfile(m).read(), m) for m in archive if m.isfile()]


@pytest.mark.parametrize("name", list(WORKSPACES))
def test_the_layer_holds_what_akuas_pack_writes(oracle: Oracle, tmp_path: Path, name: str) -> None:
    work = oracle.workdir()
    try:
        WORKSPACES[name](work / "ws")
        code, said = oracle.execute(["pack", "--json", "--workspace", oracle.inside(work / "ws"),
                                     "--out", oracle.inside(work / "akua.tgz")])
        assert code == 0, said
        theirs = entries(work / "akua.tgz")
        layer = pack(work / "ws", tmp_path)
        ours = entries(layer.path)
        assert [n for n, _, _ in ours] == [n for n, _, _ in theirs]
        for (path, mine, header), (_, akuas, _) in zip(ours, theirs, strict=True):
            if path == "akua.toml":
                assert tomllib.loads(mine.decode()) == tomllib.loads(akuas.decode()), (mine, akuas)
                assert b"replace" not in mine
            else:
                assert mine == akuas, path
            assert (header.mtime, header.uid, header.gid, header.uname) == (0, 0, 0, "")  # deliberately normalised
            assert header.mode in (0o644, 0o755)
        ours_seen = oracle.call("inspect", {"tarball": oracle.inside(_copy_in(layer.path, work))})
        akuas_seen = oracle.call("inspect", {"tarball": oracle.inside(work / "akua.tgz")})
        for key in ("package_name", "package_version", "package_edition", "file_count", "vendored_deps"):
            assert ours_seen[key] == akuas_seen[key], key
        package_k = dict((n, c) for n, c, _ in ours)["package.k"]
        assert same_json(json.loads(oracle.export_text(package_k)),
                         json.loads(oracle.export_text(dict((n, c) for n, c, _ in theirs)["package.k"])))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _copy_in(path: Path, work: Path) -> Path:
    target = work / "ours.tgz"
    target.write_bytes(path.read_bytes())
    return target


def test_executable_bits_are_kept_and_everything_else_normalised(tmp_path: Path) -> None:
    modes_and_links(tmp_path / "ws")
    layer = pack(tmp_path / "ws", tmp_path)
    modes = {name: header.mode for name, _, header in entries(layer.path)}
    assert modes["run.sh"] == modes["bin/tool"] == 0o755 and modes["plain.txt"] == 0o644
    assert "link.txt" not in modes and not any(name.startswith("link-dir") for name in modes)
    with tarfile.open(layer.path, "r:gz") as archive:
        assert all(isinstance(m, tarfile.TarInfo) and m.isfile() for m in archive)
    assert io.BytesIO(layer.path.read_bytes()).read(4)[:2] == b"\x1f\x8b"
