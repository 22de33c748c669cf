"""The second thread of packing and vendoring: order kept, failures raised in the caller, the interpreter restored."""

from __future__ import annotations

import sys

import pytest

from akua_publish.chunk_worker import ChunkWorker


def test_chunks_are_consumed_in_order_and_close_waits_for_the_last() -> None:
    seen: list[bytes] = []
    worker = ChunkWorker(seen.append, "test")
    chunks = [bytes([i]) * (i + 1) for i in range(200)]  # more than the queue holds
    for chunk in chunks:
        worker.put(chunk)
    worker.close()
    assert seen == chunks
    worker.close()  # a second close is harmless


def test_a_failure_of_the_worker_is_raised_in_the_caller_and_later_chunks_are_dropped() -> None:
    before = sys.getswitchinterval()
    seen: list[bytes] = []

    def consume(chunk: bytes) -> None:
        if chunk == b"bad":
            raise OSError(28, "No space left on device")
        seen.append(chunk)

    worker = ChunkWorker(consume, "test")
    worker.put(b"good")
    worker.put(b"bad")
    with pytest.raises(OSError, match="No space left"):
        for _ in range(100):  # put() raises once the worker has failed; close() otherwise
            worker.put(b"later")
        worker.close()
    with pytest.raises(OSError, match="No space left"):
        worker.close()
    assert seen == [b"good"]
    assert sys.getswitchinterval() == before


def test_the_library_leaves_the_interpreter_alone_and_the_front_ends_set_it_for_their_process() -> None:
    """A worker runs at the interpreter's switch interval; the front ends lower it once, at their start."""
    import subprocess

    before = sys.getswitchinterval()
    worker = ChunkWorker(lambda chunk: None, "test")
    assert sys.getswitchinterval() == before
    worker.close()
    code = "import sys; from akua_publish.frontends.process import begin; begin(); print(sys.getswitchinterval())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(done.stdout) == pytest.approx(0.0002)
