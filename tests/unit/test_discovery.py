"""The packages ``packages`` finds (``package.discovery``): folders with an akua.toml, checked, in an order that
publishes a package after the package of the repository it depends on at its new version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from akua_publish.errors import InputError
from akua_publish.package.discovery import discover


def package(root: Path, folder: str, name: str, version: str = "1.0.0", deps: str = "") -> None:
    (root / folder).mkdir(parents=True)
    (root / folder / "akua.toml").write_text(f'[package]\nname = "{name}"\nversion = "{version}"\n'
                                             f'edition = "akua.dev/v1alpha1"\n\n[dependencies]\n{deps}')


def test_a_package_publishes_after_the_one_it_depends_on_at_its_new_version(tmp_path: Path) -> None:
    package(tmp_path, "charts/app", "app", deps='base = { oci = "oci://ghcr.io/acme/base", version = "2.0.0" }\n')
    package(tmp_path, "charts/base", "base", version="2.0.0")
    package(tmp_path, "charts/other", "other",
            deps='base = { oci = "oci://ghcr.io/acme/base", version = "1.0.0" }\n')  # an older base: no order
    found = discover(tmp_path, ["charts/*"])
    assert [m.name for m in found] == ["base", "app", "other"]
    assert [m.needs for m in found] == [(), ("base",), ()]
    assert [m.shown for m in found] == ["charts/base", "charts/app", "charts/other"]


def test_globs_overlap_recurse_and_keep_folder_order_through_a_cycle(tmp_path: Path) -> None:
    package(tmp_path, "a", "a", deps='b = { oci = "oci://r/b", version = "1.0.0" }\n')
    package(tmp_path, "deep/b", "b", deps='a = { oci = "oci://r/a", version = "1.0.0" }\n')
    (tmp_path / "deep" / "notes").mkdir()
    found = discover(tmp_path, ["*", "**"])
    assert [m.shown for m in found] == ["a", "deep/b"]


def test_an_unreadable_akua_toml_is_left_to_its_run(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "akua.toml").write_text("[package\n")
    [member] = discover(tmp_path, ["broken"])
    assert (member.name, member.shown) == ("", "broken")


@pytest.mark.parametrize(("patterns", "needle"), [
    (["nowhere/*"], "reaches no folder with an akua.toml"),
    (["/etc"], "leads outside the workspace"),
    (["charts/../.."], "leads outside the workspace"),
    (["charts/*", "twice"], "Two packages are named `one`"),
])
def test_what_is_refused(tmp_path: Path, patterns: list[str], needle: str) -> None:
    package(tmp_path, "charts/one", "one")
    package(tmp_path, "twice", "one")
    with pytest.raises(InputError, match=needle.replace("(", r"\(")):
        discover(tmp_path, patterns)


def test_a_plan_checks_the_pin_on_a_siblings_new_version_against_the_layer_it_packs(tmp_path: Path) -> None:
    from akua_publish.deps.vendor import check_unpublished_pins
    from akua_publish.errors import DependencyError
    from akua_publish.package.loader import load_package

    package(tmp_path, "app", "app", deps='base = { oci = "oci://ghcr.io/acme/base", version = "2.0.0" }\n'
                                         'old = { oci = "oci://ghcr.io/acme/old", version = "1.0.0" }\n')
    (tmp_path / "app" / "package.k").write_text("schema Input:\n    name: str = \"app\"\n")
    layer = "sha256:" + "a" * 64

    def lock(digest: str) -> None:
        (tmp_path / "app" / "akua.lock").write_text(
            f'version = 1\n\n[[package]]\nname = "base"\nversion = "2.0.0"\nsource = "oci://ghcr.io/acme/base"\n'
            f'digest = "{digest}"\n')

    with pytest.raises(DependencyError, match=r"akua\.lock has no pin for `base`"):
        check_unpublished_pins(load_package(tmp_path / "app", "app"), {("base", "2.0.0"): layer})
    lock("sha256:" + "b" * 64)
    with pytest.raises(DependencyError, match=re.escape(f"packed from this repository, is the layer {layer}")):
        check_unpublished_pins(load_package(tmp_path / "app", "app"), {("base", "2.0.0"): layer})
    lock(layer)
    check_unpublished_pins(load_package(tmp_path / "app", "app"), {("base", "2.0.0"): layer})
    lock("sha256:" + "b" * 64)  # a sibling whose layer the plan does not know yet (it waits itself), or another
    check_unpublished_pins(load_package(tmp_path / "app", "app"), {("base", "2.0.0"): ""})  # version: not checked
    check_unpublished_pins(load_package(tmp_path / "app", "app"), {("base", "3.0.0"): layer})
