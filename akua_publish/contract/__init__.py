"""The input contract: this version's input schema against the previous version's, judged by the semver.

``diff`` and ``keywords`` compare two schemas (pure), ``policy`` chooses the baseline and
applies what the semver allows, ``check`` is the publish step. May import the base
modules, ``clients`` (Akua's typed answers) and ``schema``.
"""
