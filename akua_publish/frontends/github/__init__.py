"""The GitHub Action front end: ``INPUT_*`` build the options; workflow commands, step outputs and the
job summary render the run (plain text when it runs off a runner). It may import anything of the
library, as every front end may.
"""
