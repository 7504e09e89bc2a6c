"""What a snapshot can hold: the values ``torch.load(weights_only=True)`` gives back.

Snapshots are loaded weights-only, so a value of any other type (a NumPy scalar, a
dataclass, a ``deque``) makes a file that saves without complaint and can never be
loaded. :func:`find_unstorable` finds such a value before anything is written.

The accepted types were measured on torch 2.14 (``tests/test_snapshot_integrity.py``
round-trips each one, and checks that the refused ones really fail to load).
Subclasses are refused: pickle stores them by class name, which the weights-only
loader does not know (an ``IntEnum``, a ``namedtuple``, a tensor subclass).
"""

from __future__ import annotations

import collections
import types
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["ATOMS", "CONTAINERS", "find_unstorable", "type_name", "what_to_store"]

#: Leaf values that load weights-only (exact types; ``bool`` is not ``int`` here).
ATOMS: frozenset[type] = frozenset(
    {
        type(None),
        bool,
        int,
        float,
        complex,
        str,
        bytes,
        bytearray,
        torch.Tensor,
        nn.Parameter,
        torch.dtype,
        torch.device,
        torch.layout,
        torch.Size,
    }
)

#: Containers that load weights-only; their keys and items are checked in turn.
CONTAINERS: frozenset[type] = frozenset(
    {dict, collections.OrderedDict, collections.Counter, list, tuple, set}
)

# Unstorable type -> what to save instead (the first matching base wins).
_INSTEAD: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (np.bool_, "a Python bool (bool(value))"),
    (np.integer, "a Python int or a tensor"),
    (np.floating, "a Python float or a tensor"),
    (np.ndarray, "a tensor (torch.from_numpy(array))"),
    (np.generic, "a Python number or a tensor"),
    (torch.Tensor, "a plain tensor (tensor.as_subclass(torch.Tensor))"),
    ((frozenset, collections.deque), "a list or a set"),
    (dict, "a plain dict (dict(value))"),
    (tuple, "a plain tuple or a dict (value._asdict() for a namedtuple)"),
    ((str, int, float), "the plain value (value.value for an enum member)"),
    (
        (types.FunctionType, types.BuiltinFunctionType, types.MethodType),
        "the data the function needs instead of the function",
    ),
)


def type_name(value: object) -> str:
    """``numpy.float64``, ``collections.deque``, ``frozenset``: the type as users write it.

    Example:
        >>> type_name(np.float64(1.0))
        'numpy.float64'
    """
    kind = type(value)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def what_to_store(value: object) -> str:
    """What to save in place of ``value``, a value :func:`find_unstorable` refused.

    Example:
        >>> what_to_store(np.float64(1.0))
        'a Python float or a tensor'
    """
    for kinds, instead in _INSTEAD:
        if isinstance(value, kinds):
            return instead
    return "plain Python values (numbers, strings, lists, dicts) or tensors"


def find_unstorable(obj: Any) -> tuple[tuple[Any, ...], Any, bool] | None:
    """The first value in ``obj`` that a weights-only load would refuse, else ``None``.

    Returns ``(keys, value, is_key)``: the subscripts that lead to it from ``obj``, the
    value, and whether it is (inside) a dictionary key (then ``keys`` lead to that
    dictionary). Only types are looked at: tensors are never read (no device sync), and
    an element of a long list costs one type check. Containers met twice are walked once.

    Example:
        >>> find_unstorable({"log": [{"loss": 0.5}, {"loss": np.float64(0.4)}]})
        (('log', 1, 'loss'), np.float64(0.4), False)
    """
    return _find(obj, set())


def _find(value: Any, walked: set[int]) -> tuple[tuple[Any, ...], Any, bool] | None:
    # Recursive like pickle itself, which fails on nesting this deep before we would.
    kind = type(value)
    if kind in ATOMS:
        return None
    if kind not in CONTAINERS:
        return (), value, False
    if id(value) in walked:
        return None
    walked.add(id(value))
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) not in ATOMS and (found := _find(key, walked)):
                return (), found[1], True
            if type(item) not in ATOMS and (found := _find(item, walked)):
                return (key, *found[0]), found[1], found[2]
    else:
        for index, item in enumerate(value):
            if type(item) not in ATOMS and (found := _find(item, walked)):
                # A set has no subscripts; its members are named by the set's own path.
                return (*(() if kind is set else (index,)), *found[0]), found[1], found[2]
    return None
