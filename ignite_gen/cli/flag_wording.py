"""The command line's words for the library's: an error that names a Python argument
(``device=cuda:3``) is printed with the option that sets it (``--device cuda:3``)."""

from __future__ import annotations

import re

__all__ = ["OPTIONS", "flag_words"]

#: A Python argument the library's errors name -> the ``ignite-gen`` option that sets it.
OPTIONS = {
    "device": "--device",
    "num_replicas": "--nproc-per-node",
    "nproc_per_node": "--nproc-per-node",
    "out": "--out",
    "root": "--data-root",
    "n": "-n",
    "per_class": "--per-class",
}

# A word of its own (at the start or after a space), then "=" and the value if any.
_ARGUMENT = re.compile(r"(?<!\S)(" + "|".join(OPTIONS) + r")=(\S?)")


def flag_words(message: str) -> str:
    """``message`` with each ``NAME=VALUE`` of :data:`OPTIONS` written as the option
    and its value, and a bare ``NAME=`` as the option alone; not inside parentheses,
    where a message shows a Python signature (``sample_noise(n, device=None)``).

    Example:
        >>> flag_words("saved by 2 processes; resume with nproc_per_node=2 or another out=")
        'saved by 2 processes; resume with --nproc-per-node 2 or another --out'
    """

    def option(match: re.Match[str]) -> str:
        before = message[: match.start()]
        if before.count("(") > before.count(")"):
            return match.group()
        name, value = match.groups()
        return f"{OPTIONS[name]} {value}" if value else OPTIONS[name]

    return _ARGUMENT.sub(option, message)
