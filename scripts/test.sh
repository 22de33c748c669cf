#!/usr/bin/env bash
# The whole test suite, every tier: tests/unit (anywhere; the linters too: ruff, mypy, hadolint,
# actionlint), tests/integration (a real registry, the emulator, Akua's own core), tests/e2e (the
# real image, and act on a tag push; the tests start the Docker engine and make the base image when
# it is missing). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --docker
exec .venv/bin/python -m pytest "$@"
