"""The command line: ``akua-publish`` (or ``python -m akua_publish``) for GitLab CI, Jenkins and laptops.

Each flag is an input of the action (the same table, ``frontends/inputs.py``), with
the same environment fallbacks, defaults, checks and exit codes; the flags are
turned into the options directly. Its words are its own (flags and environment
variables, not inputs) and so are its paths (any the user can read). Each secret
also comes from its environment variable or a ``--<name>-file``; given as a flag,
it works with a warning. As command lines do, it writes its log and errors on
stderr and its result on stdout: the outputs as ``name: value`` lines, or with
``--json`` one JSON object, on failure too (status ``failed``, the exit code, the
error's title, message and hint). ``--debug`` prints the causes behind a failure;
``-V`` its own version. Long work shows a live bar on a terminal, a line every 10 s
in a log, nothing with ``--quiet``. In a GitLab pipeline the tag (``CI_COMMIT_TAG``)
gives the version as a tag does on GitHub.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from akua_publish.about import __version__
from akua_publish.errors import EXIT_USER, Wording
from akua_publish.frontends.inputs import TABLE
from akua_publish.frontends.log import PlainLog, ProgressStyle
from akua_publish.frontends.process import begin, finish
from akua_publish.frontends.vocabulary import cli_words
from akua_publish.wording import render

if TYPE_CHECKING:
    from akua_publish.options import Options

SECRETS = tuple(entry for entry in TABLE if entry.secret)
EPILOG = """\
Secrets: pass each through its environment variable or a file, never as a flag, which every
user of the machine can read in the process list (a flag still works, with a warning):
""" + "".join(f"  --{e.name:<24} ${e.env:<28} or --{e.name}-file FILE\n" for e in SECRETS) + """
Exit codes: 0 published, already published or dry run; 1 an error to fix; 75 a service failed
(re-running may succeed); 70 a bug in akua-publish.
"""


class _Parser(argparse.ArgumentParser):
    """argparse, failing as every other error of a run does: ``Error: ...`` on stderr, the JSON failure on
    stdout under ``--json``, and exit code 1."""

    json_wanted = False

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        failed(Wording("Invalid option", f"{message}.", "See akua-publish --help."), EXIT_USER,
               PlainLog(sys.stderr, cli_words), as_json=self.json_wanted)
        sys.exit(EXIT_USER)


def failed(failure: Wording, code: int, log: PlainLog, *, as_json: bool, logged: bool = False) -> None:
    """A failure on stderr (unless the run ``logged`` it already) and, under ``--json``, as the result on stdout."""
    if not logged:
        log.error(f"{failure.message} Fix: {failure.hint}", title=failure.title)
    if as_json:
        said = {part: log.redacted(render(getattr(failure, part), cli_words)) for part in ("title", "message", "hint")}
        print(json.dumps({"status": "failed", "exit-code": code, **said}, indent=2))


def build_parser() -> _Parser:
    parser = _Parser(
        prog="akua-publish", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Publish an Akua package version: check it, push it to its OCI registry, register it "
                    "in Akua. The flags are the GitHub Action's inputs.")
    for entry in TABLE:
        fallback = f"; else ${entry.env}" if entry.env else ""
        told = f"default: {entry.default}" if entry.default else "no default"
        options: dict[str, object] = {"dest": entry.name, "default": None,
                                      "help": f"{entry.help} ({told}{fallback})"}
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
    parser.add_argument("--file-root", metavar="DIR", type=Path,
                        help="the folder file:// git dependencies must be in (default: the working directory)")
    parser.add_argument("--json", action="store_true",
                        help="print the outputs as one JSON object on stdout (the log goes to stderr)")
    parser.add_argument("--quiet", action="store_true",
                        help="show no progress (else a bar on a terminal, a line every 10 s in a log)")
    parser.add_argument("--debug", action="store_true", help="print the causes behind a failure")
    parser.add_argument("-V", "--tool-version", action="version", version=f"akua-publish {__version__}",
                        help="print akua-publish's own version and exit (--version is the version to publish)")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = build_parser()
    parser.json_wanted = "--json" in (sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.version_from_package and args.version is not None:
        parser.error("--version and --version-from-package both name the version to publish; give one of them")
    # The library loads only once the flags are read: --help stays fast.
    from akua_publish.frontends.ci import command_line_context, github_token_credentials
    from akua_publish.frontends.rendering import batch_results, batch_values, outputs
    from akua_publish.frontends.run import run
    from akua_publish.frontends.settings import build_options, secret_texts, value_of

    # The log, errors and progress on stderr (the bar when it is a terminal); stdout holds the result alone.
    style = ProgressStyle.NONE if args.quiet else ProgressStyle.BAR if sys.stderr.isatty() else ProgressStyle.LINES
    log = PlainLog(sys.stderr, cli_words, progress=style)
    given: dict[str, str] = {}
    for entry in TABLE:
        value = getattr(args, entry.name)
        if entry.secret:
            value = _secret(parser, entry.name, value, getattr(args, f"{entry.name}-file"), log)
        if value is not None:
            given[entry.name] = value
    text = value_of(lambda name: given.get(name, ""), environ)
    for secret in secret_texts(lambda name: given.get(name, ""), environ):
        log.secret(secret)

    def options() -> Options:
        return build_options(
            text, environ, root=Path.cwd(), confined=False, ci=command_line_context(environ),
            version_from_package=args.version_from_package,
            file_root=args.file_root.resolve() if args.file_root else None,
            host_credentials=github_token_credentials(text("registry-username"), text("github-token"), environ))

    ran = run(log, options, debug=args.debug)
    if ran.batch is not None:
        print(json.dumps(batch_values(ran.batch), indent=2) if args.json
              else "\n".join(f"{r['name']} ({r['folder']}): {r['status']} {r['semver']} {r['digest']}".rstrip()
                             for r in batch_results(ran.batch)))
    elif ran.result is not None:
        values = outputs(ran.result)
        print(json.dumps(values, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in values.items()))
    elif ran.failure is not None:
        failed(ran.failure, ran.code, log, as_json=args.json, logged=True)
    return ran.code


def _secret(parser: argparse.ArgumentParser, name: str, flag: str | None, file: Path | None,
            log: PlainLog) -> str | None:
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
        log.secret(flag)
        log.warning(f"--{name} on the command line can be read by every user of this machine (the process list, "
                    f"shell history); pass it as ${env} or --{name}-file instead.")
    return flag


def run() -> NoReturn:
    """The console script (and ``python -m akua_publish``): the command line in a process of its own."""
    begin()
    finish(main())
