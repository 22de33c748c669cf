"""Whether a stored artifact holds this package: decided by the uncompressed tar, not by gzip's bytes.

Two gzip streams of one tar differ with the zlib build and level (zlib-ng, an
older akua-publish, Akua's CLI), so the layer digest cannot tell whether the
content is the same. The manifest akua-publish writes records the tar's sha256
on the layer's descriptor; a manifest without it (written by an earlier release,
or by another tool) has its layer read back once, gunzipped and hashed as it
streams; the content is never inflated past this package's own size (a bomb
costs nothing), and the whole blob is checked against its digest.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import TYPE_CHECKING

from akua_publish.artifact import PackedContent
from akua_publish.package.manifest import content_layer
from akua_publish.reporter import Reporter

if TYPE_CHECKING:  # oras and requests load with the client, in the push step
    from akua_publish.clients.registry import RegistryClient, StoredManifest

GZIP = zlib.MAX_WBITS | 16
OUT_CHUNK = 1024 * 1024  # the most gunzipped at once: memory stays flat whatever the ratio


class GunzipDigest:
    """The sha256 of a gzip stream's content (several members in a row, as gzip allows), fed chunk by chunk;
    ``feed`` answers False, and ``digest`` stays "", once the content is past ``limit`` bytes or not gzip."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._inflate = zlib.decompressobj(GZIP)
        self._sha = hashlib.sha256()
        self.size = 0
        self.broken = False

    def feed(self, chunk: bytes) -> bool:
        data = chunk
        while not self.broken:
            if self._inflate.eof:  # a member ended: what follows is the next one
                data = self._inflate.unused_data + data
                if not data:
                    break
                self._inflate = zlib.decompressobj(GZIP)
            try:
                out = self._inflate.decompress(data, OUT_CHUNK)
            except zlib.error:
                self.broken = True
                break
            self._sha.update(out)
            self.size += len(out)
            if self.size > self._limit:
                self.broken = True
            data = self._inflate.unconsumed_tail
            # More to do: input left, output cut at the chunk size, or a member ended before the data did.
            if not data and len(out) < OUT_CHUNK and not (self._inflate.eof and self._inflate.unused_data):
                break
        return not self.broken

    @property
    def digest(self) -> str:
        """The content's sha256, or "" when the stream is broken, cut short or over the limit."""
        if self.broken or not self._inflate.eof:
            return ""
        return "sha256:" + self._sha.hexdigest()


def holds_content(registry: RegistryClient, stored: StoredManifest, content: PackedContent,
                  reporter: Reporter) -> bool:
    """Whether ``stored`` is an artifact of exactly this content (its first Akua content layer)."""
    layer = content_layer(stored.layers)
    if layer is None:
        return False
    if layer.content_digest:
        return layer.content_digest == content.digest
    reporter.info(f"{stored.digest} does not record its content's digest (an earlier release of akua-publish, or "
                  "another tool, pushed it): reading its layer back once to compare.")
    read = registry.read_blob(layer.digest, layer.size, lambda: GunzipDigest(content.size))
    return read is not None and read.digest == content.digest
