"""Pure logic: versions, references, runner commands, JSON equality, settings."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from akua_publish.errors import InputError, VersionError
from akua_publish.frontends.github.action import action_options
from akua_publish.frontends.github.runner import Runner
from akua_publish.options import DEFAULT_API_URL
from akua_publish.package.version import oci_tag, resolve_semver
from akua_publish.reference import Credentials, is_loopback_host, parse_repository
from akua_publish.schema.document import same_json
from devtools.action import parse_outputs


@pytest.mark.parametrize(("ref", "expected"), [
    ("refs/tags/v1.2.3", "1.2.3"),
    ("refs/tags/1.2.3", "1.2.3"),
    ("refs/tags/hello/v2.0.0-rc.1", "2.0.0-rc.1"),
    ("refs/tags/pkgs/hello/v1.0.0+build.5", "1.0.0+build.5"),
    ("refs/tags/vv1.0.0", None),  # only one leading v is stripped
    ("refs/tags/v1.0", None),
    ("refs/tags/v1.0.0-01", None),
    ("refs/heads/v1.0.0", None),
])
def test_semver_from_tag(ref: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(VersionError):
            resolve_semver("", ref)
    else:
        assert resolve_semver("", ref) == expected


@pytest.mark.parametrize(("tag", "names", "expected"), [
    ("v1.2.3", ("hello",), "1.2.3"),
    ("hello/v1.2.3", ("hello",), "1.2.3"),
    ("charts/hello/v1.2.3", ("hello",), "1.2.3"),
    ("web/v1.2.3", ("hello", "web"), "1.2.3"),  # Akua's name (package-name) counts too
    ("other/v1.2.3", ("hello",), "`other/v1.2.3` is for the package `other`, not `hello`"),
    ("hello/other/v1.2.3", ("hello", ""), "is for the package `other`, not `hello`"),
    ("hello-x/v1.2.3", ("hello",), "is for the package `hello-x`"),
])
def test_a_tag_with_another_packages_prefix_is_refused(tag: str, names: tuple[str, ...], expected: str) -> None:
    if "`" not in expected:
        assert resolve_semver("", f"refs/tags/{tag}", names=names) == expected
        return
    with pytest.raises(VersionError, match=re.escape(expected)) as caught:
        resolve_semver("", f"refs/tags/{tag}", names=names)
    assert "nothing was published" in caught.value.message and "tags: ['hello/v*']" in caught.value.hint


def test_a_tag_pattern_reads_any_convention_and_the_version_input_skips_the_tag() -> None:
    pattern = re.compile(r"release-(?P<version>.+)")
    assert resolve_semver("", "refs/tags/release-1.0.0", pattern, names=("hello",)) == "1.0.0"
    assert resolve_semver("2.0.0", "refs/tags/other/v1.0.0", names=("hello",)) == "2.0.0"


def test_version_input_wins_over_the_tag() -> None:
    assert resolve_semver("3.0.0", "refs/tags/v1.0.0") == "3.0.0"


def test_oci_tag_replaces_plus() -> None:
    assert oci_tag("1.0.0+a.b") == "1.0.0_a.b" and oci_tag("1.0.0-rc.1") == "1.0.0-rc.1"


@pytest.mark.parametrize(("text", "host", "name"), [
    ("oci://ghcr.io/acme/hello", "ghcr.io", "acme/hello"),
    ("ghcr.io/acme/hello", "ghcr.io", "acme/hello"),
    ("oci://127.0.0.1:5000/a/b/c", "127.0.0.1:5000", "a/b/c"),
    ("localhost/x", "localhost", "x"),
    ("[::1]:5000/x", "[::1]:5000", "x"),
])
def test_repository_references(text: str, host: str, name: str) -> None:
    repo = parse_repository(text, "x")
    assert (repo.host, repo.name) == (host, name)


@pytest.mark.parametrize("text", ["oci://ghcr.io", "ghcr.io/Acme/x", "ghcr.io/x@sha256:00", "https://x/y"])
def test_bad_repository_references(text: str) -> None:
    with pytest.raises(InputError):
        parse_repository(text, "x")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1:5000", True), ("127.8.9.1", True), ("localhost:1", True), ("[::1]:5000", True),
    ("ghcr.io", False), ("10.0.0.1:5000", False), ("registry:5000", False),
])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_commands_escape_data_and_properties() -> None:
    out = io.StringIO()
    runner = Runner({"GITHUB_ACTIONS": "true"}, out)
    runner.error("50% done\nnext line", title="a: b, c", file="x,y.json")
    assert out.getvalue() == "::error title=a%3A b%2C c,file=x%2Cy.json::50%25 done%0Anext line\n"


def test_mask_every_line_of_a_multiline_secret() -> None:
    out = io.StringIO()
    Runner({"GITHUB_ACTIONS": "true"}, out).secret("line-one\nline-two\n")
    assert set(out.getvalue().splitlines()) == {
        "::add-mask::line-one", "::add-mask::line-two", "::add-mask::line-one%0Aline-two",
    }


def test_outputs_use_a_delimiter_no_value_can_forge(tmp_path: Path) -> None:
    path = tmp_path / "out"
    runner = Runner({"GITHUB_OUTPUT": str(path)}, io.StringIO())
    runner.set_outputs({"a": "x\nEOF\nb=forged", "c": ""})
    assert parse_outputs(path.read_text()) == {"a": "x\nEOF\nb=forged", "c": ""}


def test_inputs_in_both_spellings() -> None:
    runner = Runner({"INPUT_PACKAGE-ID": " pkg_a ", "INPUT_DRY_RUN": "true"})
    assert runner.input("package-id") == "pkg_a" and runner.input("dry-run") == "true"
    assert runner.input("workspace") == ""


def test_json_equality_is_strict_about_types() -> None:
    assert same_json({"a": [1, {"b": True}]}, {"a": [1.0, {"b": True}]})
    assert not same_json({"a": True}, {"a": 1})
    assert not same_json([0], [False])
    assert not same_json({"a": 1}, {"a": 1, "b": 2})


def test_defaults_when_inputs_are_absent(tmp_path: Path) -> None:
    env = {"INPUT_PACKAGE-ID": "pkg_x", "AKUA_API_TOKEN": "t", "GITHUB_WORKSPACE": str(tmp_path),
           "GITHUB_ACTOR": "octocat", "GITHUB_TOKEN": "ghs_x", "INPUT_API-URL": ""}
    options = action_options(Runner(env))
    assert options.akua.api_url == DEFAULT_API_URL and options.package.path == tmp_path
    assert options.package.schema_file == tmp_path / "exported/inputs.schema.json"
    assert options.registry.credentials_for("ghcr.io") == Credentials("octocat", "ghs_x")
    assert options.registry.credentials_for("registry.example.com").anonymous
    assert not options.policy.dry_run and options.registry.plain_http is None and options.package.repository is None
    assert options.akua.workspace == "" and "ghs_x" not in repr(options) and "'t'" not in repr(options)


def test_environment_settings_of_akuas_tools(tmp_path: Path) -> None:
    env = {"INPUT_PACKAGE-ID": "pkg_x", "AKUA_API_TOKEN": "t", "AKUA_WORKSPACE_ID": "ws_a",
           "AKUA_API_BASE_URL": "https://eu.api.akua.dev/v1/"}
    options = action_options(Runner({**env, "GITHUB_WORKSPACE": str(tmp_path)}))
    assert options.akua.workspace == "ws_a" and options.akua.api_url == "https://eu.api.akua.dev/v1"


def test_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "pkg").symlink_to(tmp_path)
    env = {"INPUT_PACKAGE-ID": "pkg_x", "AKUA_API_TOKEN": "t", "GITHUB_WORKSPACE": str(tmp_path / "ws"),
           "INPUT_PATH": "pkg"}
    with pytest.raises(InputError, match="outside the workspace"):
        action_options(Runner(env))


def test_schema_advice_follows_the_declared_dialect_and_local_refs() -> None:
    from akua_publish.schema.document import schema_warnings

    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
              "definitions": {"port": {"type": "integer"}},
              "properties": {"p": {"$ref": "#/definitions/port", "default": 80},
                             "default": {"type": "string", "default": "a property named default"}}}
    assert schema_warnings(draft7) == []
    draft7["properties"]["p"]["default"] = "eighty"
    [advice] = schema_warnings(draft7)
    assert "/properties/p/default" in advice
    [advice] = schema_warnings({"type": "object", "properties": {}, "items": [{"type": "integer", "default": "x"}]}
                               | {"$schema": "http://json-schema.org/draft-07/schema#"})
    assert "/items/0/default" in advice


def test_tls_verification_is_never_switched_off() -> None:
    source = "\n".join(p.read_text() for p in (Path(__file__).parents[2] / "akua_publish").rglob("*.py"))
    for forbidden in ("verify=False", "tls_verify=False", "disable_warnings", "CERT_NONE"):
        assert forbidden not in source


def test_a_bug_is_reported_plainly_with_its_own_exit_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from akua_publish.errors import EXIT_INTERNAL
    from akua_publish.frontends import run
    from akua_publish.frontends.github import action as entry

    def broken(*_: object) -> None:
        raise RuntimeError("unexpected state")

    monkeypatch.setattr(run, "publish", broken)
    monkeypatch.chdir(tmp_path)
    env = {"INPUT_PACKAGE-ID": "pkg_x", "AKUA_API_TOKEN": "t", "GITHUB_WORKSPACE": str(tmp_path),
           "GITHUB_ACTIONS": "true"}
    for debug, traceback_shown in (("", False), ("1", True)):
        out = io.StringIO()
        assert entry.main({**env, "RUNNER_DEBUG": debug}, out) == EXIT_INTERNAL
        text = out.getvalue()
        assert "::error title=akua-publish internal error::Internal error in akua-publish: RuntimeError" in text
        assert ("Traceback" in text) is traceback_shown


SECRETS = {"INPUT_API-TOKEN": "tok-input", "AKUA_API_TOKEN": "tok-env", "INPUT_REGISTRY-PASSWORD": "reg-pass",
           "INPUT_GITHUB-TOKEN": "ghs-input", "GITHUB_TOKEN": "ghs-token"}


def test_every_secret_is_masked_before_any_other_line_on_github(tmp_path: Path) -> None:
    from akua_publish.frontends.github.action import main

    env = {"INPUT_PACKAGE-ID": "bad id", "GITHUB_WORKSPACE": str(tmp_path), "GITHUB_ACTIONS": "true", **SECRETS}
    out = io.StringIO()
    assert main(env, out) == 1
    lines = out.getvalue().splitlines()
    masks = [line for line in lines[:len(SECRETS)] if line.startswith("::add-mask::")]
    assert sorted(masks) == sorted(f"::add-mask::{s}" for s in SECRETS.values())
    assert not any(s in line for line in lines[len(SECRETS):] for s in SECRETS.values())


def test_outside_github_no_workflow_command_and_no_secret_is_written(tmp_path: Path) -> None:
    from akua_publish.frontends.github.action import main

    for flag in ({}, {"GITHUB_ACTIONS": "false"}):
        env = {"INPUT_PACKAGE-ID": "bad id", "GITHUB_WORKSPACE": str(tmp_path), **flag, **SECRETS}
        out = io.StringIO()
        assert main(env, out) == 1
        text = out.getvalue()
        assert "::" not in text and not any(s in text for s in SECRETS.values())
        assert text.startswith("Error: Invalid action input: The `package-id` input is `bad id`"), text


def test_plain_log_outside_github() -> None:
    out = io.StringIO()
    runner = Runner({}, out)
    with runner.step("Pack"):
        runner.warning("slow", title="Retrying")
    runner.error("broken", title="Invalid akua.toml", file="pkg/akua.toml", line=3)
    assert out.getvalue() == "== Pack ==\nWarning: Retrying: slow\nError: Invalid akua.toml (pkg/akua.toml:3): broken\n"


def test_every_setting_is_named_as_its_options_attribute_for_library_callers() -> None:
    import dataclasses

    from akua_publish import options
    from akua_publish.frontends.inputs import INPUTS
    from akua_publish.wording import OPTION_ATTRIBUTES

    assert set(OPTION_ATTRIBUTES) == set(INPUTS)
    for name, attribute in OPTION_ATTRIBUTES.items():
        kind, field = attribute.split(".")
        assert field in {f.name for f in dataclasses.fields(getattr(options, kind))}, name


def test_a_default_lives_in_one_place_the_library_and_the_front_ends_read_it(tmp_path: Path) -> None:
    """Options built from nothing given (the Action's empty inputs, the command line's absent flags) are the
    library's defaults, and action.yml says the same (tests/unit/test_lint.py holds action.yml to the table)."""
    import dataclasses

    from akua_publish.frontends.ci import github_context
    from akua_publish.frontends.inputs import TABLE
    from akua_publish.frontends.settings import build_options, value_of
    from akua_publish.wording import OPTION_ATTRIBUTES

    built = build_options(value_of(lambda name: "sk_akua_x" if name == "api-token" else "", {}), {}, root=tmp_path,
                          confined=False, ci=github_context({}))
    sections = {"AkuaOptions": built.akua, "PackageOptions": built.package, "PolicyOptions": built.policy,
                "SigningOptions": built.signing, "LimitOptions": built.limits,
                "UnpackLimits": built.dependencies.limits, "Options": built}
    for entry in TABLE:
        if not entry.default or entry.name == "path":
            continue
        kind, attribute = OPTION_ATTRIBUTES[entry.name].split(".")
        library = next(f.default for f in dataclasses.fields(type(sections[kind])) if f.name == attribute)
        assert getattr(sections[kind], attribute) == library, entry.name
