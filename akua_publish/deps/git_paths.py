"""Which names in a git tree may be written to disk: git's own rules, applied before anything is written.

A git server sends whatever trees it holds, and ``git fsck`` refusing a tree says
nothing of what a server (or an attacker in front of one) sends. A tree entry named
``..``, or holding a ``/``, would put a dependency's file outside its vendor folder,
as root in the action's container. Git's checkout refuses such names
(``verify_path`` and ``fsck_tree`` in git's ``read-cache.c`` and ``fsck.c``); so does
this module, with the same rules: no empty, ``.`` or ``..`` component, no ``.git``
in any spelling a file system folds to it (any case, NTFS's ``git~1``, trailing dots
or spaces, an alternate data stream, HFS+'s ignored code points), no ``/`` inside a
name, and names that are UTF-8 (Akua's checkout refuses other names, and ``\\``).
Duplicate names in one tree (``fsck``'s ``duplicateEntries``) are refused too: which
of the two would land on disk is up to the order of writes.
"""

from __future__ import annotations

# Code points HFS+ ignores when it compares names (git's ``is_hfs_dotgit``): ``.g\u200cit`` is ``.git``.
_HFS_IGNORED = {chr(c) for c in (*range(0x200C, 0x2010), *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF)}


def bad_name(raw: bytes) -> str | None:
    """Why one tree entry name may not be written, or None when it may."""
    if not raw:
        return "an empty name"
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "a name that is not UTF-8"
    if "/" in name:
        return "a name holding `/`"
    if "\\" in name:
        return "a name holding `\\` (Akua's checkout refuses it)"
    if "\0" in name:
        return "a name holding a NUL byte"
    if name in (".", ".."):
        return f"a `{name}` component"
    if is_dotgit(name):
        return "a `.git` component"
    return None


def is_dotgit(name: str) -> bool:
    """``.git`` as any file system git guards against would read the name."""
    folded = "".join(c for c in name if c not in _HFS_IGNORED).lower()
    base = folded.split(":", 1)[0].rstrip(" .")  # NTFS: `.git.`, `.git `, `.git::$INDEX_ALLOCATION`
    return base in (".git", "git~1")

