"""Command line: ``python -m mewo_core COMMAND …`` (demo-data, validate, evaluate, train, …).

``parser.py`` builds the arguments (``train``'s model options from the models' parameter
specs), ``commands.py`` holds one ``cmd_<name>`` function per command, ``output.py`` prints.
To add a command: one subparser in ``parser.build_parser`` and one ``cmd_<name>`` function.
A user error prints one line ``error: …`` and exits with status 2; never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import MewoError
from .parser import build_parser

EXIT_USER_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = build_parser().parse_args(argv)
    from . import commands

    try:
        return getattr(commands, "cmd_" + args.command.replace("-", "_"))(args)
    except MewoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


__all__ = ["EXIT_USER_ERROR", "main"]
