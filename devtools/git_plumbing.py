"""Git repositories built with git's own plumbing, for what porcelain refuses to make.

A server can send trees that ``git fsck`` refuses (``..``, ``.git``, names with a
``/``, names that are not UTF-8, duplicates) and bare repositories whose ``HEAD``
names a branch that does not exist. ``git mktree`` writes most such trees as
given; ``git hash-object --literally`` writes the rest byte for byte. Every
object has a fixed author and date, so the same entries give the same commits.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {"GIT_AUTHOR_NAME": "Tests", "GIT_AUTHOR_EMAIL": "tests@example.com",
            "GIT_COMMITTER_NAME": "Tests", "GIT_COMMITTER_EMAIL": "tests@example.com",
            "GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000"}

Tree = dict[bytes, "bytes | Tree"]  # a name to a file's content or to a folder; names as raw bytes


class Bare:
    """A bare repository at ``path``, written to with git's plumbing."""

    def __init__(self, path: Path, head: str = "refs/heads/main") -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True, capture_output=True)
        self.git("symbolic-ref", "HEAD", head)

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    def git(self, *args: str, data: bytes | None = None) -> str:
        done = subprocess.run(["git", *args], input=data, capture_output=True, check=True,
                              env={**os.environ, **IDENTITY, "GIT_DIR": str(self.path)})
        return done.stdout.decode().strip()

    def blob(self, data: bytes) -> str:
        return self.git("hash-object", "-w", "--stdin", data=data)

    def tree(self, entries: Tree | list[tuple[bytes, bytes | Tree]]) -> str:
        """A tree object with exactly these entries in git's order (duplicates and any name kept)."""
        items = list(entries.items()) if isinstance(entries, dict) else entries
        raw = b""
        for name, value in sorted(items, key=lambda item: item[0] + (b"" if isinstance(item[1], bytes) else b"/")):
            if isinstance(value, bytes):
                raw += b"100644 " + name + b"\0" + bytes.fromhex(self.blob(value))
            else:
                raw += b"40000 " + name + b"\0" + bytes.fromhex(self.tree(value))
        return self.git("hash-object", "-w", "-t", "tree", "--literally", "--stdin", data=raw)

    def commit(self, tree: str, message: str = "commit", parent: str = "") -> str:
        return self.git("commit-tree", tree, "-m", message, *(["-p", parent] if parent else []))

    def branch(self, name: str, commit: str) -> None:
        self.git("update-ref", f"refs/heads/{name}", commit)

    def tag(self, name: str, commit: str, *, annotated: bool) -> None:
        if annotated:
            self.git("tag", "-a", "-m", f"release {name}", name, commit)
        else:
            self.git("update-ref", f"refs/tags/{name}", commit)
