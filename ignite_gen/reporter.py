"""Reporting values from inside an update, and summarising them without host syncs.

``report({"dis/loss": loss})`` stores the value in the current observation (the dict
that the trainer opens for each iteration). Values stay tensors on their device;
:class:`DictSummary` adds them up on the device and turns them into Python floats in
one transfer, when a log trigger asks for the means.

A value is a real or bool tensor (a non-scalar one counts as its mean), a Python number,
or a NumPy number or 0-d array (stored as the Python number it holds). Anything else is
refused by :func:`report` with its key named, at the call that made the mistake, rather
than when a log or snapshot reads it at the end of an epoch.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn, cast

import ignite.distributed as idist
import numpy as np
import torch

from .argument_checks import described
from .errors import ArgumentTypeError

__all__ = [
    "DictSummary",
    "Reporter",
    "get_current_reporter",
    "report",
    "report_scope",
    "to_float",
]

# Tensors collected per key before they are folded into one on-device sum: folding
# costs a stack + sum kernel, so doing it every few dozen values keeps the per-iteration
# cost at one list append while bounding the memory that pending tensors hold.
_FOLD_EVERY = 64

#: Python number types stored as they are (``type(v) in``: NumPy's float64 subclasses
#: float but must become a plain float, or snapshots could not be loaded weights-only).
_PYTHON_NUMBERS = (float, int, bool)

#: Tensor dtypes summed as they are; any other real dtype is widened to float32 on its
#: device when added (bf16 sums drift: 1.504 logged for a mean of 1.496).
_SUM_DTYPES = (torch.float32, torch.float64)


def _describe(value: Any) -> str:
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"a {type(value).__name__} of dtype {value.dtype} and shape {tuple(value.shape)}"
    return described(value)


def _number(key: str, value: Any) -> int | float | bool:
    """A reported value that is not a tensor, as a Python number; anything else is refused."""
    if isinstance(value, (np.generic, np.ndarray)) and value.ndim == 0:
        if value.dtype.kind in "biuf":
            number: int | float | bool = value.item()
            return number
    elif isinstance(value, numbers.Real):
        return float(value)
    _refuse(key, value)


def _refuse(key: str, value: Any) -> NoReturn:
    hint = "its mean, say" if isinstance(value, np.ndarray) else "a real number or tensor"
    raise ArgumentTypeError(f"report: {key!r} is {_describe(value)}; report {hint}")


def _widened(key: str, value: torch.Tensor) -> torch.Tensor:
    """``value`` as float32 on its device (no host sync); complex tensors are refused."""
    if value.dtype.is_complex:
        _refuse(key, value)
    return value.float()


class Reporter:
    """Routes :func:`report` calls to the observation dict of the current scope.

    Example:
        >>> reporter = Reporter()
        >>> observation = {}
        >>> with reporter.scope(observation):
        ...     reporter.report({"loss": 1.5})
        >>> observation
        {'loss': 1.5}
    """

    def __init__(self) -> None:
        self.observation: dict[str, Any] | None = None

    @contextlib.contextmanager
    def scope(self, observation: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Make ``observation`` the target of reports and this reporter the current one."""
        previous = self.observation
        self.observation = observation
        _reporters.append(self)
        try:
            yield observation
        finally:
            _reporters.pop()
            self.observation = previous

    def report(self, values: Mapping[str, Any], prefix: str | None = None) -> None:
        """Record ``values``; tensors are detached so they keep no autograd graph alive.

        Values are checked even when no observation is open, so a mistake shows at once.
        """
        observation = self.observation
        try:
            items = values.items()
        except AttributeError:
            raise ArgumentTypeError(
                f"report takes a dict of names to values, got {_describe(values)}; "
                "e.g. report({'main/loss': loss})"
            ) from None
        for key, value in items:
            if not isinstance(key, str):
                raise ArgumentTypeError(f"report: keys are strings, got {_describe(key)}")
            name = key if prefix is None else f"{prefix}/{key}"
            if isinstance(value, torch.Tensor):
                if value.dtype.is_complex:
                    _refuse(name, value)
                value = value.detach()
            elif type(value) not in _PYTHON_NUMBERS:
                value = _number(name, value)
            if observation is not None:
                observation[name] = value


_reporters: list[Reporter] = []


def get_current_reporter() -> Reporter | None:
    """The reporter whose scope is open, or ``None`` outside a training iteration."""
    return _reporters[-1] if _reporters else None


# Checks the values of reports made outside any scope, and records nothing.
_UNSCOPED = Reporter()


def report(values: Mapping[str, Any], prefix: str | None = None) -> None:
    """Record scalar values (tensors or numbers) for the current iteration.

    Outside a trainer iteration (for example in a notebook) this records nothing, but a
    value that is not a number or a real tensor raises :class:`ArgumentTypeError` there
    too, naming its key.

    Example:
        >>> report({"dis/loss": torch.tensor(0.7), "gen/loss": torch.tensor(1.2)})
    """
    (_reporters[-1] if _reporters else _UNSCOPED).report(values, prefix)


