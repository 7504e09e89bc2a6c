"""Argument types of the ``ignite-gen`` parsers: a bad value fails while parsing, with
argparse's one line that names the option (``argument --nrow: ...``), before any file
is read or written."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

import torch

from .errors import UserError
from .metrics.quality import check_sample_count

__all__ = ["at_least", "device", "device_or_auto", "fraction", "positive", "sample_count"]


def at_least(low: float, kind: type = int) -> Callable[[str], float]:
    """A type for numbers ``>= low``, parsed as ``kind`` (``int`` or ``float``); NaN and
    infinities are refused.

    Example:
        >>> parser.add_argument("--nrow", type=at_least(1), default=8)
    """
    return _bounded(low, kind, strict=False)


def positive(text: str) -> float:
    """A type for floats ``> 0``: weights, margins, bounds.

    Example:
        >>> parser.add_argument("--clip", type=positive, default=0.01)
    """
    return _bounded(0.0, float, strict=True)(text)


def _bounded(low: float, kind: type, strict: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value: float = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {_NOUNS[kind]}") from None
        if not math.isfinite(value) or value < low or (strict and value == low):
            bound = f"greater than {low}" if strict else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: it must be {bound}")
        return value

    return parse


_NOUNS = {int: "a whole number", float: "a number"}


def fraction(text: str) -> float:
    """A type for numbers in ``[0, 1)``: Adam's betas, decay rates.

    Example:
        >>> parser.add_argument("--beta1", type=fraction, default=0.5)
    """
    value = at_least(0.0, float)(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"{text} is out of range: it must be in [0, 1)")
    return value


def sample_count(text: str) -> int:
    """A type for the number of samples the quality metrics score (2 to 5000).

    Example:
        >>> parser.add_argument("-n", "--num", type=sample_count)
    """
    value = int(at_least(2)(text))
    try:
        check_sample_count(value)
    except UserError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def device(text: str) -> str:
    """A type for ``--device``: a torch device name that works on this machine.

    A tensor is made on the device to find out, so a missing GPU or driver is caught
    here rather than by the first model moved there.

    Example:
        >>> parser.add_argument("--device", type=device, default="cpu")
    """
    try:
        parsed = torch.device(text)
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a device; use cpu, cuda or cuda:N"
        ) from None
    try:
        torch.empty(0, device=parsed)
    except (RuntimeError, AssertionError, NotImplementedError) as error:
        reason = str(error).split(". ")[0].splitlines()[0]
        raise argparse.ArgumentTypeError(
            f"{text} is not usable here ({reason}); use --device cpu"
        ) from None
    return text


def device_or_auto(text: str) -> str:
    """A type for ``ignite-gen train --device``: ``auto`` or a name torch parses.

    Whether the device exists is left to :func:`~ignite_gen.updaters.resolve_device`,
    whose error names ``--device cuda``.
    """
    if text != "auto":
        try:
            torch.device(text)
        except RuntimeError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a device; use auto, cpu, cuda or cuda:N"
            ) from None
    return text
