"""Signing like Akua's publish: the cosign key (``keys``), the ``.sig`` and ``.att`` sidecars in Akua's bytes
(``sidecars``), the SLSA provenance statement (``provenance``), and the publish step that finds the key and
makes the registry hold the sidecars (``sign``).

May import the base modules, ``clients`` and ``package``; cryptography loads only when there is a key.
"""