@contextlib.contextmanager
def report_scope(observation: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Collect reports made inside the block into ``observation`` (for evaluators).

    Example:
        >>> with report_scope({}) as obs:
        ...     report({"validation/loss": 0.3})
        >>> obs
        {'validation/loss': 0.3}
    """
    with Reporter().scope(observation) as scoped:
        yield scoped


def to_float(value: Any) -> float:
    """A reported value as a Python float (a host sync for device tensors)."""
    if isinstance(value, torch.Tensor):
        return float(value.detach().float().mean())
    return float(value)


class _KeySummary:
    __slots__ = ("count", "host_sum", "pending", "tensor_sum")

    def __init__(self) -> None:
        self.pending: list[torch.Tensor] = []
        self.tensor_sum: torch.Tensor | None = None
        self.host_sum = 0.0
        self.count = 0

    def fold(self) -> torch.Tensor | None:
        if self.pending:
            folded = torch.stack(self.pending).sum(0)
            self.pending = []
            self.tensor_sum = folded if self.tensor_sum is None else self.tensor_sum + folded
        return self.tensor_sum


class DictSummary:
    """Running means of reported values, accumulated on their device.

    ``add`` is cheap (a list append per key); ``compute_mean`` folds everything and
    copies all means to the host in one transfer, so a log interval costs one sync.

    Example:
        >>> summary = DictSummary()
        >>> summary.add({"loss": torch.tensor(1.0)})
        >>> summary.add({"loss": torch.tensor(3.0)})
        >>> summary.compute_mean()
        {'loss': 2.0}
    """

    def __init__(self) -> None:
        self._keys: dict[str, _KeySummary] = {}

    def __bool__(self) -> bool:
        return bool(self._keys)

    def add(self, observation: Mapping[str, Any]) -> None:
        """Add one iteration's observation; non-scalar tensors contribute their mean.

        Tensors other than float32/float64 are widened to float32 on their device first,
        so sums never accumulate in bf16/fp16; numbers (NumPy's too) add up on the host
        as Python floats. Anything else raises :class:`ArgumentTypeError`.
        """
        keys = self._keys
        for key, value in observation.items():
            if isinstance(value, torch.Tensor):
                if value.dtype not in _SUM_DTYPES:
                    value = _widened(key, value)
                if value.ndim:
                    value = value.mean()
                entry = keys.get(key) or keys.setdefault(key, _KeySummary())
                entry.pending.append(value)
                if len(entry.pending) >= _FOLD_EVERY:
                    entry.fold()
            else:
                number = value if type(value) in _PYTHON_NUMBERS else _number(key, value)
                entry = keys.get(key) or keys.setdefault(key, _KeySummary())
                entry.host_sum += number
            entry.count += 1

    def compute_mean(self, reduce: bool = False) -> dict[str, float]:
        """Means of every key, as Python floats (one host transfer).

        With ``reduce=True`` and an initialised ``torch.distributed`` group, sums and
        counts are added across ranks first, so every rank returns the global means.
        """
        keys = list(self._keys)
        if not keys:
            return {}
        device_sums: list[torch.Tensor] = []
        for key in keys:
            tensor_sum = self._keys[key].fold()
            if tensor_sum is not None:
                device_sums.append(tensor_sum.to(torch.float64))
        totals = [self._keys[k].host_sum for k in keys]
        counts = [float(self._keys[k].count) for k in keys]
        if device_sums:
            device = device_sums[0].device
            stacked = torch.stack([s.to(device) for s in device_sums])
            tensor_keys = [k for k in keys if self._keys[k].tensor_sum is not None]
        else:
            device = torch.device("cpu")
            stacked = torch.zeros(0, dtype=torch.float64)
            tensor_keys = []
        host = torch.tensor(totals + counts, dtype=torch.float64, device=device)
        packed = torch.cat([stacked, host])
        if reduce:
            # all_reduce returns a tensor for a tensor (it is annotated for floats too).
            packed = cast(torch.Tensor, idist.all_reduce(packed))
        values = packed.tolist()
        n_tensor = len(tensor_keys)
        tensor_part = dict(zip(tensor_keys, values[:n_tensor], strict=True))
        host_totals = values[n_tensor : n_tensor + len(keys)]
        host_counts = values[n_tensor + len(keys) :]
        means = {}
        for key, host_total, count in zip(keys, host_totals, host_counts, strict=True):
            total = host_total + tensor_part.get(key, 0.0)
            means[key] = total / count if count else math.nan
        return means

    def state_dict(self) -> dict[str, Any]:
        """Sums and counts so far (tensors folded, on their device)."""
        return {
            key: {"sum": entry.fold(), "host_sum": entry.host_sum, "count": entry.count}
            for key, entry in self._keys.items()
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self._keys = {}
        for key, saved in state.items():
            entry = self._keys[key] = _KeySummary()
            entry.tensor_sum = saved["sum"]
            entry.host_sum = saved["host_sum"]
            entry.count = saved["count"]
