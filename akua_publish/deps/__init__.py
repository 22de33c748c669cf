"""Dependencies, vendored into the artifact as Akua's publish vendors them, but failing closed: which ones
and from where (``vendor``), OCI charts (``oci``) and git trees (``git``, whose names ``git_paths`` checks),
chart archives unpacked within limits (``tree``), and the credentials of their hosts (``credentials``).

May import the base modules, ``clients`` and ``package``.
"""
