"""ProgressBar: a tqdm bar over the whole run, fed in batches to stay off the hot path."""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, NoReturn, TextIO

import ignite.distributed as idist
from tqdm import tqdm

from ..extension import PRIORITY_READER, Extension
from ..triggers import IntervalTrigger

if TYPE_CHECKING:
    from ..trainer import Trainer

__all__ = ["ProgressBar", "total_iterations"]

# With an automatic interval the bar is fed about this many times per redraw, so it
# looks smooth while the per-iteration cost stays one increment and one comparison.
_FEEDS_PER_REDRAW = 4
_MAX_INTERVAL = 10_000


def total_iterations(trainer: Trainer) -> int | None:
    """Iterations the run will reach, from its stop trigger (``None`` when unknown).

    Example:
        >>> total_iterations(Trainer(updater, stop_trigger=(3, "epoch")))  # 4 per epoch
        12
    """
    trigger: object = trainer.stop_trigger
    if not isinstance(trigger, IntervalTrigger):
        # Early stopping and similar triggers stop at their max_trigger at the latest.
        trigger = getattr(trigger, "max_trigger", None)
        if not isinstance(trigger, IntervalTrigger):
            return None
    factor = trainer.epoch_length if trigger.unit == "epoch" else 1
    # The same rounding as the limit the trainer hands to the engine.
    return math.ceil(trigger.period * factor)


class ProgressBar(Extension):
    """A progress bar of iterations over the whole run, with the epoch and speed.

    ``update_interval`` is how many iterations pass between updates of the bar; by
    default it adapts to the measured speed so the bar is fed a few times per redraw
    (tqdm redraws at most every ``mininterval`` seconds). It starts at the current
    iteration, so a resumed run continues the count. Only rank 0 shows a bar.
    ``out=None`` means ``sys.stderr`` when training starts.

    Example:
        >>> trainer.extend(ProgressBar())
        >>> trainer.run()  # doctest: +SKIP
        37%|███▋      | 1110/3000 [00:12<00:20, 92.1it/s, epoch 5.55]
    """

    trigger = (1, "iteration")
    priority = PRIORITY_READER

    def __init__(
        self,
        update_interval: int | None = None,
        out: TextIO | None = None,
        mininterval: float = 0.2,
        disable: bool = False,
    ) -> None:
        if update_interval is not None and update_interval < 1:
            raise ValueError(f"update_interval must be at least 1, got {update_interval}")
        self.update_interval = update_interval
        self.out = out
        self.mininterval = mininterval
        self.disable = disable
        # A bar without an iterable is a tqdm[NoReturn] in the tqdm stubs.
        self._bar: tqdm[NoReturn] | None = None
        self._pending = 0
        self._interval = update_interval or 1
        self._last_feed = 0.0

    def initialize(self, trainer: Trainer) -> None:
        """Open the bar at ``trainer.iteration``."""
        self._bar = tqdm(
            total=total_iterations(trainer),
            initial=trainer.iteration,
            file=self.out if self.out is not None else sys.stderr,
            mininterval=self.mininterval,
            disable=self.disable or idist.get_rank() != 0,
            dynamic_ncols=True,
            unit="it",
        )
        self._bar.set_postfix_str(f"epoch {trainer.epoch_detail:.2f}", refresh=False)
        self._pending = 0
        self._interval = self.update_interval or 1
        self._last_feed = time.perf_counter()

    def __call__(self, trainer: Trainer) -> None:
        self._pending += 1
        if self._pending >= self._interval and self._bar is not None:
            self._feed(self._bar, trainer)

    def _feed(self, bar: tqdm[NoReturn], trainer: Trainer) -> None:
        count, self._pending = self._pending, 0
        bar.set_postfix_str(f"epoch {trainer.epoch_detail:.2f}", refresh=False)
        bar.update(count)
        if self.update_interval is None:
            now = time.perf_counter()
            rate = count / max(now - self._last_feed, 1e-9)
            self._last_feed = now
            wanted = int(rate * self.mininterval / _FEEDS_PER_REDRAW)
            self._interval = min(max(wanted, 1), _MAX_INTERVAL)

    def finalize(self, trainer: Trainer) -> None:
        """Show the last iterations and close the bar."""
        if self._bar is not None:
            if self._pending:
                self._feed(self._bar, trainer)
            self._bar.close()
            self._bar = None
