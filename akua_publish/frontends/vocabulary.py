"""The front ends' words for the library's terms (``akua_publish.wording``): the Action's and the CLI's."""

from __future__ import annotations

from akua_publish.frontends.inputs import INPUTS

# The secret a workflow would keep each secret input in (the README's names).
SECRET_NAMES = {"api-token": "AKUA_API_TOKEN", "registry-password": "REGISTRY_PASSWORD",
                "github-token": "GITHUB_TOKEN", "dependency-credentials": "DEPENDENCY_CREDENTIALS",
                "cosign-private-key": "COSIGN_PRIVATE_KEY", "cosign-password": "COSIGN_PASSWORD"}


def action_words(kind: str, arg: str) -> str:
    """The GitHub Action's words: inputs of the ``with:`` block, secrets of the repository."""
    if kind == "setting":
        return f"the `{arg}` input"
    if kind == "secret":
        return f"`{arg}: ${{{{ secrets.{SECRET_NAMES[arg]} }}}}`"
    if kind == "no-tag":
        return f"GITHUB_REF is {arg or '(not set)'}, not a tag"
    if kind == "noun":
        return "action input"
    if kind == "file-root":
        return "the workspace (the checked-out repository)"
    return arg


def cli_words(kind: str, arg: str) -> str:
    """The command line's words: flags, and the environment variables and files secrets come from."""
    if kind == "setting":
        env = INPUTS[arg].env
        return f"`--{arg}`" + (f" (or {env})" if env and not env.startswith("GITHUB_") else "")
    if kind == "secret":
        return f"the {INPUTS[arg].env} environment variable, or `--{arg}-file <file>`"
    if kind == "no-tag":
        return "neither `--version` nor `--version-from-package` was given"
    if kind == "noun":
        return "option"
    if kind == "file-root":
        return "the working directory (or the folder `--file-root` names)"
    return arg
