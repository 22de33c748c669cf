"""Chart tarballs unpacked as Akua's ``tar`` crate unpacks them: nothing lands outside the target folder, and a
decompression bomb stops at its first header, within the limits and the deadline."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from akua_publish.deps.tree import OutOfTime, TooLarge, TreeProblem, chart_root, unpack
from akua_publish.options import UnpackLimits
from devtools.dependencies import zeros_chart

LIMITS = UnpackLimits()


def unpack_bytes(data: bytes, target: Path, *, gzipped: bool = True, limits: UnpackLimits = LIMITS,
                 time_left: float = 60.0) -> None:
    blob = target.parent / (target.name + ".blob")
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(data)
    unpack(blob, target, gzipped=gzipped, limits=limits, time_left=lambda: time_left)


def tarball(entries: list[tarfile.TarInfo | tuple[str, bytes]], gzipped: bool = True) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                info = tarfile.TarInfo(entry[0])
                info.size, info.mode = len(entry[1]), 0o644
                tar.addfile(info, io.BytesIO(entry[1]))
    return gzip.compress(raw.getvalue(), mtime=0) if gzipped else raw.getvalue()


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
    unpack_bytes(archive, target)
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
    unpack_bytes(archive.getvalue(), tmp_path / "t", gzipped=False)
    path = tmp_path / "t" / "c" / "run.sh"
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize(("given", "on_disk"), [(0o4755, 0o755), (0o2775, 0o775), (0o1777, 0o775), (0o666, 0o664),
                                               (0o6777, 0o775), (0o000, 0o400), (0o640, 0o640)])
def test_unpacked_files_never_carry_setuid_setgid_sticky_or_world_write(tmp_path: Path, given: int,
                                                                         on_disk: int) -> None:
    entry = tarfile.TarInfo("c/file")
    entry.size, entry.mode = 1, given
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        tar.addfile(entry, io.BytesIO(b"x"))
    unpack_bytes(archive.getvalue(), tmp_path / "t", gzipped=False)
    assert (tmp_path / "t" / "c" / "file").stat().st_mode & 0o7777 == on_disk


def test_a_damaged_archive_is_a_tree_problem(tmp_path: Path) -> None:
    data = tarball([("c/Chart.yaml", b"x" * 5000)])
    with pytest.raises(TreeProblem, match="cannot be unpacked"):
        unpack_bytes(data[: len(data) // 2], tmp_path / "t")


def test_the_chart_root_is_the_folder_with_the_marker(tmp_path: Path) -> None:
    unpack_bytes(tarball([("zeta/Chart.yaml", b"z\n"), ("alpha/Chart.yaml", b"a\n"), ("readme", b"r\n")]),
                 tmp_path / "t")
    assert chart_root(tmp_path / "t", helm=True) == tmp_path / "t" / "alpha"
    with pytest.raises(TreeProblem, match=r"package\.k"):
        chart_root(tmp_path / "t", helm=False)


def test_a_bomb_stops_at_its_first_header(tmp_path: Path) -> None:
    """A 1 GiB file of zeros is about 1 MiB compressed: past 64 MiB that is over 100 times, refused before its
    data is read: nothing of it is written."""
    bomb = zeros_chart(1024**3)
    with pytest.raises(TooLarge) as raised:
        unpack_bytes(bomb, tmp_path / "t")
    assert raised.value.limit == "max-expansion-ratio" and raised.value.unpacked > 1024**3
    assert raised.value.compressed == len(bomb) and not (tmp_path / "t" / "bomb" / "files" / "zeros").exists()


def test_the_size_limit_and_a_raised_ratio(tmp_path: Path) -> None:
    chart = zeros_chart(80 * 1024**2)
    with pytest.raises(TooLarge) as raised:
        unpack_bytes(chart, tmp_path / "small", limits=UnpackLimits(max_bytes=64 * 1024**2))
    assert raised.value.limit == "max-dependency-size"
    unpack_bytes(chart, tmp_path / "raised", limits=UnpackLimits(max_ratio=1e6))
    assert (tmp_path / "raised" / "bomb" / "files" / "zeros").stat().st_size == 80 * 1024**2


def test_a_huge_metadata_record_is_never_read(tmp_path: Path) -> None:
    """A pax header declaring 100 MiB of records would be read whole by tarfile: refused before that."""
    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, 100 * 1024**2
    raw = header.tobuf(tarfile.USTAR_FORMAT) + bytes(1024)
    with pytest.raises(TooLarge, match="larger than 16 MiB"):
        unpack_bytes(gzip.compress(raw), tmp_path / "t", limits=UnpackLimits(max_ratio=1e6))


def test_too_many_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("akua_publish.deps.tree.MAX_ENTRIES", 10)
    with pytest.raises(TooLarge, match="more than 10 entries"):
        unpack_bytes(tarball([(f"c/f{i}", b"x") for i in range(11)]), tmp_path / "t")


def test_the_deadline_while_unpacking(tmp_path: Path) -> None:
    with pytest.raises(OutOfTime):
        unpack_bytes(tarball([("c/Chart.yaml", b"name: c\n")]), tmp_path / "t", time_left=0.0)
