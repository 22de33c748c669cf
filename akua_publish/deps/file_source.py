"""Where a ``file://`` git dependency may come from: below the folder the front end names, and never the
repository being published unless akua.lock pins the commit.

Akua's own ``pack`` vendors a ``file://`` repository from any folder it can read,
with or without an akua.lock entry (checked with Akua's core 0.9.5): a dependency
on a repository elsewhere on the machine puts whatever that repository holds (a
credentials file, another project) into a public artifact, and one on the
checkout's own ``.git`` vendors the whole repository again. Here such a source
must lie below ``root`` (the Action's workspace, the command line's working
directory or ``--file-root``), and the repository the package lives in is
accepted only with a ``git:<commit>`` pin: the run vendors a commit the lock names, not
whatever is checked out. Checked before anything is fetched.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from akua_publish.errors import DependencyError
from akua_publish.wording import file_root


def check_file_source(alias: str, url: str, *, pinned: bool, root: Path | None, package_dir: Path) -> None:
    """Raise when the ``file://`` URL ``url`` of dependency ``alias`` is outside the rule (see the module)."""
    parts = urlsplit(url)
    what = f"The git dependency `{alias}` ({url})"
    if parts.netloc not in ("", "localhost") or "%" in parts.path or parts.query or parts.fragment:
        raise DependencyError(f"{what} is not a plain file:// path of this machine.",
                              "Write it as file:///absolute/path/to/repository.git, without a host or escapes.",
                              file="akua.toml")
    if root is None:
        raise DependencyError(f"{what} reads a repository on this machine, and no folder is allowed for that.",
                              f"Put the repository below {file_root()} and name it there, or use its https URL.",
                              file="akua.toml")
    target, allowed = Path(parts.path).resolve(), root.resolve()
    if target != allowed and allowed not in target.parents:
        raise DependencyError(
            f"{what} reads {target}, outside {file_root()} ({allowed}): whatever that repository holds would be "
            "vendored into the public artifact.",
            f"Move or mirror the repository below {file_root()}, or use its https URL.", file="akua.toml")
    own = _enclosing_repository(package_dir.resolve())
    if own is not None and not pinned and (target in (own, own / ".git") or own / ".git" in target.parents):
        raise DependencyError(
            f"{what} is the repository being published ({own}), and akua.lock pins no commit of it: the run "
            "would vendor whatever that repository holds under the tag or rev, the package's own history included.",
            "Pin the commit: run `akua pkg lock` and commit akua.lock (its entry `git:<commit>`), or depend on "
            "another repository.", file="akua.toml")


def _enclosing_repository(folder: Path) -> Path | None:
    """The work tree of the git repository ``folder`` is in (the nearest folder with a ``.git``), if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None
