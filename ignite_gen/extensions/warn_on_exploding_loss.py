"""WarnOnExplodingLoss: a warning when a logged loss grows by orders of magnitude."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import ignite.distributed as idist

from ..argument_checks import real
from ..errors import ArgumentError, ArgumentTypeError
from ..extension import PRIORITY_READER, Extension
from ..reporter import DictSummary

if TYPE_CHECKING:
    from ..trainer import Trainer

__all__ = ["WarnOnExplodingLoss"]


class WarnOnExplodingLoss(Extension):
    """Warns, once per key, when the logged mean of a loss exceeds ``factor`` times its
    magnitude at the first iteration (magnitudes below 1 count as 1): a learning rate
    too high or a method that diverged, which trains on with finite, meaningless losses
    that :class:`FailOnNonNumber` never stops.

    ``keys`` are the losses watched (default: every reported key ending in ``loss``).
    The first value of each stays on its device; it is read with the means that the
    trainer's ``LogReport`` computes, when that writes a record (no extra host sync per
    iteration). Only rank 0 of a distributed run warns. What it read and which keys
    warned are in its state, so a resumed run neither forgets nor repeats a warning.

    Example:
        >>> trainer.extend(LogReport())
        >>> trainer.extend(WarnOnExplodingLoss())
        >>> trainer.run()  # doctest: +SKIP
        # UserWarning: gen/loss grew from 0.69 to 6.9e+04 by iteration 200; ...
    """

    # It must see every iteration's observation to catch the first value of each key.
    trigger = (1, "iteration")
    priority = PRIORITY_READER

    def __init__(
        self,
        keys: Iterable[str] | None = None,
        factor: float = 1000.0,
        log_report: str = "LogReport",
    ) -> None:
        if isinstance(keys, str):
            # A lone string would be taken as the keys of its characters.
            raise ArgumentTypeError(
                f"WarnOnExplodingLoss: keys must be a list of keys, got {keys!r}"
            )
        self.keys = None if keys is None else tuple(keys)
        self.factor = real(factor, "WarnOnExplodingLoss: factor", lambda v: v > 1, "above 1")
        self.log_report = log_report
        self._log: list[dict[str, Any]] = []
        self._checked = 0
        self._first: dict[str, float] = {}
        # First values not read yet (they stay on their device until a record is checked).
        self._unread = DictSummary()
        self._seen: set[str] = set()
        self._warned: set[str] = set()

    def initialize(self, trainer: Trainer) -> None:
        """Find the records of the ``log_report`` extension."""
        log = getattr(trainer.extensions.get(self.log_report), "log", None)
        if not isinstance(log, list):
            raise ArgumentError(
                f"WarnOnExplodingLoss reads the records of a LogReport named {self.log_report!r}, "
                "and the trainer has none; extend it with LogReport() too"
            )
        self._log = log

    def __call__(self, trainer: Trainer) -> None:
        if idist.get_rank() != 0:
            return
        for key, value in trainer.observation.items():
            if key not in self._seen and self._watches(key):
                self._seen.add(key)
                self._unread.add({key: value})
        record = self._log[-1] if self._log else None
        if record is not None and record["iteration"] != self._checked:
            self._checked = record["iteration"]
            self._check(record)

    def _watches(self, key: str) -> bool:
        return key.endswith("loss") if self.keys is None else key in self.keys

    def _read_first_values(self) -> None:
        if self._unread:
            self._first.update(self._unread.compute_mean())
            self._unread = DictSummary()

    def _check(self, record: Mapping[str, Any]) -> None:
        self._read_first_values()
        for key, first in self._first.items():
            value = record.get(key)
            if key in self._warned or not isinstance(value, float) or not math.isfinite(value):
                continue  # FailOnNonNumber reports non-finite values
            if abs(value) > self.factor * max(abs(first), 1.0):
                self._warned.add(key)
                warnings.warn(
                    f"{key} grew from {first:.3g} to {value:.3g} by iteration "
                    f"{record['iteration']}; the learning rate may be too high, or the "
                    "method diverged",
                    stacklevel=2,
                )

    def state_dict(self) -> dict[str, Any]:
        """The first value of each key and the keys that warned."""
        self._read_first_values()
        return {"first": dict(self._first), "warned": sorted(self._warned)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self._first = dict(state["first"])
        self._seen = set(self._first)
        self._warned = set(state["warned"])
