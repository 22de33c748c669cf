"""Entry point of the akua-publish container action (with arguments: the command line, as in
``docker run ghcr.io/<owner>/akua-publish --help``)."""

import sys

if __name__ == "__main__":
    if len(sys.argv) > 1:
        from akua_publish.cli import main as cli

        sys.exit(cli())
    from akua_publish.main import main

    sys.exit(main())
