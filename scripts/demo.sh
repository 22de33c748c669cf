#!/usr/bin/env bash
# The main job, locally: starts a Distribution registry and the Akua API emulator on
# loopback, publishes examples/hello as a tag push would, and prints the outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m devtools.demo
