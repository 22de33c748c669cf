"""The job summary of a successful run: what was published, its signature, its input contract and form.

GitHub renders it as Markdown (cmark-gfm); the tests render it with the same
library and check its tables, so a value with a ``|`` or a line break cannot
break a row.
"""

from __future__ import annotations

import json
from typing import Any

from akua_publish.contract.policy import brief
from akua_publish.pipeline import Batch
from akua_publish.result import ABSENT, PublishResult


def success_summary(result: PublishResult) -> str:
    rows = [
        ("Package", f"{result.package_name} (`{result.package_id}`)" if result.package_id
         else f"{result.package_name} (not in Akua yet: a real run creates it)"),
        ("Version", f"`{result.semver}` (tag `{result.tag}`)"),
        ("Digest", f"`{result.digest}`"),
        ("OCI ref", f"`{result.oci_ref}`"),
        ("Version id", f"`{result.version_id}`" if result.version_id else "-"),
        ("Input schema", result.schema_origin),
        ("Status", f"**{result.status}**"),
        ("Input contract", f"**{result.contract.status}**" + (f" against `{result.contract.baseline}`"
                                                                if result.contract.baseline else "")
         if result.contract.status else "not compared"),
    ]
    heading = {
        "published": ":white_check_mark: Akua package version published",
        "already-published": ":white_check_mark: Akua package version already published",
        "imported": ":sparkles: Akua package created with its first version",
        "dry-run": ":test_tube: Akua publish dry run: nothing pushed or registered",
    }[str(result.status)]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    deps = "".join(f"| {d.alias} | `{d.source}` | `{d.version}` | `{d.digest}` | {d.files} |\n"
                   for d in result.dependencies)
    vendored = ("\n#### Vendored dependencies\n\n| alias | source | version | digest | files |\n"
                "|---|---|---|---|---|\n" + deps) if deps else ""
    created = (f"\nThe package did not exist in Akua: this run created it, {result.created_url}. Pin it in the "
               f"workflow so later runs skip the look-up by name:\n\n```yaml\npackage-id: {result.package_id}\n```\n"
               if result.status == "imported" else "")
    return (f"### {heading}\n\n| | |\n|---|---|\n{table}\n{created}{vendored}{signature_summary(result)}"
            f"{contract_summary(result)}{install_form(result.input_schema)}")


def signature_summary(result: PublishResult) -> str:
    """The sidecars, the key's fingerprint, and commands that check them with the public key."""
    signed = result.signatures
    if signed is None:
        return ""
    image = result.oci_ref.removeprefix("oci://")
    rows = [("Signature", f"`{signed.signature_tag}` (`{signed.signature_digest}`)"),
            ("Provenance", f"`{signed.attestation_tag}`" if signed.attestation_tag else "not attested (attest: false)"),
            ("Public key", f"ECDSA P-256 `{signed.fingerprint}`")]
    commands = [f"cosign verify --key cosign.pub --insecure-ignore-tlog=true {image}"]
    if signed.attestation_tag:
        commands.append("cosign verify-attestation --key cosign.pub --insecure-ignore-tlog=true "
                        f"--type slsaprovenance1 {image}")
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (f"\n#### Signed\n\n| | |\n|---|---|\n{table}\n\n"
            "Akua checks the signature when a package that depends on this one sets "
            "`[signing] cosign_public_key` to this public key. To check it yourself (keyed signatures "
            "have no transparency-log entry, hence the flag):\n\n```sh\n" + "\n".join(commands) + "\n```\n\n"
            f"<details><summary>cosign.pub</summary>\n\n```\n{signed.public_pem.strip()}\n```\n\n</details>\n")


CLASS_MARKS = {"breaking": ":boom: breaking", "notable": ":warning: notable", "compatible": "compatible",
               "cosmetic": "cosmetic"}


def contract_summary(result: PublishResult) -> str:
    """The changes against the previous version, one row each, most severe first."""
    contract = result.contract
    if contract.status == "first":
        return "\n#### Input contract\n\nThe first version: nothing to compare with.\n"
    if not contract.baseline:
        return ""
    if contract.note:
        return f"\n#### Input contract\n\nNot compared: {cell(contract.note)}.\n"
    heading = f"\n#### Input contract: {contract.status} against {contract.baseline}\n\n"
    if not contract.changes:
        return heading + "No change to the inputs.\n"
    rows = "".join(f"| {CLASS_MARKS[c.kind]} | `{cell(c.pointer)}` | {cell(c.rule)} | {value(c.old)} | "
                   f"{value(c.new)} | {cell(c.why)} |\n" for c in contract.changes)
    return heading + "| class | where | change | was | now | effect on installs |\n|---|---|---|---|---|---|\n" + rows


