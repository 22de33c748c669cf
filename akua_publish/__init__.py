"""akua-publish: publish an Akua package version from CI, or from Python.

The one entry point is ``publish(options, reporter) -> PublishResult``::

    from pathlib import Path
    from akua_publish import AkuaOptions, LogReporter, Options, PackageOptions, publish

    result = publish(Options(akua=AkuaOptions(token=token), package=PackageOptions(path=Path("charts/hello"),
                     version="1.2.3")), LogReporter())
    print(result.status, result.digest)

A failure raises a ``PublishError``, one subclass per failure, each importable from
here: ``title``, ``message`` and ``hint`` in plain words (the options named as their
attributes, ``LimitOptions.deadline``), ``file`` and ``line`` where a file is at
fault, and ``exit_code`` (75 when a re-run may help); the GitHub Action and the command line are front ends of this call
(``akua_publish.frontends``). What each subpackage owns is said in its
``__init__``: ``package``, ``schema``, ``contract``, ``deps``, ``signing`` and
``release`` (the domains), ``clients`` (the outside parties), ``pipeline``
(the steps), ``frontends``.
"""

from akua_publish.about import __version__
from akua_publish.cancellation import Cancelled, RunCancelledError
from akua_publish.errors import (
    AkuaAuthError,
    AkuaNotFoundError,
    AkuaRejectedError,
    AkuaTlsError,
    AkuaTomlError,
    AkuaUnavailableError,
    ContractBreakError,
    CredentialsWithheldError,
    DeadlineError,
    DependencyError,
    DependencyUnavailableError,
    HostedPackageError,
    InputError,
    KclExportError,
    LockFileError,
    NoSigningKeyError,
    OrasContractError,
    PackageError,
    PackageKSyntaxError,
    PackageLookupError,
    PackingError,
    PrivateKeyError,
    ProblemsError,
    PublishError,
    PushedNotRegisteredError,
    RegisteredNotTaggedError,
    RegistryAuthError,
    RegistryContentError,
    RegistryLostError,
    RegistryProtocolError,
    RegistryRejectedError,
    RegistryTlsError,
    RegistryUnavailableError,
    RepositoryMismatchError,
    RequestBodyError,
    RetryableError,
    SchemaDriftError,
    SchemaError,
    SigningKeyError,
    TagConflictError,
    UnpackDeadlineError,
    UnreadableArtifactError,
    VersionConflictError,
    VersionError,
    Wording,
)
from akua_publish.options import (
    AkuaOptions,
    CheckMode,
    CiContext,
    DependencyOptions,
    LimitOptions,
    Options,
    PackageOptions,
    PolicyOptions,
    RegistryOptions,
    SigningOptions,
    SignMode,
    UnpackLimits,
)
from akua_publish.pipeline import Batch, MatrixEntry, Outcome, PackageRun, publish, publish_all
from akua_publish.progress import Meter, Reading, no_progress
from akua_publish.reporter import LogReporter, Reporter
from akua_publish.result import Contract, ContractStatus, PublishResult, Signatures, Status, VendoredDependency

__all__ = [  # every error a caller may catch among them (tests/integration/test_library.py)
    "AkuaAuthError",
    "AkuaNotFoundError",
    "AkuaOptions",
    "AkuaRejectedError",
    "AkuaTlsError",
    "AkuaTomlError",
    "AkuaUnavailableError",
    "Batch",
    "Cancelled",
    "CheckMode",
    "CiContext",
    "Contract",
    "ContractBreakError",
    "ContractStatus",
    "CredentialsWithheldError",
    "DeadlineError",
    "DependencyError",
    "DependencyOptions",
    "DependencyUnavailableError",
    "HostedPackageError",
    "InputError",
    "KclExportError",
    "LimitOptions",
    "LockFileError",
    "LogReporter",
    "MatrixEntry",
    "Meter",
    "NoSigningKeyError",
    "Options",
    "OrasContractError",
    "Outcome",
    "PackageError",
    "PackageKSyntaxError",
    "PackageLookupError",
    "PackageOptions",
    "PackageRun",
    "PackingError",
    "PolicyOptions",
    "PrivateKeyError",
    "ProblemsError",
    "PublishError",
    "PublishResult",
    "PushedNotRegisteredError",
    "Reading",
    "RegisteredNotTaggedError",
    "RegistryAuthError",
    "RegistryContentError",
    "RegistryLostError",
    "RegistryOptions",
    "RegistryProtocolError",
    "RegistryRejectedError",
    "RegistryTlsError",
    "RegistryUnavailableError",
    "Reporter",
    "RepositoryMismatchError",
    "RequestBodyError",
    "RetryableError",
    "RunCancelledError",
    "SchemaDriftError",
    "SchemaError",
    "SignMode",
    "Signatures",
    "SigningKeyError",
    "SigningOptions",
    "Status",
    "TagConflictError",
    "UnpackDeadlineError",
    "UnpackLimits",
    "UnreadableArtifactError",
    "VendoredDependency",
    "VersionConflictError",
    "VersionError",
    "Wording",
    "__version__",
    "no_progress",
    "publish",
    "publish_all",
]
