"""``python -m akua_publish``: the command line."""

from akua_publish.cli import run

run()
