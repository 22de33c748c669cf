"""Every error a user can hit: clear annotation, documented exit code, nothing half-done."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from akua_publish.frontends.inputs import INPUTS
from conftest import (
    GITHUB_WORDING,
    OTHER_WORKSPACE,
    WORKSPACE_ID,
    Target,
    error_lines,
    parse_annotation,
    plain_errors,
)
from devtools.action import run_cli
from devtools.keys import generate, other_kinds
from devtools.registry import free_port

SCHEMA = "pkg/exported/inputs.schema.json"
TOML = "pkg/akua.toml"


@dataclass
class Case:
    name: str
    needles: tuple[str, ...]
    inputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path, Target], dict[str, str] | None] | None = None
    code: int = 1
    file: str = ""
    honour_permissions: bool = False  # run as root without the power to read any file
    line: str = ""  # the annotation's line property, where the error names one
    annotations: int = 1


def write(rel: str, text: str | bytes) -> Callable[[Path, Target], None]:
    def prepare(root: Path, _: Target) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    return prepare


def both(*prepares: Callable[[Path, Target], None]) -> Callable[[Path, Target], None]:
    def prepare(root: Path, target: Target) -> None:
        for step in prepares:
            step(root, target)

    return prepare


def remove(rel: str) -> Callable[[Path, Target], None]:
    return lambda root, _: (root / rel).unlink()


def edit_schema(change: Callable[[dict], object]) -> Callable[[Path, Target], None]:
    def prepare(root: Path, _: Target) -> None:
        path = root / SCHEMA
        schema = json.loads(path.read_text())
        change(schema)
        path.write_text(json.dumps(schema))

    return prepare


def unreadable(rel: str) -> Callable[[Path, Target], None]:
    def prepare(root: Path, _: Target) -> None:
        path = root / rel
        if not path.exists():
            path.write_text("private\n")
        path.chmod(0)

    return prepare


def symlink(rel: str, to: str) -> Callable[[Path, Target], None]:
    def prepare(root: Path, _: Target) -> None:
        (root / rel).unlink(missing_ok=True)
        (root / rel).symlink_to(to)

    return prepare


def empty_package(root: Path, _: Target) -> dict[str, str]:
    (root / "empty").mkdir()
    return {"path": "empty"}


def other_package(workspace_id: str, source: dict) -> Callable[[Path, Target], dict[str, str]]:
    def prepare(_: Path, target: Target) -> dict[str, str]:
        package_id = target.akua.store.add_package(workspace_id, "hello", source)
        return {"package-id": package_id}

    return prepare


def another_hello(_: Path, target: Target) -> dict[str, str]:
    """A second OCI package named hello: without package-id, the name no longer tells which."""
    target.akua.store.add_package(WORKSPACE_ID, "hello", {"kind": "oci", "oci_ref": target.oci_ref + "-other"})
    return {"package-id": ""}


def closed_registry(_: Path, target: Target) -> dict[str, str]:
    source = {"kind": "oci", "oci_ref": f"oci://127.0.0.1:{free_port()}/nowhere"}
    return {"package-id": target.akua.store.add_package(WORKSPACE_ID, "hello", source)}


def simple_envelope(_: Path, target: Target) -> dict[str, str]:
    target.akua.server.error_envelope = "simple"
    return {"package-id": "pkg_missing0000"}


EC_KEY = ("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg" + "A" * 40
          + "\n-----END PRIVATE KEY-----\n")
VALID_TOML = '[package]\nname = "hello"\nversion = "0.3.0"\nedition = "akua.dev/v1alpha1"\n\n'
ENCRYPTED_KEY = generate("pkcs8-pbkdf2")
OTHER_KEYS = other_kinds()
COMPAT_OK = {"clusterTypes": [], "kubernetes": {}, "placement": {"providers": "any", "regions": "any"}}

CASES = [
    # 1. the version
    Case("ref-is-a-branch", ("refs/heads/main", "not a tag", "tags:"), env={"GITHUB_REF": "refs/heads/main"}),
    Case("ref-unset", ("(not set)",), env={"GITHUB_REF": ""}),
    Case("tag-not-semver", ("`1.2`", "SemVer"), env={"GITHUB_REF": "refs/tags/v1.2"}),
    Case("tag-leading-zero", ("`01.2.3`",), env={"GITHUB_REF": "refs/tags/v01.2.3"}),
    Case("version-input-not-semver", ("`latest`", "`version` input"), inputs={"version": "latest"}),
    Case("version-too-long", ("131 characters", "128"), inputs={"version": "1.0.0-" + "a" * 125}),
    Case("version-differs-from-akua-toml", ("0.4.0", "'0.3.0'", "Set version"),
         env={"GITHUB_REF": "refs/tags/v0.4.0"}, file=TOML),
    # 2. the package, the schema, the inputs
    Case("no-akua-toml", ("pkg/akua.toml is missing",), prepare=remove(TOML), file=TOML),
    Case("broken-akua-toml", ("not valid TOML",), prepare=write(TOML, "[package\nname="), file=TOML),
    Case("no-package-table", ("[package] is missing",), prepare=write(TOML, "[other]\nx = 1\n"), file=TOML),
    Case("bad-package-name", ("[package].name",),
         prepare=write(TOML, '[package]\nname = "-bad"\nversion = "0.3.0"\nedition = "akua.dev/v1alpha1"\n'),
         file=TOML, line="2"),
    Case("no-version-in-akua-toml", ("[package].version is missing",),
         prepare=write(TOML, '[package]\nname = "hello"\nedition = "akua.dev/v1alpha1"\n'), file=TOML),
    Case("no-edition-in-akua-toml", ("[package].edition is missing",),
         prepare=write(TOML, '[package]\nname = "hello"\nversion = "0.3.0"\n'), file=TOML),
    Case("edition-not-akua", ("[package].edition `v1alpha1` must start with `akua.dev/`",),
         prepare=write(TOML, '[package]\nname = "hello"\nversion = "0.3.0"\nedition = "v1alpha1"\n'),
         file=TOML, line="4"),
    Case("dependency-without-source", ("dependency `nginx`", "exactly one of oci / git / path / repo", "got 0"),
         prepare=write(TOML, VALID_TOML + '[dependencies]\nnginx = { version = "1.0.0" }\n'), file=TOML, line="7"),
    Case("dependency-with-two-sources", ("dependency `x`", "got 2 (oci, git)"),
         prepare=write(TOML, VALID_TOML + '[dependencies]\nx = { oci = "oci://r/x", git = "https://g/x", '
                       'version = "1", tag = "v1" }\n'), file=TOML, line="7"),
    Case("dependency-alias-with-a-slash", ("alias `a/b` cannot name a directory",),
         prepare=write(TOML, VALID_TOML + '[dependencies]\n"a/b" = { path = "vendor/charts/hello" }\n'),
         file=TOML, line="7"),
    Case("signing-key-not-a-string", ("[signing].cosign_private_key must be a string",),
         prepare=write(TOML, VALID_TOML + "[signing]\ncosign_private_key = 1\n"), file=TOML, line="7"),
    Case("several-akua-toml-problems", ("[package].edition is missing",),
         prepare=write(TOML, '[package]\nname = "hello"\nversion = "0.3.0"\n[dependencies]\n'
                       'a = { oci = "oci://r/a" }\nb = { git = "https://u:p@g/b", tag = "v1" }\n'),
         file=TOML, annotations=3),
    Case("akua-toml-not-utf8", ("not valid UTF-8",), prepare=write(TOML, b"\xff\xfe[package]"), file=TOML),
    Case("no-package-k", ("pkg/package.k is missing",), prepare=remove("pkg/package.k"),
         file="pkg/package.k"),
    Case("path-does-not-exist", ("`nope` does not exist",), inputs={"path": "nope"}),
    Case("path-outside-workspace", ("leads outside the workspace",), inputs={"path": "../.."}),
    Case("path-absolute", ("absolute path",), inputs={"path": "/etc"}),
    Case("path-symlink-leading-out", ("leads outside the workspace",), prepare=symlink("out", "/etc"),
         inputs={"path": "out"}),
    Case("schema-symlink-leading-out", ("leads outside the workspace",),
         prepare=symlink("pkg/exported/inputs.schema.json", "/etc/hostname")),
    Case("empty-package-directory", ("empty/akua.toml is missing",), prepare=empty_package, file="empty/akua.toml"),
    Case("unreadable-file-in-the-package", ("vendor/charts/hello/values.yaml in the package cannot be read",
                                            "Permission denied"),
         prepare=unreadable("pkg/vendor/charts/hello/values.yaml"), honour_permissions=True),
    Case("unreadable-directory-in-the-package", ("vendor/charts/hello/templates of the package cannot be read",),
         prepare=unreadable("pkg/vendor/charts/hello/templates"), honour_permissions=True),
    Case("unreadable-akua-toml", ("pkg/akua.toml cannot be read: Permission denied",), prepare=unreadable(TOML),
         honour_permissions=True, file=TOML),
    Case("unreadable-schema", ("cannot be read: Permission denied",), prepare=unreadable(SCHEMA),
         honour_permissions=True, file=SCHEMA),
    Case("package-k-not-utf8", ("pkg/package.k",), prepare=write("pkg/package.k", b"schema Input:\n    a: \xff\n"),
         file="pkg/package.k"),
    Case("schema-missing-and-check-off", ("does not exist", "akua pkg export"), prepare=remove(SCHEMA),
         inputs={"schema-check": "off"}, file=SCHEMA),
    Case("schema-check-unknown", ("`schema-check` input is `loose`",), inputs={"schema-check": "loose"}),
    Case("schema-outside-workspace", ("leads outside",), inputs={"schema": "../../../x.json"}),
    Case("schema-not-json", ("not valid JSON", "line 1, column 2"), prepare=write(SCHEMA, "{"), file=SCHEMA),
    Case("schema-is-an-array", ("JSON list, not an object",), prepare=write(SCHEMA, "[]"), file=SCHEMA),
    Case("schema-not-utf8", ("not valid UTF-8",), prepare=write(SCHEMA, b'{"a": "\xff"}'), file=SCHEMA),
    Case("schema-too-big", ("is 1048600 bytes as compact JSON", "sends at most 1048576 (1 MiB)"),
         prepare=write(SCHEMA, '{"type": "object", "x": "' + "a" * (1024 * 1024) + '"}'), file=SCHEMA),
    Case("schema-file-far-too-big", ("is 16777225 bytes", "1048576 bytes as compact JSON"),
         prepare=write(SCHEMA, '{"x": "' + "a" * (16 * 1024 * 1024) + '"}'), file=SCHEMA),
    Case("exported-schema-too-big", ("exported from `pkg/package.k`", "bytes as compact JSON", "at most 1048576"),
         prepare=both(remove(SCHEMA), write("pkg/package.k", 'schema Input:\n    x: str = "' + "a" * (1024 * 1024)
                                              + '"\n')), file="pkg/package.k"),
    Case("private-key-in-the-package", ("keys/release.pem holds a PEM private key", "outside the package",
                                        "Nothing was pushed"), prepare=write("pkg/keys/release.pem", EC_KEY)),
    Case("encrypted-key-under-another-name", ("notes/readme.txt holds a PEM private key",),
         prepare=write("pkg/notes/readme.txt", "see below\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n"
                       "-----END ENCRYPTED PRIVATE KEY-----\n")),
    Case("signing-key-named-in-akua-toml", ("cosign.key is the signing key akua.toml names",),
         prepare=both(
             write(TOML, VALID_TOML + '[signing]\ncosign_private_key = "./cosign.key"\n'),
             write("pkg/cosign.key", "not even PEM\n"))),
    Case("tag-of-another-package", ("The tag `other/v0.3.0` is for the package `other`, not `hello`",
                                    "tags: ['hello/v*']"), env={"GITHUB_REF": "refs/tags/other/v0.3.0"}),
    Case("tag-pattern-not-a-regex",
         ("`tag-pattern` input is `hello@(?P<version>.+`, which is not a regular expression",),
         inputs={"tag-pattern": "hello@(?P<version>.+"}),
    Case("tag-pattern-without-version-group", ("exactly one group, named `version`",),
         inputs={"tag-pattern": "hello@(.+)"}),
    Case("tag-does-not-match-the-pattern", ("`v0.3.0` does not match the `tag-pattern` input",),
         inputs={"tag-pattern": "hello@(?P<version>.+)"}),
    Case("compatibility-file-missing", ("`compatibility-file` input (compat.json) cannot be read",),
         inputs={"compatibility-file": "compat.json"}),
    Case("compatibility-file-and-input", ("Both the `compatibility` input and the `compatibility-file` input",),
         prepare=write("compat.json", json.dumps(COMPAT_OK)),
         inputs={"compatibility-file": "compat.json", "compatibility": json.dumps(COMPAT_OK)}),
    Case("compatibility-file-not-json", ("`compatibility-file` input (compat.json) is not valid JSON",),
         prepare=write("compat.json", "{clusterTypes: []}"), inputs={"compatibility-file": "compat.json"}),
    Case("compatibility-file-outside-workspace", ("leads outside the workspace",),
         inputs={"compatibility-file": "../../etc/passwd"}),
    Case("compatibility-not-json", ("`compatibility` input is not valid JSON",),
         inputs={"compatibility": "{clusterTypes: [eks]}"}),
    Case("compatibility-not-object", ("JSON list, not an object",), inputs={"compatibility": "[]"}),
    Case("compatibility-missing-placement", ("'placement' is a required property",),
         inputs={"compatibility": '{"clusterTypes": [], "kubernetes": {}}'}),
    Case("compatibility-bad-network-profile", ("at /kaas/networkProfile", "linux_cilium"),
         inputs={"compatibility": json.dumps({**COMPAT_OK, "kaas": {"networkProfile": "flannel"}})}),
    Case("no-package-id-and-the-name-is-ambiguous", ("Akua packages are named hello", "Set the `package-id` input"),
         prepare=another_hello),
    Case("package-id-wrong-shape", ("not an Akua package id",), inputs={"package-id": "hello"}),
    Case("package-id-too-long", ("not an Akua package id",), inputs={"package-id": "pkg_" + "a" * 51}),
    Case("no-token", ("No Akua API token", "secrets.AKUA_API_TOKEN"), env={"AKUA_API_TOKEN": ""}),
    Case("workspace-wrong-shape", ("not an Akua workspace id",), inputs={"workspace": "acme"}),
    Case("workspace-too-long", ("not an Akua workspace id",), inputs={"workspace": "ws_" + "a" * 51}),
    Case("package-id-with-path-characters", ("not an Akua package id",), inputs={"package-id": "pkg_../../x"}),
    Case("api-url-plain-http-remote", ("plain http", "unencrypted"),
         inputs={"api-url": "http://api.example.com/v1"}),
    Case("api-url-not-a-url", ("not an http(s) URL",), inputs={"api-url": "api.akua.dev"}),
    Case("dry-run-not-boolean", ("`dry-run` input is `yes`",), inputs={"dry-run": "yes"}),
    Case("plain-http-not-boolean", ("`plain-http` input",), inputs={"plain-http": "1"}),
    Case("repository-with-tag", ("names a tag or digest",), inputs={"repository": "ghcr.io/acme/x:1.0"}),
    Case("repository-not-a-reference", ("not an OCI repository reference",), inputs={"repository": "oci://"}),
    # 3. Akua, before anything is pushed
    Case("token-rejected", ("HTTP 401", "Invalid or missing API token", "api-token"),
         env={"AKUA_API_TOKEN": "sk_akua_wrong_0123456789"}),
    Case("workspace-not-allowed", ("HTTP 403", "ws_other", "`workspace` input"),
         inputs={"workspace": OTHER_WORKSPACE}),
    Case("package-unknown", ("HTTP 404", "pkg_missing0000", "`package-id` input"),
         inputs={"package-id": "pkg_missing0000"}),
    Case("package-in-another-workspace", ("HTTP 404",),
         prepare=other_package(OTHER_WORKSPACE, {"kind": "oci", "oci_ref": "oci://127.0.0.1:1/x"})),
    Case("package-is-hosted", ("hosted package", "not an OCI-backed"),
         prepare=other_package(WORKSPACE_ID, {"kind": "hosted", "repository_id": "repo_1"})),
    Case("simple-error-envelope", ("HTTP 404", "not found"), prepare=simple_envelope),
    Case("repository-differs-from-akuas", ("oci://ghcr.io/acme/other", "Akua reads this package"),
         inputs={"repository": "oci://ghcr.io/acme/other"}),
    Case("akua-unreachable", ("Cannot reach the Akua API", "api-url"), code=75,
         inputs={"api-url": f"http://127.0.0.1:{free_port()}/v1", "max-attempts": "2"}),
    # 5. the registry
    Case("registry-unreachable", ("Cannot connect to the registry",), code=75, prepare=closed_registry,
         inputs={"max-attempts": "2"}),
    Case("max-attempts-zero", ("`max-attempts` input is `0`",), inputs={"max-attempts": "0"}),
    Case("deadline-not-a-number", ("`deadline` input is `soon`",), inputs={"deadline": "soon"}),
    Case("timeout-too-long", ("`timeout` input is `9999`",), inputs={"timeout": "9999"}),
    Case("contract-check-not-a-mode", ("`contract-check` input is `loose`", "strict, warn or off"),
         inputs={"contract-check": "loose"}),
    # 6. signing
    Case("sign-not-a-mode", ("`sign` input is `yes`", "auto, true or false"), inputs={"sign": "yes"}),
    Case("attest-not-a-flag", ("`attest` input is `maybe`",), inputs={"attest": "maybe"}),
    Case("sign-true-without-a-key", ("The `sign` input is true", "no signing key", "COSIGN_PRIVATE_KEY"),
         inputs={"sign": "true"}),
    Case("key-is-rsa", ("an RSA key", "ECDSA P-256", "cosign generate-key-pair"),
         inputs={"cosign-private-key": OTHER_KEYS["rsa"]}),
    Case("key-is-p384", ("secp384r1",), inputs={"cosign-private-key": OTHER_KEYS["p384"]}),
    Case("key-is-public", ("is a public key", "cosign.pub"), inputs={"cosign-private-key": OTHER_KEYS["public"]}),
    Case("key-is-malformed", ("does not parse",),
         inputs={"cosign-private-key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}),
    Case("key-is-a-path", ("not a path",), inputs={"cosign-private-key": "keys/cosign.key"}),
    Case("key-passphrase-missing", ("no passphrase was given", "cosign-password"),
         inputs={"cosign-private-key": ENCRYPTED_KEY.private_pem}),
    Case("key-passphrase-wrong", ("cannot be decrypted",),
         inputs={"cosign-private-key": ENCRYPTED_KEY.private_pem, "cosign-password": "not-the-passphrase"}),
    Case("akua-toml-names-a-missing-key", ("names the signing key ../keys/cosign.key", "COSIGN_PRIVATE_KEY"),
         prepare=write(TOML, VALID_TOML + '[dependencies]\nhello = { path = "vendor/charts/hello" }\n\n'
                       '[signing]\ncosign_private_key = "../keys/cosign.key"\n'), file=TOML),
]


def run_case(case: Case, publish, target: Target, workspace: Path, on_github: bool):
    inputs = dict(case.inputs)
    if case.prepare:
        inputs.update(case.prepare(workspace, target) or {})
    try:
        return publish(inputs=inputs, env=case.env, honour_permissions=case.honour_permissions, on_github=on_github)
    finally:
        target.akua.server.error_envelope = "spec"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_error_is_clear_and_nothing_is_done(case: Case, publish, target: Target, workspace: Path) -> None:
    run = run_case(case, publish, target, workspace, on_github=True)
    assert run.returncode == case.code, run.log
    lines = error_lines(run)
    assert len(lines) == case.annotations, run.log
    props, message = parse_annotation(lines[0])
    for needle in case.needles:
        assert needle in message, message
    assert "Fix: " in message and props["title"]
    assert props.get("file", "") == case.file
    if case.line:
        assert props.get("line") == case.line, lines[0]
    assert "Akua publish failed" in run.summary and "How to fix" in run.summary
    assert run.outputs == {}
    target.assert_untouched()


def test_every_akua_toml_problem_is_its_own_annotation_with_key_and_line(publish, target: Target,
                                                                        workspace: Path) -> None:
    """Akua stops at the first problem; the action reports each, so one run shows everything to fix."""
    write(TOML, '[package]\nname = "hello"\nversion = "0.3.0"\nedition = "v1"\n\n[dependencies]\n'
                'x = { oci = "oci://r/x", git = "https://g/x", version = "1" }\n'
                'y = { git = "git@github.com:acme/y.git", tag = 1 }\n'
                '[dependencies.z]\nrepo = "https://charts.example.com"\nchart = "../z"\n')(workspace, target)
    run = publish()
    assert run.returncode == 1, run.log
    found = [parse_annotation(line) for line in error_lines(run)]
    expected = [("4", "[package].edition `v1`"), ("7", "dependency `x`: exactly one of"), ("8", "`tag` must be"),
                ("8", "`git = \"git@github.com:acme/y.git\"` is an SSH URL"),
                ("9", "a Helm-repository dependency needs a `version`"), ("9", "`chart` value `../z`")]
    assert [(props["line"], next(n for line, n in expected if n in message)) for props, message in found] == expected
    assert all(props["file"] == TOML for props, _ in found)
    target.assert_untouched()


ADVICE = [  # checks of akua-publish's own, beyond Akua's: warnings, never errors
    ("unknown-dialect", lambda s: s.update({"$schema": "https://example.com/my-dialect"}),
     "unknown JSON Schema dialect"),
    ("dialect-not-text", lambda s: s.update({"$schema": 3}), "unknown JSON Schema dialect 3"),
    ("invalid", lambda s: s["properties"]["port"].update({"type": "integr"}), "at /properties/port/type"),
    ("root-not-object", lambda s: s.update({"type": "array"}), "the root is not"),
    ("default-violates-its-schema", lambda s: s["properties"]["replicas"]["properties"]["min"].update(
        {"default": "one"}), "/properties/replicas/properties/min/default"),
    ("remote-ref", lambda s: s["properties"].update({"r": {"$ref": "https://example.com/s.json"}}), "not local"),
]


@pytest.mark.parametrize(("change", "needle"), [a[1:] for a in ADVICE], ids=[a[0] for a in ADVICE])
def test_local_schema_checks_only_warn_and_akua_decides(publish, target: Target, workspace: Path, change,
                                                      needle: str) -> None:
    """With schema-check off nothing local refuses the file: a warning, then Akua's own verdict (422)."""
    edit_schema(change)(workspace, target)
    run = publish(inputs={"schema-check": "off"})
    advice = [line for line in run.stdout.splitlines() if line.startswith("::warning title=Input schema advice")]
    assert advice and needle in advice[0], run.log
    assert run.returncode == 1 and "HTTP 422" in run.log and target.created() == []


