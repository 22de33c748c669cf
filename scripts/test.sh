#!/usr/bin/env bash
# The whole test suite: unit, end-to-end against a real registry and the emulator,
# the real image under act on a tag push (the tests start the Docker engine and make
# the base image when it is missing), and the linters (ruff, hadolint, actionlint).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --docker
exec .venv/bin/python -m pytest "$@"
