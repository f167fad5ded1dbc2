"""The ``chipwatch`` command line: thin over the library.

Every command lives in ``chipwatch.commands.<name>``; this module finds them, parses the
arguments, and turns library errors into one clear line on stderr and an exit code
(1 for a chipwatch error, 2 for a usage error, 130 when interrupted, 143 when
terminated by SIGTERM).
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import signal
import sys
from types import ModuleType

from chipwatch import __version__
from chipwatch.errors import ChipwatchError

EXIT_ERROR = 1
EXIT_USAGE = 2


def _command_modules() -> list[ModuleType]:
    import chipwatch.commands as pkg

    mods = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"chipwatch.commands.{info.name}")
        if hasattr(mod, "run") and hasattr(mod, "NAME"):
            mods.append(mod)
    return mods


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chipwatch",
        description="Hardware signatures in public AI code, and the chips behind them.",
    )
    parser.add_argument("--version", action="version", version=f"chipwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    previous = _terminate_cleanly()
    try:
        return int(args._run(args) or 0)
    except ChipwatchError as exc:
        print(f"chipwatch {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"chipwatch {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"chipwatch {args.command}: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except BrokenPipeError:
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM, raised where the main thread is, like KeyboardInterrupt for SIGINT."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def _terminate_cleanly():
    """SIGTERM (a scheduler's timeout, `kill`) unwinds the command like Ctrl-C does, so
    what it started is stopped on the way out (the run's Prefect server, its Dask
    cluster): by default the process ends at once and leaves them running. Prefect's
    flow engine, which handles SIGTERM during a flow, hands it back to this handler."""
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave signals alone
        return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
