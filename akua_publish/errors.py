"""Every failure a user can hit, as its own type.

Each error carries what went wrong (``message``), how to fix it (``hint``) and,
where a file is at fault, which one: plain text in the library's own words (the
options named as their Python attributes, ``LimitOptions.deadline``), for code
that calls the library. The same texts with their terms (``wording``) are what
the front ends render in theirs (an input of the Action, a flag of the command
line), as annotations and an exit code; nothing else decides exit codes.
An error never changes after it is raised: one that adds to another wraps it
(``raise ... from``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from akua_publish.wording import SETTING_NOUN, library_words, render

EXIT_OK = 0
EXIT_USER = 1  # the user must change an input, a file or a setting
EXIT_RETRY = 75  # EX_TEMPFAIL: a service failed; re-running the job may succeed
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in akua-publish itself


@dataclass(frozen=True)
class Wording:
    """An error's title, message and hint, with the terms each front end renders in its own words."""

    title: str
    message: str
    hint: str


class PublishError(Exception):
    """Base of all expected failures; never shown with a traceback."""

    title: ClassVar[str] = "akua-publish failed"
    title_terms: ClassVar[str] = ""  # the title with terms, where it names a setting
    exit_code = EXIT_USER

    def __init__(self, message: str, hint: str = "", *, file: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(render(message, library_words))
        self.wording = Wording(self.title_terms or self.title, message, hint)
        self.message = render(message, library_words)
        self.hint = render(hint, library_words)
        self.file = file
        self.line = line


class RetryableError(PublishError):
    """A failure of a service rather than of the input: worth a re-run.

    ``retry_after`` is the wait the service asked for (``Retry-After``), if any.
    """

    exit_code = EXIT_RETRY

    def __init__(self, message: str, hint: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class PushedNotRegisteredError(RetryableError):
    """A service failed after the artifact was pushed: the cause's words, and that a re-run finishes the job."""

    def __init__(self, cause: RetryableError, oci_ref: str) -> None:
        self.title = cause.title  # type: ignore[misc]  # the cause's, on this one error
        super().__init__(cause.wording.message, f"{cause.wording.hint} The artifact is already in the registry "
                         f"({oci_ref}, untagged until Akua registers it); re-running the job will find it there and "
                         "finish the registration.", retry_after=cause.retry_after)


class RegisteredNotTaggedError(RetryableError):
    """Akua registered the version, then the registry failed to take its tag: a re-run puts the tag on."""

    def __init__(self, cause: RetryableError, semver: str, oci_ref: str) -> None:
        self.title = cause.title  # type: ignore[misc]  # the cause's, on this one error
        super().__init__(f"Akua registered {semver} as {oci_ref}, but the registry failed to tag it: "
                         f"{cause.wording.message}", f"{cause.wording.hint} Re-running the job finds the version in "
                         "Akua and tags it.", retry_after=cause.retry_after)


class DeadlineError(RetryableError):
    title = "Deadline reached"


class InputError(PublishError):
    title = "Invalid option"
    title_terms = f"Invalid {SETTING_NOUN}"


class VersionError(PublishError):
    title = "Version cannot be derived or does not match"


class PackageError(PublishError):
    title = "Invalid Akua package"


class ProblemsError(PackageError):
    """A file of the package with several problems at once: one annotation each (``problems``: text and line),
    each prefixed with ``intro``, where the tool it imitates would stop at the first."""

    def __init__(self, file: str, intro: str, problems: list[tuple[str, int | None]], hint: str) -> None:
        super().__init__(f"{intro}: " + "; ".join(text for text, _ in problems) + ".", hint, file=file,
                         line=problems[0][1])
        self.intro = intro
        self.problems = problems


class AkuaTomlError(ProblemsError):
    """Every problem Akua's manifest parser would find in akua.toml."""

    title = "Invalid akua.toml"

    def __init__(self, file: str, problems: list[tuple[str, int | None]], hint: str) -> None:
        super().__init__(file, f"{file} would be refused by Akua", problems, hint)


class PackageKSyntaxError(ProblemsError):
    """package.k does not parse: every error Akua's KCL parser reports."""

    title = "package.k does not parse"

    def __init__(self, file: str, problems: list[tuple[str, int | None]], hint: str) -> None:
        super().__init__(file, f"{file} does not parse (Akua's `check` refuses it, and it cannot render)", problems,
                         hint)


class LockFileError(PackageError):
    title = "Invalid akua.lock"


class DependencyError(PublishError):
    title = "Dependency cannot be vendored"


class UnpackDeadlineError(PublishError):
    """The deadline passed while a dependency was unpacked: not a service's fault, so not worth a plain re-run."""

    title = "Deadline reached while unpacking a dependency"


class DependencyUnavailableError(RetryableError):
    title = "Dependency source unavailable"


class PrivateKeyError(PackageError):
    title = "Private key in the package"


class ContractBreakError(PublishError):
    title = "Breaking change to the input contract"


class SigningKeyError(PublishError):
    title = "Signing key unusable"


class NoSigningKeyError(PublishError):
    title = "No signing key"


class PackingError(PackageError):
    title = "Cannot pack the package"


class SchemaError(PublishError):
    title = "Invalid input schema"


class KclExportError(PublishError):
    title = "Cannot export the input schema from package.k"


class SchemaDriftError(PublishError):
    title = "Exported schema is stale"


class RequestBodyError(PublishError):
    title = "Version request would be rejected by Akua"


class AkuaAuthError(PublishError):
    title = "Akua rejected the credentials"


class AkuaNotFoundError(PublishError):
    title = "Akua package not found"


class AkuaRejectedError(PublishError):
    title = "Akua rejected the version"


class UnreadableArtifactError(PublishError):
    """Pushed, but neither public nor covered by an active registry connection: Akua would refuse it."""

    title = "Akua cannot read the artifact"


class AkuaUnavailableError(RetryableError):
    title = "Akua API unavailable"


class VersionConflictError(PublishError):
    title = "Version already registered with another digest"


class PackageLookupError(PublishError):
    title = "Package name is ambiguous in Akua"


class HostedPackageError(PublishError):
    title = "Package is not OCI-backed"


class RepositoryMismatchError(PublishError):
    title = "Repository differs from the package's"


class TagConflictError(PublishError):
    title = "OCI tag already holds another artifact"


class RegistryAuthError(PublishError):
    title = "Registry rejected the credentials"


class RegistryRejectedError(PublishError):
    title = "Registry rejected the upload"


class RegistryContentError(PublishError):
    """The registry served a blob whose bytes do not hash to its digest."""

    title = "Registry served corrupt content"


class RegistryLostError(PublishError):
    """Akua registered a digest the registry no longer holds (deleted between the registration and the tag)."""

    title = "Registry lost the registered artifact"


class RegistryUnavailableError(RetryableError):
    title = "Registry unavailable"


class RegistryTlsError(PublishError):
    title = "Registry TLS connection failed"


class RegistryProtocolError(PublishError):
    title = "Registry protocol mismatch"


class AkuaTlsError(PublishError):
    title = "Akua API TLS connection failed"


class CredentialsWithheldError(PublishError):
    title = "Registry credentials withheld"


class OrasContractError(PublishError):
    """oras made a request outside the registry client's transport: an oras release changed what
    ``clients/registry.py`` relies on (a bug to report, exit 70)."""

    title = "akua-publish internal error"
    exit_code = EXIT_INTERNAL
