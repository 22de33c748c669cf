"""An emulator of Akua's package API for tests and the local demo.

It follows ``openapi-packages.json`` to the letter and verifies each version's
artifact in the registry as Akua does before recording it.
"""

from .server import Emulator
from .store import Grant, Store

__all__ = ["Emulator", "Grant", "Store"]
