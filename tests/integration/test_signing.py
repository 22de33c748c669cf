"""Signing: the keys read, the sidecars in Akua's exact bytes, and checks by code we did not write.

Every sidecar the action pushes is checked (a) by Akua's own consumer (its
``render`` of a package depending on the published one, through the oracle),
(b) by ``openssl dgst -verify`` over the signed payload and (c) by
securesystemslib's DSSE verification of the attestation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from akua_publish.errors import SigningKeyError
from akua_publish.options import CiContext
from akua_publish.package.akua_lock import read_lock_entries
from akua_publish.signing.keys import load_signing_key
from akua_publish.signing.provenance import statement
from akua_publish.signing.sidecars import attestation_sidecar, signature_sidecar, simple_signing_payload
from conftest import Target
from devtools.action import ROOT
from devtools.keys import AKUA_READS, FORMATS, KeyPair, dsse_verifies, generate, openssl_verifies, other_kinds
from devtools.oracle import Oracle
from devtools.registry import LocalRegistry

KEYS = {fmt: generate(fmt) for fmt in FORMATS}
RUN_ENV = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/hello",
           "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "GITHUB_RUN_ID": "4242",
           "GITHUB_WORKFLOW_REF": "acme/hello/.github/workflows/release.yml@refs/tags/v0.3.0",
           "GITHUB_EVENT_NAME": "push"}


# --- the key formats -------------------------------------------------------------------------------

def test_a_cosign_key_whose_box_was_altered_does_not_open() -> None:
    """cosign's key file is opened with libsodium (PyNaCl): one flipped bit of the box is a key that cannot be
    decrypted, reported as such, as a wrong passphrase is."""
    pair = KEYS["cosign"]
    body = "".join(pair.private_pem.splitlines()[1:-1])
    document = json.loads(base64.b64decode(body))
    box = bytearray(base64.b64decode(document["ciphertext"]))
    box[-1] ^= 1
    document["ciphertext"] = base64.b64encode(bytes(box)).decode()
    altered = ("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + base64.b64encode(json.dumps(document).encode())
               .decode() + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    with pytest.raises(SigningKeyError, match="cannot be decrypted"):
        load_signing_key(altered, pair.passphrase, "test")
    assert load_signing_key(pair.private_pem, pair.passphrase, "test").public_pem == pair.public_pem


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_accepted_key_format_signs_what_openssl_verifies(fmt: str) -> None:
    pair = KEYS[fmt]
    key = load_signing_key(pair.private_pem, pair.passphrase, fmt)
    assert key.public_pem == pair.public_pem
    signature = key.sign(b"payload")
    assert signature == key.sign(b"payload"), "signatures must be deterministic (RFC 6979)"
    assert openssl_verifies(pair.public_pem, signature, b"payload")
    assert not openssl_verifies(pair.public_pem, signature, b"payload!")
    assert not openssl_verifies(KEYS["pkcs8"].public_pem if fmt != "pkcs8" else KEYS["sec1"].public_pem,
                                signature, b"payload")


def test_a_key_pasted_with_crlf_and_extra_newlines_is_read() -> None:
    pair = KEYS["pkcs8-pbkdf2"]
    pasted = "\n\n" + pair.private_pem.replace("\n", "\r\n") + "\r\n\r\n"
    assert load_signing_key(pasted, pair.passphrase, "pasted").public_pem == pair.public_pem


OTHERS = other_kinds()
REFUSED = [
    ("rsa", OTHERS["rsa"], "", ("an RSA key", "ECDSA P-256")),
    ("rsa-traditional", OTHERS["rsa-traditional"], "", ("an RSA key",)),
    ("p384", OTHERS["p384"], "", ("secp384r1", "P-256")),
    ("ed25519", OTHERS["ed25519"], "", ("an Ed25519 key",)),
    ("public-key", OTHERS["public"], "", ("is a public key", "cosign.pub")),
    ("not-base64", "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", "", ("not base64",)),
    ("not-a-key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", ("does not parse",)),
    ("a-path", "keys/cosign.key", "", ("found 0", "not a path")),
    ("two-keys", KEYS["pkcs8"].private_pem + KEYS["sec1"].private_pem, "", ("found 2",)),
    ("certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "", ("`CERTIFICATE`",)),
    ("pkcs8-no-passphrase", KEYS["pkcs8-pbkdf2"].private_pem, "",
     ("no passphrase was given", "`SigningOptions.passphrase`")),
    ("pkcs8-wrong-passphrase", KEYS["pkcs8-scrypt"].private_pem, "wrong", ("cannot be decrypted",)),
    ("cosign-wrong-passphrase", KEYS["cosign"].private_pem, "wrong", ("cannot be decrypted",)),
    ("cosign-no-passphrase", KEYS["cosign"].private_pem, "", ("empty passphrase",)),
    ("cosign-not-json", "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n"
     "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n", "", ("does not parse",)),
]


@pytest.mark.parametrize(("text", "passphrase", "needles"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_unusable_keys_are_refused_with_the_reason(text: str, passphrase: str, needles: tuple[str, ...]) -> None:
    with pytest.raises(SigningKeyError) as caught:
        load_signing_key(text, passphrase, "the input")
    for needle in needles:
        assert needle in caught.value.message + caught.value.hint
    assert caught.value.hint
    body = [line for line in text.splitlines() if len(line) > 20 and not line.startswith("-----")]
    assert not any(line in caught.value.message + caught.value.hint for line in body)


# --- Akua's own bytes ----------------------------------------------------------------------------

CROSS = [("hello", fmt) for fmt in AKUA_READS] + [("wrapper", "pkcs8")]


@pytest.mark.parametrize(("example", "fmt"), CROSS, ids=[f"{e}-{f}" for e, f in CROSS])
def test_sidecars_are_byte_identical_to_akuas_publish(oracle: Oracle, registry: LocalRegistry, example: str,
                                                      fmt: str) -> None:
    """Akua's CLI publishes with the key; the action's builders, given Akua's digest, write the same bytes
    (signatures included: both are RFC 6979), and the same statement once Akua's builder id is used."""
    pair = KEYS[fmt]
    work = oracle.workdir()
    try:
        package = work / "ws"
        shutil.copytree(ROOT / "examples" / example, package)
        (work / "cosign.key").write_text(pair.private_pem)
        with open(package / "akua.toml", "a") as toml:
            toml.write('\n[signing]\ncosign_private_key = "../cosign.key"\n')
        repo = f"akua-cli/{example}-{fmt}-{os.urandom(3).hex()}"
        reference = f"{registry.host}/{repo}"
        code, said = oracle.execute(["publish", "--json", "--workspace", oracle.inside(package), "--ref",
                                     f"oci://{reference}"], cwd=oracle.inside(package),
                                    env={"AKUA_COSIGN_PASSPHRASE": pair.passphrase})
        assert code == 0, said
        published = json.loads(said)
        digest = published["manifest_digest"]
        key = load_signing_key(pair.private_pem, pair.passphrase, fmt)
        ours = signature_sidecar(key, reference, digest)
        assert ours.tag == published["signature_tag"]
        assert registry.manifest(repo, ours.tag) == ours.manifest
        assert ours.layer == simple_signing_payload(reference, digest)
        akuas_att = registry.manifest(repo, published["attestation_tag"])
        envelope = registry.blob(repo, json.loads(akuas_att)["layers"][0]["digest"])
        akuas_statement = base64.b64decode(json.loads(envelope)["payload"])
        builder = json.loads(akuas_statement)["predicate"]["runDetails"]["builder"]["id"]
        lock = read_lock_entries(package / "akua.lock") or []
        mine = statement(reference, digest, published["tag"], lock=lock, context=CiContext(), builder_id=builder)
        assert mine == akuas_statement
        attestation = attestation_sidecar(key, digest, mine)
        assert (attestation.tag, attestation.layer, attestation.manifest) == (
            published["attestation_tag"], envelope, akuas_att)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- the action, end to end ----------------------------------------------------------------------

