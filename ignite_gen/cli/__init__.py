"""The ``ignite-gen`` command: train, inspect, sample, montage, evaluate, predict, translate.

User mistakes (bad paths, corrupt snapshots, a busy output directory, a NaN loss) end
with one ``ignite-gen: error: ...`` line and exit status 2, never a traceback; so does
an ``OSError`` no command turned into such a line (a full disk, a read-only path).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn, cast

from ..errors import UserError
from . import evaluate, inspect, montage, predict, sample, train, translate

__all__ = ["build_parser", "describe_os_error", "main"]


class _OneLineErrors(argparse.ArgumentParser):
    # argparse prints the whole usage before an error; one line that points at --help
    # is what every other mistake in ignite-gen gets. Sub-parsers inherit the class.
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"ignite-gen: error: {message} (see '{self.prog} --help')\n")


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ignite-gen`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Only the format changes, so warnings recorded by a caller (pytest) stay recorded.
    default_format, warnings.formatwarning = warnings.formatwarning, _one_line_warning
    try:
        args.handler(args)
    except UserError as error:
        print(f"ignite-gen: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "ignite-gen: interrupted; continue with the same command and --resume", file=sys.stderr
        )
        return 130
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
