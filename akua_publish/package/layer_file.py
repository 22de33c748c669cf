"""Where a packed layer goes: gzip in a second thread, then a file that hashes and counts what it is given.

Apart from the packer (``packing``) because it is about bytes, not packages:
``Compressor`` overlaps compression with the tar writer as ``tar | gzip`` do,
``LayerFile`` turns a failed write into an error that says where and what to do.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

from akua_publish.chunk_worker import ChunkWorker
from akua_publish.errors import PackingError

BATCH = 64 * 1024  # bytes handed to the gzip thread at a time (at most 16 wait: 1 MiB)


class Compressor:
    """gzip in a second thread (``ChunkWorker``), fed in batches: tar | gzip, in one process."""

    def __init__(self, sink: LayerFile) -> None:
        self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=6)
        self._worker = ChunkWorker(self._gzip.write, "akua-gzip")
        self._batch = bytearray()

    def write(self, data: bytes) -> int:
        """Small writes (headers, small files) are gathered into a batch; a big one goes as it is."""
        if len(data) >= BATCH:
            self._hand_over()
            self._worker.put(data)
        else:
            self._batch += data
            if len(self._batch) >= BATCH:
                self._hand_over()
        return len(data)

    def _hand_over(self) -> None:
        if self._batch:
            self._worker.put(bytes(self._batch))
            self._batch.clear()

    def __enter__(self) -> Compressor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._hand_over()
        self._worker.close()
        self._gzip.close()


class LayerFile:
    """Where the layer goes (a file, or nowhere when only its digest is wanted): hashes and counts
    what is written, and turns a failed write (a full disk) into an error that says where and what
    to do. Unbuffered, so nothing is left to fail when it is closed; after a failure, later writes
    (gzip's trailer, as the failed run unwinds) are dropped."""

    def __init__(self, path: Path | None) -> None:
        self.sha = hashlib.sha256()
        self.size = 0
        self._path = path
        self._failed = False
        try:
            self._raw = open(path or os.devnull, "wb", buffering=0)  # noqa: SIM115 (closed by close())
        except OSError as exc:
            raise self._unwritable(exc) from exc

    def write(self, data: bytes) -> int:
        if self._failed:
            return len(data)
        self.sha.update(data)
        self.size += len(data)
        try:
            left = memoryview(data)
            while left:  # an unbuffered write may take only part of it (a disk about to fill up)
                left = left[self._raw.write(left):]
        except OSError as exc:
            self._failed = True
            raise self._unwritable(exc) from exc
        return len(data)

    def flush(self) -> None:
        """Nothing waits in a buffer (gzip asks)."""

    def close(self) -> None:
        self._raw.close()

    def _unwritable(self, exc: OSError) -> PackingError:
        return PackingError(
            f"The packed layer cannot be written to {self._path}: {exc.strerror or exc}; nothing was pushed.",
            "Free disk space where the layer is written (RUNNER_TEMP on a runner, else the temporary "
            "directory, TMPDIR), or point that variable at a larger disk; the layer is about the size of "
            "the package, compressed.",
        )
