"""The ``ignite-gen`` command: train, inspect, sample, montage, evaluate, predict, translate.

User mistakes (bad paths, corrupt snapshots, a busy output directory, a NaN loss) end
with one ``ignite-gen: error: ...`` line and exit status 2, never a traceback; so does
an ``OSError`` no command turned into such a line (a full disk, a read-only path).
Ctrl-C (SIGINT) and SIGTERM end with one ``ignite-gen: interrupted; ...`` line and
status 130 or 143.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import NoReturn, cast

from ..distributed import under_torchrun
from ..errors import UserError
from . import evaluate, inspect, montage, predict, sample, train, translate
from .flag_wording import flag_words

__all__ = ["build_parser", "describe_os_error", "main"]


class _OneLineErrors(argparse.ArgumentParser):
    # argparse prints the whole usage before an error; one line that points at --help
    # is what every other mistake in ignite-gen gets. Sub-parsers inherit the class.
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"ignite-gen: error: {message} (see '{self.prog} --help')\n")


def _chosen_command(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The parser of the deepest sub-command in ``args``: ``ignite-gen train gan``'s."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None)
            if name in action.choices:
                return _chosen_command(action.choices[name], args)
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """``parser.parse_args(argv)``, except that an unknown option is reported by the
    sub-command it follows, whose --help lists the options there are (argparse reports
    it from the top, pointing to 'ignite-gen --help', which lists none of them)."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _chosen_command(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``ignite-gen`` with all sub-commands."""
    parser = _OneLineErrors(
        prog="ignite-gen",
        description="Train generative models with Chainer-style trainers on PyTorch-Ignite, "
        "then inspect and sample the snapshots they leave.",
        epilog="Run 'ignite-gen COMMAND --help' for the options of each command.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"ignite-gen {__version__}")
    # Typed as plain parsers, which the sub-parsers are to every add_parser.
    commands = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", metavar="COMMAND", required=True),
    )
    train.add_parser(commands)
    inspect.add_parser(commands)
    sample.add_parser(commands)
    montage.add_parser(commands)
    evaluate.add_parser(commands)
    predict.add_parser(commands)
    translate.add_parser(commands)
    return parser


def describe_os_error(error: OSError) -> str:
    """One line for an ``OSError``: the file when the error names one, the system's
    reason, and what to do.

    Example:
        >>> print(describe_os_error(OSError(errno.EROFS, "Read-only file system", "/mnt")))
        /mnt: Read-only file system; fix that and run the command again (--resume continues a run)
    """
    reason = error.strerror or str(error)
    where = f"{error.filename}: " if error.filename is not None else ""
    return f"{where}{reason}; fix that and run the command again (--resume continues a run)"


def _one_line_warning(message: Warning | str, *args: object, **kwargs: object) -> str:
    # Python's default format adds the source line that warned, a second line that
    # tells a user nothing (a skipped damaged snapshot, a loader that cannot resume).
    return f"ignite-gen: warning: {message}\n"


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, as Python raises KeyboardInterrupt on SIGINT."""


def _raise_terminated(signum: int, frame: FrameType | None) -> NoReturn:
    raise _Terminated


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (``kill PID``, a batch system's stop) interrupts the command as Ctrl-C
    does: the write under way is undone, the run lock freed, the processes it started
    stopped. Torchrun's processes keep the default: torchrun stops them with SIGTERM
    when another fails, and reports that itself. Only the main thread may set it."""
    if under_torchrun() or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ignite-gen`` console script."""
    parser = build_parser()
    args = _parse(parser, argv)
    # Only the format changes, so warnings recorded by a caller (pytest) stay recorded.
    default_format, warnings.formatwarning = warnings.formatwarning, _one_line_warning
    try:
        with _sigterm_interrupts():
            args.handler(args)
    except UserError as error:
        # The library names Python arguments; a user of the command line knows options.
        print(f"ignite-gen: error: {flag_words(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        print(
            "ignite-gen: interrupted; continue with the same command and --resume", file=sys.stderr
        )
        return 128 + (signal.SIGTERM if isinstance(stop, _Terminated) else signal.SIGINT)
    except BrokenPipeError:
        # The reader went away (`ignite-gen inspect DIR | head`): stop quietly, and keep
        # Python from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:
        # The machine's answer (a full disk, a path that cannot be made), not a bug.
        print(f"ignite-gen: error: {describe_os_error(error)}", file=sys.stderr)
        return 2
    finally:
        warnings.formatwarning = default_format
    return 0


if __name__ == "__main__":
    sys.exit(main())