# The command line takes any path the user can read: these are refused by the Action only.
CONFINED_TO_THE_WORKSPACE = {"path-outside-workspace", "path-absolute", "path-symlink-leading-out",
                             "schema-symlink-leading-out", "schema-outside-workspace",
                             "compatibility-file-outside-workspace"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_command_line_names_its_own_flags(case: Case, target: Target, workspace: Path) -> None:
    """Every error of the command line speaks of flags and environment variables, never of inputs,
    workflow expressions or the runner's variables; secrets come from the environment."""
    inputs = {"package-id": target.package_id, "path": "pkg", "api-url": target.akua.server.base_url,
              **case.inputs}
    if case.prepare:
        inputs.update(case.prepare(workspace, target) or {})
    env = {"AKUA_API_TOKEN": target.akua.token, "GITHUB_REF": "refs/tags/v0.3.0", **case.env}
    flags = []
    for name, value in inputs.items():
        if INPUTS[name].secret:
            env[INPUTS[name].env] = value
        else:
            flags += [f"--{name}", value]
    try:
        done = run_cli(workspace, *flags, env=env, honour_permissions=case.honour_permissions)
    finally:
        target.akua.server.error_envelope = "spec"
    log = done.stdout + done.stderr
    if case.name in CONFINED_TO_THE_WORKSPACE:
        assert done.returncode in (0, 1), log
    else:
        assert done.returncode == case.code, log
        assert len(plain_errors_of(log)) == case.annotations, log
    assert "Traceback" not in log and "::" not in log and not GITHUB_WORDING.search(log), log
    assert "Warning: --" not in log  # no secret went in as a flag


def plain_errors_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error: ")]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_error_outside_github_is_plain_text(case: Case, publish, target: Target, workspace: Path) -> None:
    """Another CI or a laptop: no workflow commands, the same errors, no secret in the log (the fixture)."""
    run = run_case(case, publish, target, workspace, on_github=False)
    assert run.returncode == case.code, run.log
    lines = plain_errors(run)
    assert len(lines) == case.annotations, run.log
    for needle in case.needles:
        assert needle in lines[0], lines[0]
    assert "Fix: " in lines[0] and (case.file in lines[0])
    target.assert_untouched()


def test_akua_rejects_a_schema_that_is_not_the_exported_one(publish, target: Target, workspace: Path) -> None:
    exported = json.loads((workspace / SCHEMA).read_text())
    exported["properties"]["port"]["default"] = 9090
    (workspace / "pkg" / "handwritten.schema.json").write_text(json.dumps(exported))
    run = publish(inputs={"schema": "handwritten.schema.json", "schema-check": "off"})
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    assert "HTTP 422" in line and "input_schema differs" in line and "registry connection" in line
    assert target.created() == []


def test_read_only_token_cannot_register(publish, target: Target) -> None:
    run = publish(env={"AKUA_API_TOKEN": target.akua.read_only_token})
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    assert "HTTP 403" in line and "read-only" in line
    assert target.created() == []
