"""``python -m akua_publish``: the command line."""

import sys

from akua_publish.cli import main

sys.exit(main())
