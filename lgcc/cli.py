"""The ``lgcc`` command line: argparse subcommands discovered from ``lgcc.commands``.

Each module in ``lgcc/commands/`` defines ``NAME``, ``HELP`` (one line),
``EXAMPLES`` (shown under ``--help``), ``add_arguments(parser)`` and
``run(args) -> int``.  Exit codes: 0 ok, 1 the work failed (e.g. not
equivalent), 2 bad input or usage, always with a one-line ``lgcc: error:``
message; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import signal
import sys
import traceback
from collections.abc import Iterator

from lgcc import __version__
from lgcc.ir.errors import LgccError, WorkFailed

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a process killed by SIGPIPE


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"lgcc: error: {message} (see '{self.prog} --help')\n")
        sys.exit(EXIT_USAGE)


def _command_modules() -> list:
    import lgcc.commands as pkg

    mods = [importlib.import_module(f"lgcc.commands.{m.name}") for m in pkgutil.iter_modules(pkg.__path__)]
    return sorted((m for m in mods if hasattr(m, "NAME")), key=lambda m: m.NAME)


def build_parser() -> argparse.ArgumentParser:
    """The full parser (used by ``main`` and by the tests of ``--help``)."""
    parser = _Parser(prog="lgcc", description="lgcc: compile logic gate networks to C, CUDA and Verilog.",
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="Run 'lgcc COMMAND --help' for a command's options and examples.")
    parser.add_argument("--version", action="version", version=f"lgcc {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP,
                           epilog="examples:\n" + "\n".join(f"  {e}" for e in mod.EXAMPLES),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show full tracebacks on errors")
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run, _parser=p, _foreign=getattr(mod, "FOREIGN_OPTIONS", {}))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lgcc`` console script; returns the exit code."""
    if sys.stderr is None:  # started with stderr closed ('2>&-'): its progress and notes go nowhere, work goes on
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # reported by the subcommand's parser, so the hint names 'lgcc COMMAND --help'
        hints = [hint for flag, hint in getattr(args, "_foreign", {}).items() if flag in extra]
        getattr(args, "_parser", parser).error(f"unrecognized arguments: {' '.join(extra)}"
                                               + (f" (difflogic's {'; '.join(hints)})" if hints else ""))
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if sys.stdout is None:  # started with stdout closed ('>&-'): refused before any work, not after it
        sys.stderr.write("lgcc: error: standard output is closed; redirect it to a file or /dev/null\n")
        return EXIT_USAGE
    with _cleanup_on_sigterm():
        return _run(args)


@contextlib.contextmanager
def _cleanup_on_sigterm() -> Iterator[None]:
    """While a command runs, SIGTERM (kill, a timeout, a cancelled CI job) raises SystemExit.

    Python's default is to die at once, which left the temporary file of an
    atomic write (or a staging folder) behind; as an exception, every ``finally``
    that removes them runs.  The previous handler is restored afterwards.
    """
    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    """Run the chosen command; map its errors to one line and an exit code."""
    try:
        code = int(args._run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:  # 'lgcc dump ... | head': the reader has all it wants; no error message
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python exits
        return EXIT_BROKEN_PIPE
    except WorkFailed as exc:
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(f"lgcc: {args.command}: {_one_line(exc)}\n")
        return EXIT_FAILED
    except (LgccError, OSError, MemoryError) as exc:
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(f"lgcc: error: {_one_line(exc)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("lgcc: interrupted\n")
        return 130


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, MemoryError):  # numpy's text names only the array: say what it means
        return (f"out of memory ({str(exc).strip() or 'allocation failed'}): the input is larger than this "
                "machine can hold, or its header claims sizes it does not have")
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
