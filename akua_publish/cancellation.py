"""A run cut short by a signal (a cancelled job, ``docker stop``, Ctrl-C): what it leaves, and what it says.

The front ends own their process and turn SIGTERM and SIGINT into ``Cancelled``,
raised in the main thread wherever it is (a blocking read, packing, unpacking a
chart). It is a ``BaseException`` so that no ``except Exception`` on the way
swallows it, and every ``with`` and ``finally`` on the way out runs: the scratch
folder with the packed layer and the unpacked charts is removed. ``Trail`` is
what the run had done outside the machine by then, which is what the one line a
cancelled run prints must say; a re-run of the same version completes the publish
from whatever point it was cut at (``release.push``).
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from akua_publish.errors import PublishError

EXIT_SIGNAL_BASE = 128  # a process ended by signal N exits 128 + N, as shells report it


class Cancelled(BaseException):
    """SIGTERM or SIGINT arrived; raised by the front end's signal handler."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class RunCancelledError(PublishError):
    """The run was cancelled: what it had pushed or registered by then, and that a re-run completes it."""

    title = "Cancelled"

    def __init__(self, signum: int, done: str) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"The run was cancelled ({name}) and stopped; its scratch files were removed. {done}",
                         "Re-run the job: it finds what is already there and completes the publish.")
        self.exit_code = EXIT_SIGNAL_BASE + signum


@dataclass
class Trail:
    """What the run has done outside the machine so far, updated as each step starts and ends (mutable: the
    one record a signal may interrupt at any point)."""

    pushing: str = ""  # the oci_ref being pushed (by digest)
    pushed: bool = False
    registering: bool = False
    registered: str = ""  # "<semver> as <oci_ref>", once Akua has it
    tag: str = ""  # the tag being put on Akua's digest

    def said(self) -> str:
        if self.registered:
            return (f"Akua had registered {self.registered}; the tag {self.tag} may not name it yet."
                    if self.tag else f"Akua had registered {self.registered}.")
        if self.registering:
            return (f"{self.pushing} was pushed (untagged) and its registration in Akua was under way: Akua may "
                    "or may not have recorded it.")
        if self.pushed:
            return f"{self.pushing} was pushed (untagged); nothing was registered in Akua."
        if self.pushing:
            return (f"The push of {self.pushing} was under way: the registry may hold part of it, untagged; nothing "
                    "was registered in Akua.")
        return "Nothing was pushed or registered."
