"""Chart tarballs unpacked as Akua's ``tar`` crate unpacks them: nothing lands outside the target folder."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from akua_publish.vendor_tree import TreeProblem, chart_root, unpack


def tarball(entries: list[tarfile.TarInfo | tuple[str, bytes]], gzipped: bool = True) -> io.BytesIO:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                info = tarfile.TarInfo(entry[0])
                info.size, info.mode = len(entry[1]), 0o644
                tar.addfile(info, io.BytesIO(entry[1]))
    data = gzip.compress(raw.getvalue(), mtime=0) if gzipped else raw.getvalue()
    return io.BytesIO(data)


def special(name: str, kind: bytes, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_entries_that_would_leave_the_folder_are_skipped_or_rebased(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "chart"
    archive = tarball([
        ("chart/Chart.yaml", b"name: c\n"),
        ("../escape", b"no\n"),
        ("chart/../../escape-too", b"no\n"),
        ("/abs/file", b"rebased\n"),
        ("./chart/./values.yaml", b"v\n"),
        special("chart/link", tarfile.SYMTYPE, "/etc/passwd"),
        special("chart/hard", tarfile.LNKTYPE, "chart/Chart.yaml"),
        special("chart/fifo", tarfile.FIFOTYPE),
        special("chart/dev", tarfile.CHRTYPE),
        ("chart/link", b"a file where the link was\n"),
    ])
    unpack(archive, target, gzipped=True)
    assert files_under(target) == {
        "abs/file": b"rebased\n",
        "chart/Chart.yaml": b"name: c\n",
        "chart/link": b"a file where the link was\n",
        "chart/values.yaml": b"v\n",
    }
    assert sorted(p.name for p in tmp_path.rglob("escape*")) == []
    assert not any(p.is_symlink() for p in target.rglob("*"))


def test_a_later_entry_overwrites_an_earlier_one_and_modes_are_kept(tmp_path: Path) -> None:
    run = tarfile.TarInfo("c/run.sh")
    run.size, run.mode = 3, 0o755
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        tar.addfile(run, io.BytesIO(b"old"))
        tar.addfile(run, io.BytesIO(b"new"))
    archive.seek(0)
    unpack(archive, tmp_path / "t", gzipped=False)
    path = tmp_path / "t" / "c" / "run.sh"
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o755


def test_a_damaged_archive_is_a_tree_problem(tmp_path: Path) -> None:
    data = tarball([("c/Chart.yaml", b"x" * 5000)]).getvalue()
    with pytest.raises(TreeProblem, match="cannot be unpacked"):
        unpack(io.BytesIO(data[: len(data) // 2]), tmp_path / "t", gzipped=True)


def test_the_chart_root_is_the_folder_with_the_marker(tmp_path: Path) -> None:
    unpack(tarball([("zeta/Chart.yaml", b"z\n"), ("alpha/Chart.yaml", b"a\n"), ("readme", b"r\n")]), tmp_path / "t",
           gzipped=True)
    assert chart_root(tmp_path / "t", helm=True) == tmp_path / "t" / "alpha"
    with pytest.raises(TreeProblem, match=r"package\.k"):
        chart_root(tmp_path / "t", helm=False)
