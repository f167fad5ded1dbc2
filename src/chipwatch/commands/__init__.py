"""One module per command of the ``chipwatch`` command line.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Modules must import heavy libraries (Prefect, Dask, Great Expectations) inside ``run``
only, so that ``chipwatch scan`` and ``chipwatch --help`` start fast.
"""
