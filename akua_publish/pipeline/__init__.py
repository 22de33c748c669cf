"""The publish, step by step: check locally, check Akua, vendor, pack, push, sign, register, tag.

Each step runs only when every earlier one passed, so a failure leaves nothing
half-done: nothing is pushed before every local and Akua-side check passed
(including whether Akua already has this semver, and with which artifact),
nothing is registered that was not pushed, and the tag names only what Akua
registered. ``local`` holds the checks made before anything leaves the machine,
``steps`` the sequence (with ``artifact_steps``), ``many`` a batch of packages
(``publish_all``), ``matrix`` a plan's entries for a CI's matrix; each
decision a step acts on is made in the domain module that owns it. Heavy libraries
load in the step that needs them (requests with the first request, oras with the
push, cryptography with a key, kcl-lib with the schema), so the first log line
comes before any.

May import the base modules, ``clients`` and the domains.
"""

from akua_publish.pipeline.many import Batch, Outcome, PackageRun, publish_all
from akua_publish.pipeline.matrix import MatrixEntry
from akua_publish.pipeline.steps import publish

__all__ = ["Batch", "MatrixEntry", "Outcome", "PackageRun", "publish", "publish_all"]