def install_form(schema: dict[str, Any]) -> str:
    """The inputs as Akua's install form shows them: by ``x-ui`` group and order, nested inputs indented."""
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return ""
    groups: dict[str, list[str]] = {}
    for name in ordered(properties):
        ui = properties[name].get("x-ui") if isinstance(properties[name], dict) else None
        group = ui.get("group") if isinstance(ui, dict) else None
        groups.setdefault(group if isinstance(group, str) else "", []).append(name)
    text = "\n#### Install form\n\nThe inputs an install of this version fills in, as Akua shows them.\n"
    for group in sorted(groups, key=lambda g: (g != "", list(groups).index(g))):
        rows: list[str] = []
        for name in groups[group]:
            rows += form_rows(name, properties[name], schema.get("required") or [], 0)
        title = f"\n**{cell(group or 'General')}**\n" if len(groups) > 1 else ""
        text += f"{title}\n| input | type | required | default | description |\n|---|---|---|---|---|\n" + "".join(rows)
    return text


def ordered(properties: dict[str, Any]) -> list[str]:
    """By ``x-ui.order`` where given (those first), then by name."""

    def key(name: str) -> tuple[int, float, str]:
        ui = properties[name].get("x-ui") if isinstance(properties[name], dict) else None
        order = ui.get("order") if isinstance(ui, dict) else None
        if isinstance(order, int | float) and not isinstance(order, bool):
            return (0, float(order), name)
        return (1, 0.0, name)

    return sorted(properties, key=key)


def form_rows(name: str, schema: Any, required: list[Any], depth: int) -> list[str]:
    schema = schema if isinstance(schema, dict) else {}
    ui = schema.get("x-ui") if isinstance(schema.get("x-ui"), dict) else {}
    label = ui.get("label") if isinstance(ui.get("label"), str) else ""
    must = name in required and "default" not in schema
    indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * depth + ("↳ " if depth else "")
    description = str(schema.get("description") or "").strip()
    rows = [f"| {indent}`{cell(name)}`{' (' + cell(label) + ')' if label else ''} | {cell(type_of(schema))} | "
            f"{'**yes**' if must else ''} | {value(schema.get('default', ABSENT))} | {cell(description)} |\n"]
    nested = schema.get("properties")
    if isinstance(nested, dict):
        for child in ordered(nested):
            rows += form_rows(child, nested[child], schema.get("required") or [], depth + 1)
    return rows


def type_of(schema: dict[str, Any]) -> str:
    """A schema's type in words: ``list of string``, ``map of integer``, ``"a" | "b"``, ``any``."""
    if "x-akua-kcl-type" in schema:
        return str(schema["x-akua-kcl-type"])
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    branches = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(branches, list):
        return " | ".join(type_of(b) if isinstance(b, dict) else "any" for b in branches)
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return "list of " + type_of(items) if isinstance(items, dict) and items else "list"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "map of " + type_of(schema["additionalProperties"])
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    return str(kind) if kind else "any"


def value(item: Any) -> str:
    return "" if item is ABSENT else f"`{cell(brief(item, 60))}`"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def batch_summary(batch: Batch) -> str:
    """One table for a step that published many packages: what happened to each."""
    icon = {"published": ":white_check_mark:", "unchanged": ":heavy_minus_sign:", "failed": ":x:",
            "dry-run": ":test_tube:", "planned": ":calendar:"}
    rows = "".join(
        f"| {cell(run.name)} | `{cell(run.folder)}` | {icon[str(run.outcome)]} {run.outcome} | "
        + (f"`{run.result.semver}` | {f'`{run.result.digest}`' if run.result.digest else '-'} | "
           f"{run.result.contract.status or '-'} |\n" if run.result
           else f"- | - | {cell(run.error.message if run.error else '')} |\n")
        for run in batch.runs)
    counts = {outcome: sum(1 for run in batch.runs if str(run.outcome) == outcome) for outcome in icon}
    said = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
    plan = "".join(f"| {entry.wave} | {cell(entry.package)} | `{entry.version}` | `{cell(entry.packages)}` |\n"
                   for entry in batch.matrix)
    return (f"### Akua packages: {said}\n\n| package | folder | status | version | digest | contract or error |\n"
            f"|---|---|---|---|---|---|\n{rows}"
            + (f"\n#### The matrix: a job each\n\n| wave | package | version | packages |\n|---|---|---|---|\n{plan}"
               if plan else ""))
