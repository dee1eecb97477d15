"""`motcua` console script: dispatches to one module per command group."""
from __future__ import annotations

import argparse
import sys
from typing import Callable, NoReturn, Sequence

from engine.services.errors import ServiceError

from . import (audit_commands, calendar_commands, citizen_commands, db_commands, incident_commands,
               outbox_commands, procedure_commands, report_commands, serve_commands, timer_commands,
               user_commands)
from . import demo_commands
from . import notification_commands
from . import payment_commands

# Command groups register themselves here; each adds a sub-parser and sets `func`.
GROUPS: list[Callable[[argparse._SubParsersAction], None]] = [
    audit_commands.register,
    calendar_commands.register,
    citizen_commands.register,
    db_commands.register,
    outbox_commands.register,
    notification_commands.register,
    payment_commands.register,
    procedure_commands.register,
    report_commands.register,
    timer_commands.register,
    user_commands.register,
    incident_commands.register,
    serve_commands.register,
    demo_commands.register,
]


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    """Bad arguments give one line on stderr and exit status 2 (no usage dump)."""

    def error(self, message: str) -> "NoReturn":
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="motcua", description="Motcua one-stop procedure engine")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND")
    sub.required = True
    for register in GROUPS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ServiceError as err:
        print(f"motcua: error: {err.detail}", file=sys.stderr)
        for field, problem in getattr(err, "problems", []):
            print(f"  {field}: {problem}", file=sys.stderr)
        return 1
    except (CommandError, ValueError, TypeError, LookupError, OSError) as err:
        print(f"motcua: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