def sidecar(target: Target, tag: str) -> tuple[bytes, bytes]:
    """A sidecar's manifest and its one layer, read back from the registry."""
    manifest = target.registry.manifest(target.repo, tag)
    assert manifest is not None, tag
    return manifest, target.registry.blob(target.repo, json.loads(manifest)["layers"][0]["digest"])


def checks(target: Target, oracle: Oracle, pair: KeyPair, digest: str) -> dict[str, bool]:
    """Every independent verdict on the sidecars of ``digest`` (True: accepted)."""
    found = {}
    sig_manifest = target.registry.manifest(target.repo, f"sha256-{digest[7:]}.sig")
    if sig_manifest:
        layer = json.loads(sig_manifest)["layers"][0]
        payload = target.registry.blob(target.repo, layer["digest"])
        signature = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"])
        found["openssl"] = openssl_verifies(pair.public_pem, signature, payload) and json.loads(payload)[
            "critical"]["image"]["docker-manifest-digest"] == digest
    code, said = oracle.render_dependent(target.oci_ref, "0.3.0", pair.public_pem)
    found["akua-render"] = code == 0
    found["akua-said"] = said  # type: ignore[assignment]
    att_manifest = target.registry.manifest(target.repo, f"sha256-{digest[7:]}.att")
    if att_manifest:
        envelope = target.registry.blob(target.repo, json.loads(att_manifest)["layers"][0]["digest"])
        subject = json.loads(base64.b64decode(json.loads(envelope)["payload"]))["subject"][0]["digest"]["sha256"]
        found["dsse"] = dsse_verifies(pair.public_pem, envelope) and subject == digest[7:]
    return found


