#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine (as root):
# Debian's Distribution registry (and htpasswd for its Basic-auth mode), a virtualenv
# with the pinned Python packages (act and the linters among them) and, with --docker,
# a Docker engine, debootstrap and npm for the image and act tests and for the tests'
# reference, Akua's own core (devtools/oracle.py builds it once per machine).
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v curl >/dev/null || need+=(curl)
command -v git >/dev/null || need+=(git)  # the tests build git repositories with its plumbing
if [ "${1:-}" = "--docker" ]; then
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v npm >/dev/null || need+=(npm)  # fetches Akua's core for the tests' oracle
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating .venv with the pinned requirements"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
