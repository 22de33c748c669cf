"""akua-publish: publish an Akua package version from CI."""

__version__ = "1.0.0"
USER_AGENT = f"akua-publish/{__version__} (GitHub Action; python-requests)"
