"""Signing, as a publish step: find the key before anything leaves the machine, then make the
registry hold this key's ``.sig`` (and ``.att``) for the pushed digest before Akua registers it.

Sidecars are compared with what the registry already holds: the same bytes are
left alone (a re-run uploads nothing); a sidecar that Akua's consumer would
accept for this key and digest is kept (the provenance of the run that first
published stays); anything else under the tag (another key's signature, one
copied from another digest, a broken document) is replaced, and the log says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from akua_publish.artifact import Descriptor
from akua_publish.errors import NoSigningKeyError
from akua_publish.options import CiContext, PackageOptions, SigningOptions, SignMode, shown_in
from akua_publish.package.akua_lock import LockEntry
from akua_publish.package.model import Manifest
from akua_publish.package.packing import key_in_package, list_files
from akua_publish.reporter import Reporter
from akua_publish.result import Signatures
from akua_publish.signing.provenance import statement
from akua_publish.wording import secret, setting

# cryptography (under sidecars and signing_keys) is loaded only when there is a key to use: a run
# without one does not pay for it (start-up time).
if TYPE_CHECKING:
    from akua_publish.clients.registry import RegistryClient, StoredManifest
    from akua_publish.signing.keys import SigningKey
    from akua_publish.signing.sidecars import Sidecar

KEY_SECRET_HINT = (f"Pass the key from a secret as {secret('cosign-private-key')}, with "
                   f"{secret('cosign-password')} if it is encrypted")


def signing_key(signing: SigningOptions, package: PackageOptions, manifest: Manifest,
                reporter: Reporter) -> SigningKey | None:
    """The key to sign with (None: publish unsigned), checked before anything is pushed."""
    named = manifest.signing_key
    if signing.mode == SignMode.NEVER:
        reporter.info("Signing is off (sign: false): no .sig or .att is pushed.")
        return None
    if signing.key:
        from akua_publish.signing.keys import load_signing_key

        key = load_signing_key(signing.key, signing.passphrase, setting("cosign-private-key"))
    elif named:
        key = _key_file(package, named, signing.passphrase, reporter)
    elif signing.mode == SignMode.ALWAYS:
        raise NoSigningKeyError(
            f"{setting('sign')} is true, but there is no signing key: {setting('cosign-private-key')} is empty and "
            "akua.toml names none ([signing].cosign_private_key).",
            KEY_SECRET_HINT + f", or set {setting('sign')} to auto to publish unsigned when no key is given.",
        )
    else:
        reporter.info(f"No signing key ({setting('cosign-private-key')}, or [signing].cosign_private_key in "
                      "akua.toml): the version is published unsigned.")
        return None
    reporter.info(f"Signing key: ECDSA P-256 {key.fingerprint}, from {key.origin}.")
    return key


def _key_file(package: PackageOptions, named: str, passphrase: str, reporter: Reporter) -> SigningKey:
    """The key file akua.toml names, relative to the package as Akua reads it, if it is in the workspace."""
    shown = shown_in(package.shown, named)
    toml_shown = shown_in(package.shown, "akua.toml")
    path = (package.path / named).resolve()
    root = package.workspace
    inside = path.relative_to(package.path).as_posix() if package.path in path.parents else ""
    if inside and inside in list_files(package.path):  # whatever the file holds, it must not be packed
        raise key_in_package(inside, "is the signing key akua.toml names ([signing].cosign_private_key)")
    if root not in path.parents or not path.is_file():
        raise NoSigningKeyError(
            f"akua.toml names the signing key {named} ([signing].cosign_private_key), but {shown} is not a file "
            f"in the workspace, and {setting('cosign-private-key')} is empty.",
            KEY_SECRET_HINT + f" (keep the key file out of the repository), or set {setting('sign')} to false to "
            "publish unsigned.",
            file=toml_shown,
        )
    text = path.read_text(encoding="utf-8", errors="replace")
    reporter.secret(text)
    from akua_publish.signing.keys import load_signing_key

    return load_signing_key(text, passphrase, f"{shown}, named by akua.toml")


def planned_sidecars(key: SigningKey, reference: str, digest: str, tag: str, *, lock: Iterable[LockEntry],
                     build: CiContext, attest: bool) -> list[Sidecar]:
    """The ``.sig`` and, unless attest is off, the ``.att`` for this digest (deterministic bytes)."""
    from akua_publish.signing.sidecars import attestation_sidecar, signature_sidecar

    sidecars = [signature_sidecar(key, reference, digest)]
    if attest:
        sidecars.append(attestation_sidecar(key, digest, statement(reference, digest, tag, lock=lock, context=build)))
    return sidecars


def publish_sidecars(registry: RegistryClient, key: SigningKey, sidecars: list[Sidecar], digest: str, *,
                     work_dir: Path, reporter: Reporter) -> Signatures:
    from akua_publish.signing.sidecars import (
        ENVELOPE_MEDIA_TYPE,
        SIGNATURE_MEDIA_TYPE,
        attestation_problem,
        signature_problem,
    )

    public = key.private.public_key()
    checks: dict[str, tuple[str, Callable[[Descriptor, bytes], str]]] = {
        "sig": (SIGNATURE_MEDIA_TYPE, lambda layer, blob: signature_problem(layer, blob, digest, public)),
        "att": (ENVELOPE_MEDIA_TYPE, lambda _layer, blob: attestation_problem(blob, digest, public)),
    }
    placed: dict[str, tuple[str, str]] = {}
    for sidecar in sidecars:
        kind = sidecar.tag.rpartition(".")[2]
        media_type, problem_of = checks[kind]
        held = _place(registry, sidecar, media_type, problem_of, work_dir=work_dir, reporter=reporter)
        placed[kind] = (sidecar.tag, held)
    signature_tag, signature_digest = placed["sig"]
    return Signatures(signature_tag, signature_digest, placed.get("att", ("", ""))[0], key.fingerprint,
                      key.public_pem)


def _place(registry: RegistryClient, sidecar: Sidecar, media_type: str,
           problem_of: Callable[[Descriptor, bytes], str], *, work_dir: Path, reporter: Reporter) -> str:
    """Make ``sidecar.tag`` hold this sidecar, or an equivalent one; return the digest it holds."""
    from akua_publish.signing.sidecars import SIDECAR_CONFIG, SIDECAR_CONFIG_MEDIA_TYPE, SIGNATURE_MEDIA_TYPE

    what = "signature" if media_type == SIGNATURE_MEDIA_TYPE else "attestation"
    current = registry.manifest(sidecar.tag)
    if current is not None:
        if current.raw == sidecar.manifest:
            reporter.info(f"The {what} {sidecar.tag} is already in the registry ({current.digest}): nothing to upload.")
            return current.digest
        problem = _problem(registry, current, media_type, problem_of)
        if not problem:
            reporter.info(f"{sidecar.tag} already holds a valid {what} of this digest by this key ({current.digest}): "
                        "kept.")
            return current.digest
        reporter.warning(f"{sidecar.tag} held a {what} that does not verify for this artifact with this key "
                       f"({problem}); replacing it.", title="Signature sidecar replaced")
    pushed = registry.push_small(sidecar.tag, [(sidecar.layer, media_type),
                                               (SIDECAR_CONFIG, SIDECAR_CONFIG_MEDIA_TYPE)],
                                 sidecar.manifest, work_dir)
    reporter.info(f"Pushed the {what} {sidecar.tag} ({pushed}).")
    return pushed


def _problem(registry: RegistryClient, current: StoredManifest, media_type: str,
             problem_of: Callable[[Descriptor, bytes], str]) -> str:
    from akua_publish.signing.sidecars import first_layer

    layer = first_layer(current.layers, media_type)
    if layer is None:
        return f"it has no {media_type} layer"
    blob = registry.blob(layer.digest)
    if blob is None:
        return "its layer cannot be read from the registry"
    return problem_of(layer, blob)
