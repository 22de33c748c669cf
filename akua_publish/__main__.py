"""``python -m akua_publish``: the command line."""

from akua_publish.frontends.cli.command import run

run()
