# akua-publish: a Docker container action. GitHub runs Docker actions as root
# (the runner mounts the workspace and the output files owned by its own user),
# so no USER is set here; see the README.
FROM python:3.12.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /action

# Dependencies first: a code-only change reuses this layer. The lock holds the sha256 of every
# wheel (devtools/lock.py), so each build of a release installs the same bytes.
COPY requirements.lock ./
RUN pip install --no-cache-dir --no-compile --require-hashes -r requirements.lock

COPY entrypoint.py ./
COPY akua_publish/ ./akua_publish/
# The command line on PATH too, for CI systems that run a shell in the image (GitLab CI, Jenkins).
RUN printf '#!/bin/sh\nexec python /action/entrypoint.py "$@"\n' > /usr/local/bin/akua-publish \
    && chmod 0755 /usr/local/bin/akua-publish

ENTRYPOINT ["python", "/action/entrypoint.py"]
