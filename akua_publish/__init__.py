"""akua-publish: publish an Akua package version from CI, or from Python.

The one entry point is ``publish(options, reporter) -> PublishResult``::

    from pathlib import Path
    from akua_publish import AkuaOptions, LogReporter, Options, PackageOptions, publish

    result = publish(Options(akua=AkuaOptions(token=token), package=PackageOptions(path=Path("charts/hello"),
                     version="1.2.3")), LogReporter())
    print(result.status, result.digest)

A failure raises a ``PublishError`` (its ``exit_code`` says whether a re-run may
help); the GitHub Action and the command line are front ends of this call
(``akua_publish.frontends``). What each subpackage owns is said in its
``__init__``: ``package``, ``schema``, ``contract``, ``deps``, ``signing`` and
``release`` (the domains), ``clients`` (the outside parties), ``pipeline``
(the steps), ``frontends``.
"""

from akua_publish.about import __version__
from akua_publish.errors import PublishError, RetryableError
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
from akua_publish.pipeline import publish
from akua_publish.progress import Meter, Reading, no_progress
from akua_publish.reporter import LogReporter, Reporter
from akua_publish.result import Contract, ContractStatus, PublishResult, Signatures, Status, VendoredDependency

__all__ = [
    "AkuaOptions", "CheckMode", "CiContext", "Contract", "ContractStatus", "DependencyOptions", "LimitOptions",
    "LogReporter", "Meter", "Options", "PackageOptions", "PolicyOptions", "PublishError", "PublishResult",
    "Reading", "RegistryOptions", "Reporter", "RetryableError", "SignMode", "Signatures", "SigningOptions",
    "Status", "UnpackLimits", "VendoredDependency", "__version__", "no_progress", "publish",
]
