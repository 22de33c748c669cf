"""A second thread that takes chunks of bytes through a bounded queue: gzip while packing, sha256
while a dependency is unpacked.

zlib and hashlib let go of the GIL while they work on a big chunk, so the
worker's part overlaps the main thread's (tar headers, unpacking) as the two
processes of ``tar | gzip`` do. The queue holds a few chunks at most: memory
stays bounded whatever the size. The overlap pays when the GIL changes hands
often: the front ends lower the interpreter's switch interval for their
process (``frontends/process.py``); a library does not change it for its caller.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

DEPTH = 16  # chunks waiting at most


class ChunkWorker:
    """Calls ``consume`` on each chunk ``put`` in a thread of its own; ``close`` waits for the last one.

    A failure of ``consume`` is raised in the main thread, by the next ``put`` or
    by ``close``; the chunks after it are dropped.
    """

    def __init__(self, consume: Callable[[bytes], object], name: str) -> None:
        self._consume = consume
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=DEPTH)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._failure is None:
                try:
                    self._consume(chunk)
                except BaseException as exc:  # raised in the main thread by put() or close()
                    self._failure = exc

    def put(self, chunk: bytes) -> None:
        if self._failure is not None:
            raise self._failure
        self._queue.put(chunk)

    def close(self) -> None:
        """Wait for the chunks put so far (once; later calls return at once), then raise a failure."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._failure is not None:
            raise self._failure
