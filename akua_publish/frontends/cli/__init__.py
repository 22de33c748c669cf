"""The command line front end (``akua-publish``, ``python -m akua_publish``): argparse builds the options
from the inputs table; the log is plain text; ``--json`` prints the outputs."""
