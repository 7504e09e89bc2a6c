"""Triggers: callables of the trainer that say whether something should happen now.

A trigger is called once after every iteration. ``(period, unit)`` tuples become
:class:`IntervalTrigger`; any callable ``f(trainer) -> bool`` works too. Triggers with
memory (best value so far, patience) have ``state_dict``/``load_state_dict`` and travel
in snapshots.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .errors import ArgumentError, ArgumentTypeError
from .reporter import DictSummary

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = [
    "EarlyStoppingTrigger",
    "IntervalTrigger",
    "ManualScheduleTrigger",
    "MaxValueTrigger",
    "MinValueTrigger",
    "OnceTrigger",
    "TriggerLike",
    "fixed_interval",
    "get_trigger",
]

TriggerLike = tuple[float, str] | Callable[["Trainer"], bool] | None
_UNITS = ("iteration", "epoch")


def _check_unit(unit: str, argument: str = "trigger") -> None:
    if unit not in _UNITS:
        raise ArgumentError(f"{argument}: unit {unit!r} is not one of {_UNITS}")


def _check_period(period: float, argument: str = "trigger") -> None:
    if isinstance(period, bool) or not isinstance(period, (int, float)):
        raise ArgumentTypeError(f"{argument}: period must be a number, got {period!r:.40}")
    if not period > 0 or math.isinf(period):
        raise ArgumentError(f"{argument}: period must be positive and finite, got {period}")


def _position(trainer: Trainer, unit: str) -> tuple[float, float]:
    """The (previous, current) count in ``unit`` around the iteration just finished."""
    iteration = trainer.iteration
    if unit == "iteration":
        return iteration - 1, iteration
    length = trainer.epoch_length
    return (iteration - 1) / length, iteration / length


class IntervalTrigger:
    """Fires every ``period`` iterations or epochs (fractional epochs allowed).

    It keeps no state, so it behaves the same after a resume.

    Example:
        >>> trigger = IntervalTrigger(1, "epoch")
    """

    def __init__(self, period: float, unit: str, argument: str = "trigger") -> None:
        _check_unit(unit, argument)
        _check_period(period, argument)
        self.period = period
        self.unit = unit
        # Whole periods use integer arithmetic: exact, and cheapest on the hot path.
        self._whole = int(period) if float(period).is_integer() else 0

    def every_iterations(self, epoch_length: int) -> int:
        """Iterations between firings, or 0 for fractional periods (which do not repeat
        at a fixed number of iterations)."""
        return self._whole * epoch_length if self.unit == "epoch" else self._whole

    def __call__(self, trainer: Trainer) -> bool:
        if self._whole:
            return trainer.iteration % self.every_iterations(trainer.epoch_length) == 0
        previous, current = _position(trainer, self.unit)
        return math.floor(current / self.period + 1e-9) > math.floor(previous / self.period + 1e-9)

    def __repr__(self) -> str:
        return f"IntervalTrigger({self.period}, {self.unit!r})"


def fixed_interval(trigger: Callable[[Trainer], bool], epoch_length: int) -> int:
    """Iterations between the firings of ``trigger`` if that is fixed, else 0.

    A hot path can then test ``iteration % every == 0`` instead of calling the trigger
    each iteration; triggers with state or other schedules must still be called.

    Example:
        >>> fixed_interval(IntervalTrigger(2, "epoch"), epoch_length=50)
        100
        >>> fixed_interval(OnceTrigger(), epoch_length=50)
        0
    """
    if isinstance(trigger, IntervalTrigger):
        return trigger.every_iterations(epoch_length)
    return 0


class ManualScheduleTrigger:
    """Fires at the listed iterations or epochs.

    Example:
        >>> trigger = ManualScheduleTrigger([10, 20], "epoch")
    """

    def __init__(self, points: float | Iterable[float], unit: str) -> None:
        _check_unit(unit)
        self.points = sorted([points] if isinstance(points, (int, float)) else points)
        self.unit = unit

    def __call__(self, trainer: Trainer) -> bool:
        previous, current = _position(trainer, self.unit)
        return any(previous < point <= current + 1e-9 for point in self.points)


class OnceTrigger:
    """Fires on the first iteration only; after a resume, again if ``call_on_resume``.

    Example:
        >>> trigger = OnceTrigger()
    """

    def __init__(self, call_on_resume: bool = False) -> None:
        self.call_on_resume = call_on_resume
        self.finished = False

    def __call__(self, trainer: Trainer) -> bool:
        fire = not self.finished
        self.finished = True
        return fire

    def state_dict(self) -> dict[str, Any]:
        return {"finished": self.finished}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.finished = state["finished"] and not self.call_on_resume


class _BestValueTrigger:
    """Fires when the mean of ``key`` since the last check beats the best so far."""

    def __init__(self, key: str, compare: Callable[[float, float], bool], trigger: TriggerLike):
        self.key = key
        self.best: float | None = None
        self._compare = compare
        self._interval = get_trigger(trigger)
        self._summary = DictSummary()

    def __call__(self, trainer: Trainer) -> bool:
        value = trainer.observation.get(self.key)
        if value is not None:
            self._summary.add({self.key: value})
        if not self._interval(trainer):
            return False
        means = self._summary.compute_mean(reduce=True)
        self._summary = DictSummary()
        if self.key not in means:
            return False
        current = means[self.key]
        if self.best is None or self._compare(current, self.best):
            self.best = current
            return True
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "summary": self._summary.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state["best"]
        self._summary.load_state_dict(state["summary"])


class MinValueTrigger(_BestValueTrigger):
    """Fires when ``key`` reaches a new minimum, checked at ``trigger`` (for snapshots).

    Example:
        >>> trigger = MinValueTrigger("validation/main/loss", trigger=(1, "epoch"))
    """

    def __init__(self, key: str, trigger: TriggerLike = (1, "epoch")) -> None:
        super().__init__(key, operator.lt, trigger)


class MaxValueTrigger(_BestValueTrigger):
    """Fires when ``key`` reaches a new maximum, checked at ``trigger``.

    Example:
        >>> trigger = MaxValueTrigger("validation/main/bleu", trigger=(1, "epoch"))
    """

    def __init__(self, key: str, trigger: TriggerLike = (1, "epoch")) -> None:
        super().__init__(key, operator.gt, trigger)


class EarlyStoppingTrigger:
    """A stop trigger: fires after ``patience`` checks without improvement of ``monitor``,
    or at ``max_trigger``. Its counters are saved in snapshots.

    Example:
        >>> stop = EarlyStoppingTrigger(
        ...     "validation/main/loss", patience=3, max_trigger=(50, "epoch"))
        >>> # Trainer(updater, stop_trigger=stop)
    """

    def __init__(
        self,
        monitor: str = "main/loss",
        patience: int = 3,
        mode: str = "min",
        check_trigger: TriggerLike = (1, "epoch"),
        max_trigger: tuple[float, str] = (100, "epoch"),
    ) -> None:
        if mode not in ("min", "max"):
            raise ArgumentError(f"EarlyStoppingTrigger mode must be 'min' or 'max', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ArgumentError(f"EarlyStoppingTrigger patience must be an int >= 1: {patience}")
        self.patience = patience
        self.max_trigger = _interval(max_trigger, "max_trigger")
        self._best = _BestValueTrigger(
            monitor, operator.lt if mode == "min" else operator.gt, check_trigger
        )
        self._checks = get_trigger(check_trigger)
        self.count = 0

    def __call__(self, trainer: Trainer) -> bool:
        checking = self._checks(trainer)
        improved = self._best(trainer)
        if checking:
            self.count = 0 if improved else self.count + 1
        return self.count >= self.patience or self.max_trigger(trainer)

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count, "best": self._best.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.count = state["count"]
        self._best.load_state_dict(state["best"])


def _interval(trigger: object, argument: str) -> IntervalTrigger:
    if isinstance(trigger, IntervalTrigger):
        return trigger
    if isinstance(trigger, (tuple, list)) and len(trigger) == 2:
        return IntervalTrigger(trigger[0], trigger[1], argument)
    raise ArgumentTypeError(
        f"{argument} must be (period, 'iteration'|'epoch'), got {trigger!r:.60}"
    )


def get_trigger(trigger: TriggerLike, argument: str = "trigger") -> Callable[[Trainer], bool]:
    """Turn ``(period, unit)``, ``None`` (every iteration) or a callable into a trigger;
    anything else is an :class:`~ignite_gen.errors.ArgumentError` naming ``argument``.

    Example:
        >>> get_trigger((2, "epoch"))
        IntervalTrigger(2, 'epoch')
    """
    if trigger is None:
        return IntervalTrigger(1, "iteration")
    if callable(trigger):
        return trigger
    if isinstance(trigger, (tuple, list)) and len(trigger) == 2:
        return _interval(trigger, argument)
    raise ArgumentTypeError(
        f"{argument} must be (period, 'iteration'|'epoch') or a callable f(trainer), "
        f"got {trigger!r:.60}"
    )
