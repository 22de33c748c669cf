"""Entry point of the akua-publish container action (with arguments: the command line, as in
``docker run ghcr.io/<owner>/akua-publish --help``)."""

import sys

if __name__ == "__main__":
    from akua_publish.frontends.cli.command import run
    from akua_publish.frontends.process import begin, finish

    if len(sys.argv) > 1:
        run()
    from akua_publish.frontends.github.action import main

    begin()
    finish(main())
