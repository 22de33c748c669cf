"""The publish as a sequence of named steps, each of which a failure stops before the next (see the package).

``Publication`` holds what the steps share: the options, the clients (closed when the run ends), the scratch
folder, the trail a cancelled run reports from, and in a batch what its runs share (``Shared``). Each step is
one method, in the order ``run`` calls them: those that ask Akua here, those that make and move the artifact in
``artifact_steps``; what a step decides is decided in the domain module it calls.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from akua_publish.cancellation import Cancelled, RunCancelledError, Trail
from akua_publish.clients.retry import RetryPolicy
from akua_publish.errors import PushedNotRegisteredError, RetryableError
from akua_publish.options import CheckMode, Options, SignMode
from akua_publish.package.version import oci_tag, resolve_semver
from akua_publish.pipeline.artifact_steps import ArtifactSteps, Packed
from akua_publish.pipeline.local import Checked, check_locally
from akua_publish.reporter import Reporter
from akua_publish.result import Contract, PublishResult, Status

if TYPE_CHECKING:  # the clients load requests and oras in the steps that talk to them
    from akua_publish.clients.akua_api import AkuaClient
    from akua_publish.clients.akua_types import Package
    from akua_publish.clients.registry import RegistryClient
    from akua_publish.deps.vendor import Vendoring
    from akua_publish.release.destination import Destination
    from akua_publish.release.readability import Connections


def publish(options: Options, reporter: Reporter) -> PublishResult:
    """Publish one version of the package ``options`` describe; raise a ``PublishError`` when it cannot be."""
    return publish_in(options, reporter, None)


@dataclass(frozen=True)
class Shared:
    """What the runs of a batch share: one Akua client, and the workspace's packages listed once (a run of one
    package lists them itself, to find its own by name)."""

    akua: AkuaClient
    packages: tuple[Package, ...]
    look_first: bool  # a version Akua has is compared by its content alone, before the other checks
    # A plan's: the siblings whose new version this one vendors (not pushed yet), as (name, version): layer.
    waiting_on: Mapping[tuple[str, str], str] = field(default_factory=dict)


def publish_in(options: Options, reporter: Reporter, shared: Shared | None) -> PublishResult:
    """``publish``, as one run of a batch when ``shared`` is given."""
    trail = Trail()
    try:
        with tempfile.TemporaryDirectory(prefix="akua-publish-", dir=options.temp_dir) as work, \
                contextlib.ExitStack() as clients:
            return Publication(options, reporter, Path(work), trail, clients, shared=shared).run()
    except Cancelled as exc:  # the scratch folder is gone by now
        raise RunCancelledError(exc.signum, trail.said()) from exc


def retry_policy(options: Options, reporter: Reporter) -> RetryPolicy:
    limits = options.limits
    return RetryPolicy(attempts=limits.max_attempts, deadline=limits.deadline, timeout=limits.timeout,
                       warn=lambda message: reporter.warning(message, title="Retrying"))


class Publication(ArtifactSteps):
    """One publish: the steps, and what they share (the artifact's steps are ``ArtifactSteps``)."""

    def __init__(self, options: Options, reporter: Reporter, work: Path, trail: Trail,
                 clients: contextlib.ExitStack, *, shared: Shared | None) -> None:
        self.options, self.reporter, self.work, self.trail, self._clients = options, reporter, work, trail, clients
        self.shared = shared
        self.policy = retry_policy(options, reporter)
        self._found: dict[tuple[str, str], Destination] = {}
        self._akua: AkuaClient | None = None
        # What the comparison with Akua's version found before the checks (the full run goes on from there):
        self._vendored: Vendoring | None = None
        self._looked: tuple[RegistryClient, Packed | None] | None = None  # None inside: the registry lost it

    def run(self) -> PublishResult:
        step = self.reporter.step
        if self.shared is not None and self.shared.look_first:
            with step("Compare with the version Akua has"):
                unchanged = self.unchanged()
            if unchanged is not None:
                return unchanged
        with step("Check the package"):
            checked = check_locally(self.options, self.reporter)
        with step("Find the package in Akua"):
            akua, found, connections = self.find(checked)
        with step("Compare the input contract with the previous version"):
            contract = self.compare_contract(checked, akua, found)
        result = PublishResult(
            status=Status.DRY_RUN, package_id=found.package_id, package_name=checked.name, semver=checked.semver,
            tag=oci_tag(checked.semver), digest="", oci_ref="", schema_origin=checked.schema_origin,
            input_schema=checked.schema, contract=contract)
        if self.options.policy.dry_run and self.shared is not None and self.shared.waiting_on:
            from akua_publish.deps.vendor import check_unpublished_pins

            check_unpublished_pins(checked.package, self.shared.waiting_on)
            self.reporter.info(f"akua.lock pins {', '.join(n for n, _ in self.shared.waiting_on)} at the layers this "
                               "plan packs; vendoring and packing wait for the real run, which publishes them first.")
            return result
        with step("Vendor dependencies"):
            vendoring = self._vendored or self.vendor(checked.package)
        result = replace(result, dependencies=vendoring.dependencies)
        if self.options.policy.dry_run:
            lost = self._looked is not None and self._looked[1] is None
            with step("Pack"):  # a registry known to have lost Akua's artifact: only that very one may go back
                packed = self.pack(checked, vendoring, None, found if lost else None)
            return self.dry_run(checked, found, replace(result, digest=packed.digest,
                                                        oci_ref=found.repository.oci_ref(packed.digest),
                                                        layer_digest=packed.layer.digest if packed.layer else ""))
        with step(f"Look for {checked.semver} in oci://{found.repository}"):
            registry, held = self._looked or self.look(checked.package, checked.semver, found, vendoring)
        if held is None:
            with step("Pack"):
                packed = self.pack(checked, vendoring, self.work, found)
        else:
            packed = held
        result = replace(result, digest=packed.digest, oci_ref=found.repository.oci_ref(packed.digest),
                         layer_digest=packed.layer_digest)
        self.trail.pushing, self.trail.pushed = result.oci_ref, packed.present is not None
        result = self.push_and_sign(checked, registry, packed, result)
        if found.registered:
            return self.already_published(registry, packed, result, found.registered)
        self.trail.registering = True
        try:
            if connections is not None:
                with step("Check that Akua can read the artifact"):
                    self.check_readable(registry, found, connections, result.digest)
            with step("Register the version in Akua"):
                result = self.register(akua, registry, found, packed, result)
        except RetryableError as exc:
            raise PushedNotRegisteredError(exc, result.oci_ref) from exc
        self.trail.registered, self.trail.tag = f"{result.semver} as {result.oci_ref}", result.tag
        with step(f"Tag {result.tag}"):
            self.tag(registry, packed, result)
        return result

    # --- the steps -----------------------------------------------------------------------------------

    def find(self, checked: Checked) -> tuple[AkuaClient, Destination, Connections | None]:
        """The Akua package and its repository; the workspace's registry connections, when Akua is to read a
        version this run registers."""
        from akua_publish.release.readability import check_connections

        options = self.options
        akua = self.akua()
        found = self.destination(checked.name, checked.semver)
        if found.registered:
            self.trail.registered = f"{checked.semver} as {found.repository.oci_ref(found.registered.ref)}"
        watch = options.policy.readability_check is not CheckMode.OFF and found.registered is None
        return akua, found, check_connections(akua, found.repository, self.reporter) if watch else None

    def akua(self) -> AkuaClient:
        """The batch's client, else one of this run's own (sending nothing until it is used)."""
        from akua_publish.clients.akua_api import AkuaClient

        if self.shared is not None:
            return self.shared.akua
        if self._akua is None:
            options = self.options
            self._akua = self._clients.enter_context(AkuaClient(options.akua.api_url, options.akua.token,
                                                                options.akua.workspace, self.policy,
                                                                options.ca_bundle))
        return self._akua

    def destination(self, name: str, semver: str) -> Destination:
        """The Akua package and its versions, asked once a run (the batch's list of packages, when it has one)."""
        from akua_publish.release.destination import destination

        if (name, semver) not in self._found:
            self._found[name, semver] = destination(
                self.options.package, self.options.ci, self.akua(), name, semver, dry_run=self.options.policy.dry_run,
                reporter=self.reporter, known=self.shared.packages if self.shared is not None else None)
        return self._found[name, semver]

    def unchanged(self) -> PublishResult | None:
        """A version Akua has, compared by its content alone: nothing of it is published again, so the schema
        export, the contract and the readability check are left out. None when Akua does not have it, when the
        registry does not hold it as Akua does, or when the run signs (the full run then checks and repairs)."""
        from akua_publish.package.loader import load_package
        from akua_publish.release.register import already_published

        options, signing, wanted = self.options, self.options.signing, self.options.package
        package = load_package(wanted.path, wanted.shown)
        declared = package.version if wanted.version_from_package else wanted.version
        names = (package.name, wanted.package_name)
        if resolve_semver(declared, options.ci.ref, wanted.tag_pattern, names=names) != package.version:
            return None  # the full run says how the tag and akua.toml differ
        if not options.policy.dry_run and signing.mode is not SignMode.NEVER and \
                (signing.key or package.manifest.signing_key or signing.mode is SignMode.ALWAYS):
            self.reporter.info("This run signs: the package is checked in full, and a signature the registry lost is "
                               "put back.")
            return None
        found = self.destination(package.name, package.version)
        registered = found.registered
        if registered is None:
            return None
        vendoring = self._vendored = self.vendor(package)
        registry, held = self._looked = self.look(package, package.version, found, vendoring)
        if held is None or held.present is None or (options.policy.dry_run and not held.present.tagged):
            return None
        schema = registered.input_schema if isinstance(registered.input_schema, dict) else {}
        result = PublishResult(
            status=Status.ALREADY_PUBLISHED, package_id=found.package_id, package_name=package.name,
            semver=package.version, tag=oci_tag(package.version), digest=held.digest,
            oci_ref=found.repository.oci_ref(held.digest), schema_origin="Akua's record of the version",
            input_schema=schema, dependencies=vendoring.dependencies,
            contract=Contract(note="not compared: the version is unchanged"), layer_digest=held.layer_digest)
        if options.policy.dry_run:
            return already_published(result, registered, self.reporter)
        return self.already_published(registry, held, result, registered)

    def compare_contract(self, checked: Checked, akua: AkuaClient, found: Destination) -> Contract:
        from akua_publish.contract.check import input_contract

        return input_contract(self.options.policy.contract_check, akua, found.package_id, found.versions,
                              schema=checked.schema, semver=checked.semver, reporter=self.reporter)

    def check_readable(self, registry: RegistryClient, found: Destination, connections: Connections,
                       digest: str) -> None:
        """Whether Akua will read what was pushed, read as Akua reads it."""
        from akua_publish.clients.anonymous_read import anonymous_read
        from akua_publish.reference import akua_reads_plain_http
        from akua_publish.release.readability import Fixes, check_readable

        options, repository, plain = self.options, found.repository, registry.plain_http
        akua_plain = akua_reads_plain_http(repository.host)
        check_readable(options.policy.readability_check, connections, repository=repository, digest=digest,
                       anonymous_read=lambda: anonymous_read(repository, digest, plain and akua_plain, self.policy,
                                                             options.ca_bundle),
                       fixes=Fixes(options.akua.api_url, options.akua.workspace, options.ci),
                       reporter=self.reporter, over_https=plain and not akua_plain)

    def register(self, akua: AkuaClient, registry: RegistryClient, found: Destination, packed: Packed,
                 result: PublishResult) -> PublishResult:
        """The one POST (or the import that creates the package with it); another run's digest of this very
        content, when it got there first, is this version."""
        from akua_publish.release.content import holds_content
        from akua_publish.release.register import import_version, register

        def same_content(ref: str) -> bool:
            stored = registry.manifest(ref)
            return stored is not None and packed.content is not None and \
                holds_content(registry, stored, packed.content, self.reporter)

        options = self.options
        if not found.package_id:
            return import_version(akua, result, repository=found.repository, workspace=options.akua.workspace,
                                  display_image_url=options.package.display_image_url,
                                  compatibility=options.package.compatibility, reporter=self.reporter,
                                  same_content=same_content)
        return register(akua, options.package.compatibility, result, self.reporter, same_content)

    def dry_run(self, checked: Checked, found: Destination, result: PublishResult) -> PublishResult:
        from akua_publish.release.register import warn_of_conflict
        from akua_publish.signing.sign import planned_sidecars

        if checked.key:  # signed now, so that a key that cannot sign fails the dry run as it would the real one
            sidecars = planned_sidecars(checked.key, str(found.repository), result.digest, result.tag,
                                        lock=checked.lock, build=self.options.ci, attest=self.options.signing.attest)
            self.reporter.info("A real run signs the artifact: " + ", ".join(s.tag for s in sidecars) + ".")
        warn_of_conflict(found.registered, result, self.reporter)
        self.reporter.info("Dry run: nothing was pushed to the registry and nothing was registered in Akua.")
        return result
