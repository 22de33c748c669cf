#!/usr/bin/env bash
# The whole test suite: unit, end-to-end against a real registry and the emulator,
# and the linters (ruff, hadolint, actionlint). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
