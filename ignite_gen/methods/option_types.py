"""Argument types of the ``ignite-gen`` parsers: a bad value fails while parsing, with
argparse's one line that names the option (``argument --nrow: ...``), before any file
is read or written."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

import torch

from ..errors import UserError
from ..metrics.quality import MAX_REFERENCE, check_sample_count

__all__ = [
    "at_least",
    "between",
    "decay_rate",
    "device",
    "device_or_auto",
    "even",
    "finite",
    "fraction",
    "positive",
    "probability",
    "random_seed",
    "sample_count",
    "sample_count_or_off",
]


def at_least(low: float, kind: type = int) -> Callable[[str], float]:
    """A type for numbers ``>= low``, parsed as ``kind`` (``int`` or ``float``); NaN and
    infinities are refused.

    Example:
        >>> _ = parser.add_argument("--nrow", type=at_least(1), default=8)
    """
    return _ranged(kind, lambda value: value >= low, f"at least {low:g}")


def positive(text: str) -> float:
    """A type for finite floats ``> 0``: weights, margins, bounds.

    Example:
        >>> _ = parser.add_argument("--clip", type=positive, default=0.01)
    """
    return _ranged(float, lambda value: value > 0, "greater than 0")(text)


def _ranged(kind: type, inside: Callable[[float], bool], wanted: str) -> Callable[[str], float]:
    """A type for finite ``kind`` numbers that ``inside`` accepts; ``wanted`` says which,
    as the message puts it ("at least 1", "in (0, 1)"; empty: any finite number)."""

    def parse(text: str) -> float:
        try:
            value: float = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {_NOUNS[kind]}") from None
        # "nan" and "inf" parse as floats (so does "1e400", as inf), and NaN compares
        # false with every bound: it is refused for what it is, not as out of range.
        # (Python ints are always finite, and too long for math.isfinite past 1e308.)
        if isinstance(value, float) and not math.isfinite(value):
            tail = f"; it must be {wanted}" if wanted else ""
            raise argparse.ArgumentTypeError(f"{text} is not a finite number{tail}")
        if not inside(value):
            raise argparse.ArgumentTypeError(f"{text} is out of range: it must be {wanted}")
        return value

    return parse


_NOUNS = {int: "a whole number", float: "a number"}


def between(low: int, high: int) -> Callable[[str], int]:
    """A type for whole numbers from ``low`` to ``high``: a count a user gives (images,
    steps, draws), bounded so that the work it asks for fits in memory.

    Example:
        >>> _ = parser.add_argument("-n", "--num", type=between(1, 4096), default=64)
    """

    check = _ranged(int, lambda value: low <= value <= high, f"{low} to {high}")

    def parse(text: str) -> int:
        return int(check(text))

    return parse


def even(text: str) -> int:
    """A type for even whole numbers of at least 2: the hidden size of a bidirectional
    encoder, which gives half of it to each direction.

    Example:
        >>> _ = parser.add_argument("--hidden", type=even, default=256)
    """
    return int(
        _ranged(int, lambda value: value >= 2 and value % 2 == 0, "even and at least 2")(text)
    )


def finite(text: str) -> float:
    """A type for any finite float: targets, offsets.

    Example:
        >>> _ = parser.add_argument("--a", type=finite, default=-1.0)
    """
    return _ranged(float, math.isfinite, "")(text)


def fraction(text: str) -> float:
    """A type for numbers in ``[0, 1)``: Adam's betas, dropout, label smoothing.

    Example:
        >>> _ = parser.add_argument("--beta1", type=fraction, default=0.5)
    """
    return _ranged(float, lambda value: 0 <= value < 1, "in [0, 1)")(text)


def probability(text: str) -> float:
    """A type for numbers in ``[0, 1]``: probabilities, ratios.

    Example:
        >>> _ = parser.add_argument("--teacher-forcing", type=probability, default=0.5)
    """
    return _ranged(float, lambda value: 0 <= value <= 1, "in [0, 1]")(text)


def decay_rate(text: str) -> float:
    """A type for numbers in ``(0, 1)``: the decay of a moving average, which 0 would
    turn into a copy and 1 would never move (what
    :class:`~ignite_gen.updaters.ExponentialMovingAverage` accepts).

    Example:
        >>> _ = parser.add_argument("--ema-decay", type=decay_rate, default=None)
    """
    return _ranged(float, lambda value: 0 < value < 1, "in (0, 1)")(text)


def random_seed(text: str) -> int:
    """A type for ``--seed``: 0 to 2**32 - 1, the range every seeded generator (NumPy's
    too) takes; torch's overflows past 2**64.

    Example:
        >>> _ = parser.add_argument("--seed", type=random_seed, default=0)
    """
    return int(_ranged(int, lambda value: 0 <= value < 2**32, "0 to 2**32 - 1")(text))


def _scorable(n: float) -> bool:
    try:
        check_sample_count(int(n))
    except UserError:
        return False
    return True


# What check_sample_count accepts, in the words of the options that feed it.
_SCORABLE = f"2 to {MAX_REFERENCE} (one real MNIST image of the bundled subset per sample)"


def sample_count(text: str) -> int:
    """A type for the number of samples the quality metrics score (2 to 5000).

    Example:
        >>> _ = parser.add_argument("-n", "--num", type=sample_count)
    """
    return int(_ranged(int, _scorable, _SCORABLE)(text))


def sample_count_or_off(text: str) -> int:
    """A type for ``--metric-samples``: 0 (no metrics) or a :func:`sample_count`.

    Example:
        >>> _ = parser.add_argument("--metric-samples", type=sample_count_or_off, default=1000)
    """
    return int(_ranged(int, lambda n: n == 0 or _scorable(n), f"0 (off) or {_SCORABLE}")(text))


def device(text: str) -> str:
    """A type for ``--device``: a torch device name that works on this machine.

    A tensor is made on the device to find out, so a missing GPU or driver is caught
    here rather than by the first model moved there.

    Example:
        >>> _ = parser.add_argument("--device", type=device, default="cpu")
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
