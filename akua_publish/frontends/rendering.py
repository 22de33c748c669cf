"""What both front ends show of a run: the outputs of a result, the annotations of a failure, and,
when asked for, the whole chain of causes behind a failure."""

from __future__ import annotations

import json
import traceback

from akua_publish.errors import ProblemsError, PublishError
from akua_publish.pipeline import Batch
from akua_publish.result import PublishResult


def outputs(result: PublishResult) -> dict[str, str]:
    """The step outputs (action.yml) and the command line's ``--json``."""
    signed = result.signatures
    return {
        "package-id": result.package_id,
        "semver": result.semver,
        "prerelease": "true" if result.prerelease else "false",
        "tag": result.tag,
        "digest": result.digest,
        "oci-ref": result.oci_ref,
        "version-id": result.version_id,
        "published-at": result.published_at,
        "status": str(result.status),
        "signature-tag": signed.signature_tag if signed else "",
        "attestation-tag": signed.attestation_tag if signed else "",
        "signature-digest": signed.signature_digest if signed else "",
        "contract": str(result.contract.status),
    }


def batch_results(batch: Batch) -> list[dict[str, str]]:
    """Each package of a batch (``--json``'s ``results`` and the step output of that name)."""
    return [{"name": run.name, "folder": run.folder, "status": str(run.outcome),
             "semver": run.result.semver if run.result else "", "digest": run.result.digest if run.result else "",
             "oci-ref": run.result.oci_ref if run.result else "",
             "contract": str(run.result.contract.status) if run.result else "",
             "error": run.error.message if run.error else ""} for run in batch.runs]


def batch_values(batch: Batch) -> dict[str, object]:
    """What a batch says (the command line's ``--json``): ``published`` (names) and ``results``; a plan's
    ``planned`` (names) and ``matrix`` (for ``strategy.matrix``), empty lists when the batch was no plan."""
    return {"published": list(batch.published), "results": batch_results(batch),
            "planned": [entry.package for entry in batch.matrix],
            "matrix": {"include": [entry.to_json() for entry in batch.matrix]}}


def batch_outputs(batch: Batch) -> dict[str, str]:
    """The step outputs of a batch: ``batch_values``, JSON each."""
    return {name: json.dumps(value) for name, value in batch_values(batch).items()}


def problems(exc: PublishError) -> list[tuple[str, int | None]]:
    """One (text, line) per problem: a file may have several (akua.toml, package.k)."""
    if isinstance(exc, ProblemsError):
        return [(f"{exc.intro}: {text}.", line) for text, line in exc.problems]
    return [(exc.wording.message, exc.line)]


def failure_summary(exc: PublishError) -> str:
    words = exc.wording  # with its terms: the front end that writes the summary renders them
    return (f"### :x: Akua publish failed: {words.title}\n\n{words.message}\n\n"
            + (f"**How to fix:** {words.hint}\n" if words.hint else ""))


def cause_chain(exc: BaseException) -> str:
    """Every exception behind ``exc``, causes first, as Python prints them (for debug logs)."""
    return "".join(traceback.format_exception(exc)).rstrip("\n")
