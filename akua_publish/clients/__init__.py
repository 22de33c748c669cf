"""The outside parties, one adapter each: HTTP sessions with timeouts and TLS trust (``http``), the retry
policy (``retry``), Akua's API and its typed answers (``akua_api``, ``akua_types``), and the OCI registry
(``registry``, the only module that imports oras, over ``registry_transport``, which decides where
registry credentials may go, reading the answers with ``registry_answers``; ``anonymous_read``, the one
read made without any).

May import the base modules only: a client knows nothing of packages, schemas or signatures.
"""
