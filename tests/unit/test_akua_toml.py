"""akua.toml as Akua's manifest parser reads it (rules of crates/akua-core/src/mod_file.rs)."""

from __future__ import annotations

import pytest

from akua_publish.frontends.ci import github_token_credentials
from akua_publish.options import RegistryOptions
from akua_publish.package.akua_toml import kcl_ident, parse
from akua_publish.package.version import parse_tag_pattern, resolve_semver

HEAD = '[package]\nname = "hello"\nversion = "0.3.0"\nedition = "akua.dev/v1alpha1"\n'


def problems(text: str) -> list[str]:
    return [message for message, _ in parse(text)[1]]


@pytest.mark.parametrize("text", [
    HEAD,
    "\ufeff" + HEAD,
    HEAD.replace('"hello"', '"01-hello_webapp"'),
    HEAD + "strict_signing = false\n",
    HEAD + "unknown = 1\n[unknown_table]\nx = 2\n",  # serde ignores unknown keys
    HEAD + '[workspace]\nmembers = ["./apps/*"]\n',
    HEAD + '[signing]\ncosign_public_key = "cosign.pub"\ncosign_private_key = "/tmp/k"\n',
    HEAD + '[dependencies]\n'
           'nginx = { oci = "oci://registry-1.docker.io/bitnamicharts/nginx", version = "18.2.0" }\n'
           'glue = { oci = "oci://pkg.acme/glue", version = "0.3.0", replace = { path = "../fork" } }\n'
           'local = { path = "../shared" }\n'
           'from-git = { git = "https://github.com/foo/bar", tag = "v1.2.3" }\n'
           'by-rev = { git = "https://github.com/foo/bar", rev = "' + "a" * 40 + '" }\n'
           'temporal = { repo = "https://charts.example.com", chart = "temporal", version = "^1" }\n'
           'at-in-path = { oci = "oci://ghcr.io/a/b@x", version = "1" }\n',
    HEAD + '[dependencies.nginx]\noci = "oci://r/nginx"\nversion = "1"\n',
])
def test_manifests_akua_accepts(text: str) -> None:
    assert problems(text) == []


@pytest.mark.parametrize(("text", "needle", "line"), [
    ("[package\n", "not valid TOML", None),
    ("x = 1\n", "[package] is missing", None),
    ("package = 1\n", "[package] is missing", 1),
    ('[package]\nname = "a"\nversion = "1.0.0"\n', "[package].edition is missing", None),
    ('[package]\nname = "a"\nedition = "akua.dev/v1"\n', "[package].version is missing", None),
    ('[package]\nversion = "1"\nedition = "akua.dev/v1"\n', "[package].name is missing", None),
    (HEAD.replace('version = "0.3.0"', "version = 3"), "[package].version is not a string", 3),
    (HEAD.replace("akua.dev/v1alpha1", "v1alpha1"), "must start with `akua.dev/`", 4),
    (HEAD.replace('"hello"', '"-hello"'), "[package].name `-hello`", 2),
    (HEAD.replace('"hello"', '""'), "[package].name ``", 2),
    (HEAD.replace('"hello"', '"has.dot"'), "[package].name `has.dot`", 2),
    (HEAD + "strict_signing = 1\n", "strict_signing must be true or false", 5),
    (HEAD + "[workspace]\nmembers = [1]\n", "[workspace].members must be a list of strings", 6),
    ("workspace = 1\n" + HEAD, "[workspace] must be a table", 1),
    (HEAD + "[signing]\ncosign_public_key = true\n", "[signing].cosign_public_key must be a string", 6),
    ("dependencies = []\n" + HEAD, "[dependencies] must be a table", 1),
    (HEAD + '[dependencies]\nx = "1.0"\n', "dependency `x`: must be a table", 6),
    (HEAD + "[dependencies]\nx = {}\n", "got 0", 6),
    (HEAD + '[dependencies]\nx = { oci = "oci://r/x", path = "./x", version = "1" }\n', "got 2 (oci, path)", 6),
    (HEAD + '[dependencies]\nx = { oci = "oci://r/x" }\n', "an oci dependency needs a `version`", 6),
    (HEAD + '[dependencies]\nx = { oci = "oci://u:p@r/x", version = "1" }\n', "must not carry credentials", 6),
    (HEAD + '[dependencies]\nx = { git = "https://g/x" }\n', "needs a `tag` or a `rev`", 6),
    (HEAD + '[dependencies]\nx = { git = "https://tok@g/x", tag = "v1" }\n', "must not carry credentials", 6),
    (HEAD + '[dependencies]\nx = { path = "./x", version = "1" }\n', "must not set `version`", 6),
    (HEAD + '[dependencies]\nx = { repo = "https://c", version = "1" }\n', "needs a `chart`", 6),
    (HEAD + '[dependencies]\nx = { repo = "https://c", chart = "x" }\n', "Helm-repository dependency needs a `version`",
     6),
    (HEAD + '[dependencies]\nx = { repo = "https://c", chart = "../x", version = "1" }\n', "plain chart name", 6),
    (HEAD + '[dependencies]\nx = { oci = "oci://r/x", version = 1 }\n', "`version` must be a string", 6),
    (HEAD + '[dependencies]\nx = { oci = "oci://r/x", version = "1", replace = "./f" }\n', "`replace` must be a table",
     6),
    (HEAD + '[dependencies]\n"../x" = { path = "./x" }\n', "cannot name a directory", 6),
    (HEAD + '[dependencies]\na-b = { path = "./x" }\na_b = { path = "./y" }\n', "both become the KCL identifier `a_b`",
     None),
])
def test_manifests_akua_refuses(text: str, needle: str, line: int | None) -> None:
    found = parse(text)[1]
    assert found, text
    assert needle in found[0][0], found
    if line is not None:
        assert found[0][1] == line, found


