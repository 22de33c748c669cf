"""A tar stream of regular files with normalised headers, byte for byte what
``tarfile.open(mode="w|", format=tarfile.PAX_FORMAT)`` writes for them.

Why not ``tarfile`` itself: a package of many small files (vendored charts)
spends most of its packing time in tarfile's per-member work (a copy of each
header object, the PAX checks, a member list). The entries of a layer are all
alike (a regular file, mtime 0, uid/gid 0, no owner names, mode 0644 or 0755),
so the common header is a template with the name, mode, size and checksum
filled in. Anything the template cannot hold (a name that is not ASCII or is
longer than 100 bytes, a file of 8 GiB or more) goes through tarfile's own
``TarInfo.tobuf``, so those headers stay tarfile's as well. The tests compare
the stream with tarfile's on such names, so a layer digest never changes with
the writer.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from typing import Protocol

BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
NAME_FIELD = 100
MAX_USTAR_SIZE = 8**11  # 11 octal digits
ENCODING, ERRORS = "utf-8", "surrogateescape"  # tarfile.open's own on a UTF-8 system
# The fields after the checksum: type "0", empty link name, "ustar\0" "00", empty owner and
# device fields, empty prefix, padding to the block.
_TAIL = (tarfile.REGTYPE + b"\0" * 100 + tarfile.POSIX_MAGIC + b"\0" * (32 + 32 + 8 + 8 + 155)).ljust(
    BLOCK - 156, b"\0")
_IDS = b"0000000\0" * 2  # uid and gid 0
_MTIME = b"00000000000\0"
_MODES = {False: b"0000644\0", True: b"0000755\0"}
_FIXED_SUM = 8 * ord(" ") + sum(_TAIL) + sum(_IDS) + sum(_MTIME)  # checksum counts its field as spaces


class Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class TarWriter:
    """Writes entries to ``out`` as a ``"w|"`` tarfile would, and the end of the archive on ``close``."""

    def __init__(self, out: Sink) -> None:
        self._out = out
        self._offset = 0

    def add(self, name: str, size: int, executable: bool, read: Callable[[int], bytes], chunk: int) -> None:
        """One regular file: its header, then ``size`` bytes taken from ``read`` (``chunk`` at a time)."""
        self._write(header(name, size, executable))
        left = size
        while left:
            data = read(min(chunk, left))
            if not data:
                raise ValueError(f"{name} ended {left} bytes early")
            self._write(data)
            left -= len(data)
        if size % BLOCK:
            self._write(b"\0" * (BLOCK - size % BLOCK))

    def close(self) -> None:
        """Two zero blocks, then zeros to the end of the 10 KiB record, as tarfile ends a stream."""
        self._write(b"\0" * (2 * BLOCK))
        if self._offset % RECORD:
            self._write(b"\0" * (RECORD - self._offset % RECORD))

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._offset += len(data)


def header(name: str, size: int, executable: bool) -> bytes:
    """The header block(s) tarfile's PAX writer gives a normalised regular file."""
    if size < MAX_USTAR_SIZE and name.isascii() and len(name) <= NAME_FIELD:
        encoded = name.encode("ascii").ljust(NAME_FIELD, b"\0")
        mode = _MODES[executable]
        size_field = b"%011o\0" % size
        checksum = _FIXED_SUM + sum(encoded) + sum(mode) + sum(size_field)
        return b"".join((encoded, mode, _IDS, size_field, _MTIME, b"%06o\0 " % checksum, _TAIL))
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o755 if executable else 0o644, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, ENCODING, ERRORS)