def signed_inputs(pair: KeyPair) -> dict[str, str]:
    return {"cosign-private-key": pair.private_pem, "cosign-password": pair.passphrase}


def test_a_signed_publish_is_accepted_by_akuas_consumer_openssl_and_in_toto(publish, target: Target,
                                                                            oracle: Oracle) -> None:
    pair = KEYS["pkcs8-pbkdf2"]
    target.akua.store.signature_keys[target.package_id] = pair.public_pem  # the workspace requires signatures
    run = publish(inputs=signed_inputs(pair), env=RUN_ENV)
    assert run.returncode == 0, run.log
    digest = run.outputs["digest"]
    hex_part = digest.removeprefix("sha256:")
    assert run.outputs["signature-tag"] == f"sha256-{hex_part}.sig"
    assert run.outputs["attestation-tag"] == f"sha256-{hex_part}.att"
    assert run.outputs["signature-digest"] == target.registry.manifest_digest(target.repo, f"sha256-{hex_part}.sig")
    assert target.tags() == sorted(["0.3.0", f"sha256-{hex_part}.sig", f"sha256-{hex_part}.att"])
    verdicts = checks(target, oracle, pair, digest)
    assert verdicts.pop("akua-render") and verdicts.pop("akua-said") is not None
    assert verdicts == {"openssl": True, "dsse": True}
    wrong = KEYS["cosign"]
    code, said = oracle.render_dependent(target.oci_ref, "0.3.0", wrong.public_pem)
    assert code != 0 and "E_COSIGN_VERIFY" in said, said
    # The provenance: Akua's shape and build type, and where the build ran.
    _, envelope = sidecar(target, f"sha256-{hex_part}.att")
    stated = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
    definition = stated["predicate"]["buildDefinition"]
    assert definition["buildType"] == "https://akua.dev/slsa/publish/v1"
    assert definition["externalParameters"] == {"ociRef": target.oci_ref, "tag": "0.3.0"}
    assert definition["internalParameters"] == {
        "repository": "https://github.com/acme/hello", "commit": RUN_ENV["GITHUB_SHA"], "ref": "refs/tags/v0.3.0",
        "workflow": RUN_ENV["GITHUB_WORKFLOW_REF"], "event": "push"}
    assert stated["predicate"]["runDetails"]["metadata"] == {
        "invocationId": "https://github.com/acme/hello/actions/runs/4242"}
    assert stated["subject"] == [{"name": target.oci_ref.removeprefix("oci://"), "digest": {"sha256": hex_part}}]
    # The summary: the tags, the key's fingerprint, and a command to verify.
    fingerprint = "sha256:" + hashlib.sha256(base64.b64decode("".join(pair.public_pem.splitlines()[1:-1]))).hexdigest()
    assert fingerprint in run.summary and f"sha256-{hex_part}.sig" in run.summary
    assert f"cosign verify --key cosign.pub --insecure-ignore-tlog=true {run.outputs['oci-ref'][6:]}" in run.summary
    # A re-run (another attempt of the same run) writes the same bytes: nothing is uploaded.
    puts = target.registry.requests_seen("PUT", f"/v2/{target.repo}/")
    again = publish(inputs=signed_inputs(pair), env=RUN_ENV)
    assert again.returncode == 0 and again.outputs == run.outputs | {"status": "already-published"}, again.log
    assert again.log.count("is already in the registry") == 2, again.log
    assert target.registry.requests_seen("PUT", f"/v2/{target.repo}/") == puts


