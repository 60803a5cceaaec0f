"""Subcommands of the ``slqc`` CLI; each module defines ``add_parser(subparsers)``."""
