"""FailOnNonNumber: stop training at the first NaN or infinity, batching the checks."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import ignite.distributed as idist
import torch

from ..errors import ArgumentTypeError, UserError
from ..extension import PRIORITY_EDITOR, Extension
from ..triggers import get_trigger

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["FailOnNonNumber"]

# Pending values of a key are reduced to finiteness flags on the device this often,
# which bounds the memory they hold without reading anything back.
_FOLD_EVERY = 64


def _finite_flags(values: list[torch.Tensor]) -> torch.Tensor:
    if all(value.ndim == 0 for value in values):
        return torch.isfinite(torch.stack([value.float() for value in values]))
    return torch.stack([torch.isfinite(value).all() for value in values])


class _Pending:
    __slots__ = ("flags", "iterations", "values")

    def __init__(self) -> None:
        self.iterations: list[int] = []
        self.values: list[torch.Tensor] = []
        self.flags: list[torch.Tensor] = []

    def fold(self) -> None:
        if self.values:
            self.flags.append(_finite_flags(self.values))
            self.values = []

    def all_flags(self) -> torch.Tensor:
        self.fold()
        return torch.cat(self.flags)


class FailOnNonNumber(Extension):
    """Raises :class:`UserError` once a reported value or a model weight is not finite.

    Reported tensors (of ``keys``, or all) are only collected each iteration; when
    ``trigger`` fires they are checked together with every floating parameter and
    buffer of ``trainer.updater.models``, with one read-back to the host. The error
    names the key and the iteration where a non-finite value first appeared (or the
    model and parameter). It runs before LogReport and snapshots at the same
    iteration, so no snapshot of a broken model is written.

    Example:
        >>> trainer.extend(FailOnNonNumber(trigger=(1, "epoch")))
    """

    # It must see every iteration's observation; the check interval is its own trigger.
    trigger = (1, "iteration")
    priority = PRIORITY_EDITOR

    def __init__(self, trigger: TriggerLike = (1, "epoch"), keys: Iterable[str] | None = None):
        if isinstance(keys, str):
            # A lone string would be taken as the keys of its characters.
            raise ArgumentTypeError(f"FailOnNonNumber: keys must be a list of keys, got {keys!r}")
        self.check_trigger = get_trigger(trigger)
        self.keys = None if keys is None else tuple(keys)
        self._pending: dict[str, _Pending] = {}
        self._host_failure: tuple[int, str] | None = None

    def __call__(self, trainer: Trainer) -> None:
        observation = trainer.observation
        keys = observation if self.keys is None else self.keys
        iteration = trainer.iteration
        pending = self._pending
        for key in keys:
            value = observation.get(key)
            if isinstance(value, torch.Tensor):
                entry = pending.get(key)
                if entry is None:
                    entry = pending[key] = _Pending()
                entry.iterations.append(iteration)
                entry.values.append(value)
                if len(entry.values) >= _FOLD_EVERY:
                    entry.fold()
            elif (
                isinstance(value, float) and not math.isfinite(value) and self._host_failure is None
            ):
                self._host_failure = (iteration, key)
        if self.check_trigger(trainer):
            self.check(trainer)

    def check(self, trainer: Trainer) -> None:
        """Check everything collected since the last check, and the models' weights."""
        names = list(self._pending)
        flags = [self._pending[name].all_flags() for name in names]
        weights: list[tuple[str, str]] = []
        for model_name, model in trainer.updater.models.items():
            tensors = [*model.named_parameters(), *model.named_buffers()]
            for name, tensor in tensors:
                if tensor.is_floating_point():
                    weights.append((model_name, name))
                    flags.append(torch.isfinite(tensor).all().reshape(1))
        host_failure, self._host_failure = self._host_failure, None
        pending, self._pending = self._pending, {}
        if flags:
            # Reported values may live on another device than the weights.
            flags = [flag.to(flags[0].device) for flag in flags]
        local_ok = bool(torch.cat(flags).all()) if flags else True
        local_ok = local_ok and host_failure is None
        suffix = (
            f"training stopped; snapshots in {trainer.out}/ hold only finite weights; "
            "a lower learning rate or gradient clipping usually avoids this"
        )
        # All ranks stop together; one that raised alone would hang the others.
        if idist.get_world_size() > 1:
            anyone_failed = idist.all_reduce(float(not local_ok), op="MAX")
            if anyone_failed and local_ok:
                where = f"on another process by iteration {trainer.iteration}"
                raise UserError(f"non-finite value {where}; {suffix}")
        if local_ok:
            return
        failures = [host_failure] if host_failure is not None else []
        for name, name_flags in zip(names, flags[: len(names)], strict=True):
            bad = (~name_flags).nonzero()
            if len(bad):
                failures.append((pending[name].iterations[int(bad[0])], name))
        if failures:
            iteration, key = min(failures)
            raise UserError(f"non-finite value in {key!r} at iteration {iteration}; {suffix}")
        model_flags = torch.cat(flags[len(names) :]).tolist()
        model_name, name = weights[model_flags.index(False)]
        raise UserError(
            f"non-finite parameter {name!r} of model {model_name!r} at iteration "
            f"{trainer.iteration}; {suffix}"
        )
