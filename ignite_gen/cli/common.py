"""Which options a command line gave, apart from defaults: a resumed run takes the
settings of the others from its snapshot."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

__all__ = ["GivenOptions"]

_UNSET = object()

if TYPE_CHECKING:
    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # generic for type checkers only
    _SubParsers = argparse._SubParsersAction


class GivenOptions(_SubParsers):
    """Sub-commands that record in the parsed namespace, as ``given``, the names of the
    settings that the sub-command's options set on the command line.

    Example:
        >>> methods = parser.add_subparsers(dest="method", action=GivenOptions)
        >>> _ = methods.add_parser("gan").add_argument("--lr", type=float, default=2e-4)
        >>> parser.parse_args(["gan", "--lr", "1e-3"]).given
        frozenset({'lr'})
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        super().__call__(parser, namespace, values, option_string)
        name, *arguments = cast(Sequence[str], values)
        subparser = self._name_parser_map[name]
        defaults, _ = subparser.parse_known_args([])
        # argparse fills in a default only where the namespace lacks the name, so a
        # value preset for every setting stays wherever no option replaced it.
        probe = argparse.Namespace(**dict.fromkeys(vars(defaults), _UNSET))
        subparser.parse_known_args(arguments, probe)
        namespace.given = frozenset(key for key, set_ in vars(probe).items() if set_ is not _UNSET)