def test_every_problem_is_reported() -> None:
    text = '[package]\nname = "-x"\nversion = "1"\nedition = "v1"\n[dependencies]\na = {}\nb = { git = "g" }\n'
    assert len(problems(text)) == 4


@pytest.mark.parametrize(("alias", "ident"), [("cnpg-operator", "cnpg_operator"), ("01-foo", "_01_foo"),
                                              ("a.b", "a_b"), ("plain", "plain")])
def test_kcl_identifiers_of_aliases(alias: str, ident: str) -> None:
    assert kcl_ident(alias) == ident


@pytest.mark.parametrize(("pattern", "tag", "version"), [
    (r"hello@(?P<version>.+)", "hello@1.2.3", "1.2.3"),
    (r"hello-v(?P<version>.+)", "hello-v1.2.3", "1.2.3"),
    (r"release-(?P<version>.+)", "release-1.2.3-rc.1", "1.2.3-rc.1"),
    (r"(?:charts/)?(?P<version>\d+\.\d+\.\d+)", "charts/2.0.0", "2.0.0"),
    ("", "pkgs/hello/v1.0.0+build.5", "1.0.0+build.5"),
])
def test_tag_patterns(pattern: str, tag: str, version: str) -> None:
    assert resolve_semver("", f"refs/tags/{tag}", parse_tag_pattern(pattern)) == version


@pytest.mark.parametrize(("server", "host", "gets_token"), [
    ("https://github.com", "ghcr.io", True),
    ("", "ghcr.io", True),
    ("https://github.com", "GHCR.IO", True),
    ("https://github.com", "registry.example.com", False),
    ("https://github.com", "docker.io", False),
    ("https://github.com", "123.dkr.ecr.eu-west-1.amazonaws.com", False),
    ("https://ghe.acme.com", "containers.ghe.acme.com", True),
    ("https://ghe.acme.com", "ghcr.io", False),  # an Enterprise token is not for github.com
])
def test_the_github_token_is_only_for_githubs_registry(server: str, host: str, gets_token: bool) -> None:
    job_token = github_token_credentials("octocat", "ghs_secret", {"GITHUB_SERVER_URL": server} if server else {})
    credentials = RegistryOptions("octocat", "", job_token).credentials_for(host)
    assert (credentials.password == "ghs_secret") is gets_token
    assert credentials.anonymous is not gets_token
    explicit = RegistryOptions("robot", "pw", job_token).credentials_for(host)
    assert (explicit.username, explicit.password) == ("robot", "pw")


def test_dependency_credentials_as_json_or_yaml() -> None:
    from akua_publish.deps.credentials import dependency_credentials
    from akua_publish.errors import InputError
    from akua_publish.reference import Credentials

    expected = {"ghcr.io": Credentials("bot", "p:w#1"), "127.0.0.1:5000": Credentials("me", "x")}
    as_json = ('{"GHCR.io": {"username": "bot", "password": "p:w#1"}, '
               '"127.0.0.1:5000": {"username": "me", "password": "x"}}')
    as_yaml = ('ghcr.io:\n  username: bot\n  password: "p:w#1"\n# a comment\n'
               '"127.0.0.1:5000":\n  username: me\n  password: x\n')
    assert dependency_credentials(as_json) == expected
    assert dependency_credentials(as_yaml) == expected
    for bad in ('{"ghcr.io": {"username": "bot"}}', "[1]", "{", "  username: x\n", "ghcr.io: x\n"):
        with pytest.raises(InputError):
            dependency_credentials(bad)
