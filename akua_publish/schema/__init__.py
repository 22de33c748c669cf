"""The input schema: exported from ``package.k`` as Akua's exporter does (``kcl_export``, ``kcl_ast``), the
committed schema file and advice about it (``document``), which schema a version sends (``source``), and
Akua's API spec, its JSON file included (``spec``, ``openapi-packages.json``), with the version request body
checked against it (``version_body``).

May import the base modules and ``package``; kcl-lib and jsonschema load in the functions that use them.
"""