def test_attest_false_pushes_the_signature_only(publish, target: Target, oracle: Oracle) -> None:
    pair = KEYS["cosign"]
    run = publish(inputs={**signed_inputs(pair), "attest": "false"})
    assert run.returncode == 0, run.log
    assert run.outputs["attestation-tag"] == "" and run.outputs["signature-tag"].endswith(".sig")
    assert [t for t in target.tags() if t.endswith(".att")] == []
    assert checks(target, oracle, pair, run.outputs["digest"])["akua-render"]


@pytest.mark.parametrize("mode", ["auto", "false"])
def test_unsigned_publishes_leave_the_outputs_empty(publish, target: Target, mode: str) -> None:
    inputs = {"sign": mode} | (signed_inputs(KEYS["pkcs8"]) if mode == "false" else {})
    run = publish(inputs=inputs)
    assert run.returncode == 0, run.log
    assert (run.outputs["signature-tag"], run.outputs["attestation-tag"], run.outputs["signature-digest"]) == (
        "", "", "")
    assert target.tags() == ["0.3.0"]
    assert "Signed" not in run.summary


def test_a_workspace_that_requires_signatures_refuses_an_unsigned_version(publish, target: Target) -> None:
    target.akua.store.signature_keys[target.package_id] = KEYS["pkcs8"].public_pem
    run = publish()
    assert run.returncode == 1 and "HTTP 422" in run.log and "requires a cosign signature" in run.log, run.log
    assert target.created() == []
    signed_by_another = publish(inputs=signed_inputs(KEYS["sec1"]))
    assert signed_by_another.returncode == 1 and "does not verify" in signed_by_another.log, signed_by_another.log
    assert target.created() == []


def test_the_key_file_akua_toml_names_is_used_when_it_is_outside_the_package(publish, target: Target,
                                                                              workspace: Path, oracle: Oracle) -> None:
    pair = KEYS["pkcs8-scrypt"]
    (workspace / "keys").mkdir()
    (workspace / "keys" / "cosign.key").write_text(pair.private_pem)
    with open(workspace / "pkg" / "akua.toml", "a") as toml:
        toml.write('\n[signing]\ncosign_private_key = "../keys/cosign.key"\n')
    run = publish(env={"AKUA_COSIGN_PASSPHRASE": pair.passphrase})
    assert run.returncode == 0, run.log
    assert "pkg/../keys/cosign.key, named by akua.toml" in run.log
    assert checks(target, oracle, pair, run.outputs["digest"])["openssl"]
    body = [line for line in pair.private_pem.splitlines() if not line.startswith("-----")]
    assert not any(line in run.log + run.summary + run.output_file for line in body)


def test_a_dry_run_signs_nothing(publish, target: Target) -> None:
    run = publish(inputs={**signed_inputs(KEYS["pkcs8"]), "dry-run": "true"})
    assert run.returncode == 0, run.log
    assert "A real run signs the artifact: sha256-" in run.log
    target.assert_untouched()


def tamper_wrong_key(target: Target, digest: str) -> None:
    other = load_signing_key(KEYS["sec1"].private_pem, "", "other")
    forged = signature_sidecar(other, target.oci_ref.removeprefix("oci://"), digest)
    target.registry.put(target.repo, forged.tag, [b"{}", forged.layer], forged.manifest)


def tamper_other_digest(target: Target, digest: str) -> None:
    """A genuine signature (this key), but of another artifact, copied under this digest's tag."""
    key = load_signing_key(KEYS["pkcs8"].private_pem, "", "this key")
    copied = signature_sidecar(key, target.oci_ref.removeprefix("oci://"), "sha256:" + "0" * 64)
    target.registry.put(target.repo, f"sha256-{digest[7:]}.sig", [b"{}", copied.layer], copied.manifest)


