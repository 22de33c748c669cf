"""The two front ends, ``github`` (the Action) and ``cli`` (the command line), and what they share: the
inputs table (``inputs``), the words they name settings with (``vocabulary``), the options built from
the table's texts (``settings``), the CI context (``ci``), the plain log (``log``), the run and its
failures (``run``, ``rendering``), and the process (``process``).

Front ends import anything; nothing imports them. They alone know about GitHub, environment
variables, exit codes and the process.
"""
