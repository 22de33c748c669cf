"""Where a ``file://`` git dependency may come from (``deps.file_source``): below the allowed folder, and the
repository being published only with a pinned commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from akua_publish.deps.file_source import check_file_source
from akua_publish.errors import DependencyError


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout (a git work tree) with the package at pkg/ and a mirror of a dependency at mirrors/dep.git."""
    root = tmp_path / "checkout"
    (root / ".git").mkdir(parents=True)
    (root / "pkg").mkdir()
    (root / "mirrors" / "dep.git").mkdir(parents=True)
    return root


def check(url: str, checkout: Path, *, pinned: bool = False, root: Path | None = None) -> None:
    check_file_source("dep", url, pinned=pinned, root=checkout if root is None else root,
                      package_dir=checkout / "pkg")


def test_a_repository_below_the_root_is_read(checkout: Path) -> None:
    check(f"file://{checkout}/mirrors/dep.git", checkout)
    check(f"file://localhost{checkout}/mirrors/dep.git", checkout)


@pytest.mark.parametrize("where", ["/etc", "{tmp}/elsewhere", "{checkout}/../elsewhere", "{checkout}-other"])
def test_a_repository_outside_the_root_is_refused(checkout: Path, where: str) -> None:
    path = where.format(tmp=checkout.parent, checkout=checkout)
    refused = r"`dep` \(file://.*outside `DependencyOptions.file_root` .*would be vendored"
    with pytest.raises(DependencyError, match=refused):
        check(f"file://{path}", checkout)


def test_a_symlink_out_of_the_root_is_followed_and_refused(checkout: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.git").mkdir()
    (checkout / "mirrors" / "link.git").symlink_to(tmp_path / "secret.git")
    with pytest.raises(DependencyError, match="outside"):
        check(f"file://{checkout}/mirrors/link.git", checkout)


@pytest.mark.parametrize("url", ["file://other-host/srv/dep.git", "file://{c}/mirrors/%2e%2e/dep.git",
                                 "file://{c}/mirrors/dep.git?x=1", "file://{c}/mirrors/dep.git#frag"])
def test_a_url_that_is_no_plain_local_path_is_refused(checkout: Path, url: str) -> None:
    with pytest.raises(DependencyError, match="not a plain file:// path of this machine"):
        check(url.format(c=checkout), checkout)


def test_without_an_allowed_folder_no_file_source_is_read(checkout: Path) -> None:
    with pytest.raises(DependencyError, match="no folder is allowed for that"):
        check_file_source("dep", f"file://{checkout}/mirrors/dep.git", pinned=True, root=None,
                          package_dir=checkout / "pkg")


@pytest.mark.parametrize("where", ["", "/", "/.git", "/.git/"])
def test_the_repository_being_published_needs_a_pinned_commit(checkout: Path, where: str) -> None:
    url = f"file://{checkout}{where}"
    with pytest.raises(DependencyError, match=r"the repository being published .* pins no commit"):
        check(url, checkout)
    check(url, checkout, pinned=True)


def test_another_repository_inside_the_checkout_is_not_the_one_published(checkout: Path) -> None:
    (checkout / "mirrors" / "dep.git" / "HEAD").write_text("ref: refs/heads/main\n")
    check(f"file://{checkout}/mirrors/dep.git", checkout)  # a bare mirror, not the checkout's own .git