def replace_layer(target: Target, tag: str, manifest: bytes, layer: bytes) -> None:
    """Put ``layer`` in place of the sidecar's one layer, its descriptor updated as a forger would."""
    layout = json.loads(manifest)
    layout["layers"][0].update({"digest": "sha256:" + hashlib.sha256(layer).hexdigest(), "size": len(layer)})
    target.registry.put(target.repo, tag, [layer], json.dumps(layout).encode())


def tamper_payload(target: Target, digest: str) -> None:
    manifest, payload = sidecar(target, f"sha256-{digest[7:]}.sig")
    edited = payload.replace(b'"optional":null', b'"optional":{"by":"mallory"}')
    replace_layer(target, f"sha256-{digest[7:]}.sig", manifest, edited)


def tamper_attestation(target: Target, digest: str) -> None:
    manifest, envelope = sidecar(target, f"sha256-{digest[7:]}.att")
    document = json.loads(envelope)
    stated = json.loads(base64.b64decode(document["payload"]))
    stated["predicate"]["runDetails"]["builder"]["id"] = "https://evil.example/builder"
    document["payload"] = base64.b64encode(json.dumps(stated).encode()).decode()
    replace_layer(target, f"sha256-{digest[7:]}.att", manifest, json.dumps(document).encode())


def tamper_missing_attestation(target: Target, digest: str) -> None:
    target.registry.delete_manifest(target.repo, target.registry.manifest_digest(target.repo,
                                                                                f"sha256-{digest[7:]}.att"))


TAMPERING = [  # (how, the checks that must fail, what the re-run logs)
    ("signed-by-another-key", tamper_wrong_key, {"openssl", "akua-render"}, "not this key's"),
    ("copied-from-another-digest", tamper_other_digest, {"openssl", "akua-render"}, "it signs sha256:000"),
    ("payload-edited", tamper_payload, {"openssl", "akua-render"}, "not this key's"),
    ("attestation-edited", tamper_attestation, {"dsse"}, "no signature in it is this key's"),
    ("attestation-missing", tamper_missing_attestation, {"dsse"}, "Pushed the attestation"),
]


@pytest.mark.parametrize(("tamper", "failing", "logged"), [t[1:] for t in TAMPERING], ids=[t[0] for t in TAMPERING])
def test_tampered_sidecars_fail_every_check_and_a_rerun_restores_them(publish, target: Target, oracle: Oracle,
                                                                      tamper, failing: set[str], logged: str) -> None:
    pair = KEYS["pkcs8"]
    first = publish(inputs=signed_inputs(pair))
    assert first.returncode == 0, first.log
    digest = first.outputs["digest"]
    tamper(target, digest)
    verdicts = checks(target, oracle, pair, digest)
    said = verdicts.pop("akua-said")
    assert {name for name, ok in verdicts.items() if not ok} | ({"dsse"} - set(verdicts)) == failing, (verdicts, said)
    again = publish(inputs=signed_inputs(pair))
    assert again.returncode == 0 and logged in again.log, again.log
    if "Pushed" not in logged:
        assert "::warning title=Signature sidecar replaced::" in again.stdout
    assert again.outputs["signature-digest"] == first.outputs["signature-digest"]
    restored = checks(target, oracle, pair, digest)
    restored.pop("akua-said")
    assert all(restored.values()) and set(restored) == {"openssl", "akua-render", "dsse"}, restored


def test_akuas_consumer_refuses_a_replaced_artifact(publish, target: Target, oracle: Oracle) -> None:
    """The version tag re-pointed at another manifest: that digest has no signature, so Akua refuses it."""
    pair = KEYS["pkcs8"]
    assert publish(inputs=signed_inputs(pair)).returncode == 0
    manifest = target.registry.manifest(target.repo, "0.3.0")
    layout = json.loads(manifest)
    layout["annotations"] = {"org.example.replaced": "yes"}
    target.registry.put(target.repo, "0.3.0", [], json.dumps(layout).encode())
    code, said = oracle.render_dependent(target.oci_ref, "0.3.0", pair.public_pem)
    assert code != 0 and "E_COSIGN_SIG_MISSING" in said, said
