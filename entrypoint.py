"""Entry point of the akua-publish container action."""

import sys

from akua_publish.main import main

if __name__ == "__main__":
    sys.exit(main())
