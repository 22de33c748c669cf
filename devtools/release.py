"""The action.yml of a release: the pre-built image, pinned by digest, instead of the Dockerfile.

Main keeps ``image: Dockerfile`` (``uses: ./`` and act build it on any commit). A
release commit gets ``image: docker://<registry>/<owner>/akua-publish:<version>@sha256:...``,
written by this script after the image was built, tested and pushed, so every
commit a user can pin refers to an image that exists, and no runner builds it:

    python -m devtools.release action.yml ghcr.io/acme/akua-publish:1.2.0@sha256:...
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

IMAGE_LINE = re.compile(r"^(  image: )Dockerfile$", re.MULTILINE)
PINNED = re.compile(r"[a-z0-9.:-]+(/[a-z0-9._-]+)+:[\w.-]+@sha256:[0-9a-f]{64}")


def pin(action_yml: str, image: str) -> str:
    """``action_yml`` with its image replaced by ``image`` (name:tag@sha256:digest, nothing else)."""
    if not PINNED.fullmatch(image):
        raise ValueError(f"{image!r} is not registry/name:tag@sha256:<64 hex>")
    pinned, count = IMAGE_LINE.subn(rf"\g<1>docker://{image}", action_yml)
    if count != 1:
        raise ValueError("action.yml has no `image: Dockerfile` line to replace")
    return pinned


if __name__ == "__main__":
    path = Path(sys.argv[1])
    path.write_text(pin(path.read_text(), sys.argv[2]))
    print(f"{path}: image docker://{sys.argv[2]}")
