"""The release of akua-publish, the one place it is written (the release workflow checks it)."""

__version__ = "2.0.0"
USER_AGENT = f"akua-publish/{__version__} (python-requests)"
