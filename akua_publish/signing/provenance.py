"""The SLSA v1 provenance statement the ``.att`` sidecar carries.

It has the shape and build type of Akua's publish (``slsa.rs`` of akua-dev/akuapkg): the
artifact as subject, ``externalParameters {ociRef, tag}`` and one resolved
dependency per ``akua.lock`` entry. Akua leaves ``internalParameters`` and
``runDetails.metadata`` empty; this fills them with where the build ran (the
repository and commit, the ref and workflow, the run's URL), so a consumer can
trace a version to the job that published it. Nothing in it changes between
attempts of the same run (no times, no attempt number): a re-run attests to the
same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from akua_publish.about import __version__
from akua_publish.artifact import compact_json
from akua_publish.options import CiContext
from akua_publish.package.akua_lock import LockEntry

BUILD_TYPE = "https://akua.dev/slsa/publish/v1"  # Akua's own: the statement means what Akua's means
BUILDER_ID = f"urn:akua-publish:{__version__}"


def internal_parameters(context: CiContext) -> dict[str, str]:
    """Where the build ran, the fields Akua leaves open; empty ones are left out."""
    found = {"repository": context.repository_url, "commit": context.commit, "ref": context.ref,
             "workflow": context.workflow_ref, "event": context.event}
    return {key: value for key, value in found.items() if value}


def statement(reference: str, digest: str, tag: str, *, lock: Iterable[LockEntry], context: CiContext,
              builder_id: str = BUILDER_ID) -> bytes:
    """The in-toto statement, compact, fields in Akua's order, the open ones after Akua's."""
    algorithm, _, hex_part = digest.partition(":")
    definition: dict[str, Any] = {
        "buildType": BUILD_TYPE,
        "externalParameters": {"ociRef": f"oci://{reference}", "tag": tag},
    }
    internal = internal_parameters(context)
    if internal:
        definition["internalParameters"] = internal
    dependencies = [_dependency(entry) for entry in lock]
    if dependencies:  # Akua leaves the key out rather than writing []
        definition["resolvedDependencies"] = dependencies
    run: dict[str, Any] = {"builder": {"id": builder_id}}
    if context.run_url:
        run["metadata"] = {"invocationId": context.run_url}
    return compact_json({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": reference, "digest": {algorithm: hex_part}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": definition, "runDetails": run},
    })


def _dependency(entry: LockEntry) -> dict[str, Any]:
    """A lock entry as Akua records it: the digest split at its first colon, the source as uri."""
    algorithm, _, value = entry.digest.partition(":")
    return {"name": entry.name, "digest": {algorithm: value}, "uri": entry.source}
