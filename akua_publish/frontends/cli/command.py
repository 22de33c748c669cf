"""The command line: ``akua-publish`` (or ``python -m akua_publish``) for GitLab CI, Jenkins and laptops.

Each flag is an input of the action (the same table, ``inputs.TABLE``), with the
same environment fallbacks, defaults, checks and exit codes: the flags become
the ``INPUT_*`` variables the action reads, and the run is the action's own,
but for its words (flags, not inputs) and its paths (any the user can read).
Each secret also comes from its environment variable or a ``--<name>-file``;
given as a flag, it works with a warning. Off a GitHub runner the log is plain
text. ``--json`` prints the outputs as one JSON object on stdout, the log going
to stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from akua_publish.frontends.inputs import TABLE
from akua_publish.package import akua_toml

SECRETS = tuple(entry for entry in TABLE if entry.secret)
EPILOG = """\
Secrets: pass each through its environment variable or a file, never as a flag, which every
user of the machine can read in the process list (a flag still works, with a warning):
""" + "".join(f"  --{e.name:<24} ${e.env:<28} or --{e.name}-file FILE\n" for e in SECRETS) + """
Exit codes: 0 published, already published or dry run; 1 an error to fix; 75 a service failed
(re-running may succeed); 70 a bug in akua-publish.
"""


class _Parser(argparse.ArgumentParser):
    """argparse, failing as every other error of a run does: ``Error: ...`` and exit code 1."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"Error: Invalid option: {message}. Fix: see akua-publish --help.", file=sys.stderr)
        sys.exit(1)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="akua-publish", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Publish an Akua package version: check it, push it to its OCI registry, register it "
                    "in Akua. The flags are the GitHub Action's inputs.")
    for entry in TABLE:
        fallback = f"; else ${entry.env}" if entry.env else ""
        shown = f"default: {entry.default}" if entry.default else "no default"
        options: dict[str, object] = {"dest": entry.name, "default": None,
                                      "help": f"{entry.help} ({shown}{fallback})"}
        if entry.is_switch:  # --dry-run alone means true
            options.update(nargs="?", const="true", choices=entry.choices, metavar="true|false")
        elif entry.choices:
            options.update(choices=[c for c in entry.choices if c])
        parser.add_argument(entry.flag, **options)  # type: ignore[arg-type]
        if entry.secret:
            parser.add_argument(f"{entry.flag}-file", dest=f"{entry.name}-file", metavar="FILE", type=Path,
                                help=f"read {entry.flag} from FILE (one trailing newline dropped)")
    parser.add_argument("--version-from-package", action="store_true",
                        help="publish the version akua.toml declares (no tag needed)")
    parser.add_argument("--json", action="store_true",
                        help="print the outputs as one JSON object on stdout (the log goes to stderr)")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    env = {name: value for name, value in environ.items() if not name.startswith("INPUT_")}
    out = sys.stderr if args.json else sys.stdout
    for entry in TABLE:
        value = getattr(args, entry.name)
        if entry.secret:
            value = _secret(parser, entry.name, value, getattr(args, f"{entry.name}-file"), out)
        if value is not None:
            env["INPUT_" + entry.name.upper()] = value
    if args.version_from_package:
        toml = Path(env.get("GITHUB_WORKSPACE") or ".", args.path or ".", "akua.toml")
        version, why = _declared_version(toml)
        if not version:
            print(f"Error: --version-from-package: {toml} gives no version: {why}. Fix: give --version, "
                  "or point --path at the package.", file=out)
            return 1
        env["INPUT_VERSION"] = version
    from akua_publish.frontends.github.action import (
        main as run,  # the heavy imports only once the flags are read (--help stays fast)
    )

    outputs: dict[str, str] = {}
    code = run(env, out, report=outputs.update, command_line=True)
    if args.json and code == 0:
        print(json.dumps(outputs, indent=2))
    return code


def _secret(parser: argparse.ArgumentParser, name: str, flag: str | None, file: Path | None,
            out: TextIO) -> str | None:
    """A secret from ``--<name>-file`` or, with a warning, from the flag itself; None leaves it to the
    environment variable."""
    if flag is not None and file is not None:
        parser.error(f"give --{name} or --{name}-file, not both")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            parser.error(f"--{name}-file {file}: {reason}")
        return text.removesuffix("\n").removesuffix("\r")
    if flag:
        env = next(entry.env for entry in SECRETS if entry.name == name)
        print(f"Warning: --{name} on the command line can be read by every user of this machine (the process "
              f"list, shell history); pass it as ${env} or --{name}-file instead.", file=out)
    return flag


def _declared_version(toml: Path) -> tuple[str, str]:
    """``[package].version`` as Akua's parser reads it, or "" and why not. Other problems of the file
    are left to the run, which reports each with its line."""
    try:
        data, problems = akua_toml.parse(toml.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return "", exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not UTF-8 text"
    package = data.get("package")
    version = package.get("version") if isinstance(package, dict) else None
    if isinstance(version, str) and version:
        return version, ""
    return "", problems[0][0] if problems else "[package].version is not set"


def run() -> NoReturn:
    """The console script: the command line, then the process ends as ``finish`` ends it."""
    finish(main())


def finish(code: int) -> NoReturn:
    """End the process with ``code``, sparing the interpreter its last garbage collections.

    Everything still alive lives until the process ends, yet at exit the collector
    walks every object the imports made (requests, oras, kcl_lib, jsonschema) only
    to free them: about 0.1 s, a tenth of a small package's whole run. Frozen, they
    are out of its reach; atexit handlers and the flushing of output run as usual.
    """
    gc.freeze()
    sys.exit(code)
