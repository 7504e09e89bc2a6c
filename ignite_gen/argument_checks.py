"""Checks of Python API arguments that fail at the call that made the mistake.

Each check returns the value it accepted (normalised: ``numpy.int64(3)`` becomes ``3``)
or raises :class:`~ignite_gen.errors.ArgumentTypeError` (wrong type) or
:class:`~ignite_gen.errors.ArgumentError` (wrong value) with a one-line message that
names the argument, so a typo shows where it was made, not three layers later.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .errors import ArgumentError, ArgumentTypeError

__all__ = ["choice", "counted", "described", "instance", "integer", "real", "template"]

T = TypeVar("T")


def described(value: Any) -> str:
    """``value`` for an error message: its repr when short, else its type.

    Example:
        >>> described(None), described([1, 2]), described(object())
        ('None', '[1, 2] (list)', '<object object at 0x...> (object)')
    """
    if value is None or isinstance(value, (bool, numbers.Number, str)):
        return repr(value)
    shown = repr(value)
    kind = type(value).__name__
    if len(shown) <= 40 and "\n" not in shown:
        return f"{shown} ({kind})"
    return f"{'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind}"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun`` for a message: ``plural`` (default ``noun`` + "s") unless
    there is one.

    Example:
        >>> counted(1, "process", "processes"), counted(2, "process", "processes")
        ('1 process', '2 processes')
        >>> counted(3, "epoch")
        '3 epochs'
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def integer(value: Any, name: str, minimum: int | None = 1) -> int:
    """``value`` as an int if it is an integer (not a bool) of at least ``minimum``
    (``None``: any integer).

    Example:
        >>> integer(5, "n_dis")
        5
        >>> integer(0, "n_dis")
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentError: n_dis must be at least 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be an integer, got {described(value)}")
    if minimum is not None and value < minimum:
        raise ArgumentError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def real(value: Any, name: str, condition: Callable[[float], bool], wanted: str) -> float:
    """``value`` as a float if it is a finite real number (not a bool) meeting ``condition``.

    ``wanted`` says what ``condition`` asks for, as the message puts it; NaN and the
    infinities are refused as not finite, whatever ``condition`` would say of them.

    Example:
        >>> real(0.999, "ema_decay", lambda v: 0 < v < 1, "in (0, 1)")
        0.999
        >>> real(1.0, "ema_decay", lambda v: 0 < v < 1, "in (0, 1)")
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentError: ema_decay must be in (0, 1), got 1.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a number ({wanted}), got {described(value)}")
    number = float(value)
    if not math.isfinite(number):
        # "must be positive, got inf" would be false: say what is wrong with it.
        raise ArgumentError(f"{name} is {number!r}, not a finite number; it must be {wanted}")
    if not condition(number):
        raise ArgumentError(f"{name} must be {wanted}, got {number!r}")
    return number


def choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``.

    Example:
        >>> choice("bf16", "precision", ("fp32", "bf16", "fp16"))
        'bf16'
    """
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        raise ArgumentError(f"{name} must be one of {sorted(options)}, got {described(value)}")
    return value


def instance(value: T, kind: type | tuple[type, ...], name: str, wanted: str, hint: str = "") -> T:
    """``value`` if it is an instance of ``kind``; ``wanted`` names the kind for people.

    Example:
        >>> instance(None, torch.optim.Optimizer, "opt_gen", "a torch.optim.Optimizer")
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentTypeError: opt_gen must be a torch.optim.Optimizer, got None
    """
    if not isinstance(value, kind):
        raise ArgumentTypeError(f"{name} must be {wanted}, got {described(value)}{hint}")
    return value


class _AnyAttribute:
    # Stands in for the trainer when a template is tried: {.updater.iteration} stays valid.
    def __getattr__(self, name: str) -> _AnyAttribute:
        return self

    def __getitem__(self, key: object) -> _AnyAttribute:
        return self

    def __format__(self, spec: str) -> str:
        return format(0, spec)


def template(filename: Any, name: str = "filename", subdirectories: bool = False) -> str:
    """A file name template of ``{epoch}``, ``{iteration}`` and ``{.attribute}`` of the
    trainer, tried with stand-in values so a typo fails here, not after an epoch.

    Example:
        >>> template("snapshot_{epoc}.pt")
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentError: filename 'snapshot_{epoc}.pt': unknown field {epoc}; ...
    """
    if not isinstance(filename, str):
        raise ArgumentTypeError(f"{name} must be a str template, got {filename!r:.60}")
    try:
        formatted = filename.format(_AnyAttribute(), epoch=0, iteration=0)
    except KeyError as error:
        raise ArgumentError(
            f"{name} {filename!r}: unknown field {{{error.args[0]}}}; use {{epoch}}, "
            "{iteration} or {.attribute} of the trainer"
        ) from None
    except (ValueError, IndexError, TypeError) as error:
        raise ArgumentError(f"{name} {filename!r}: not a valid template ({error})") from None
    if not formatted or (not subdirectories and "/" in formatted):
        where = "inside out" if subdirectories else "inside out, without '/'"
        raise ArgumentError(f"{name} {filename!r}: must name a file {where}")
    return filename
