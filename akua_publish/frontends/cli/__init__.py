"""The command line front end (``akua-publish``, ``python -m akua_publish``): argparse builds the options
from the inputs table; the log is plain text; ``--json`` prints the outputs. It may import anything of the
library, as every front end may.
"""
