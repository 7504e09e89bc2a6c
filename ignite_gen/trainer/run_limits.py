"""The limits of ``Engine.run`` that a trainer's stop trigger implies."""

from __future__ import annotations

import math
from typing import Any

from ..triggers import IntervalTrigger

__all__ = ["run_limits"]


def run_limits(stop_trigger: Any, epoch_length: int) -> dict[str, int]:
    """The ``Engine.run`` limit a stop trigger implies: the interval of an
    :class:`IntervalTrigger`, else the ``max_trigger`` of a trigger that has one (the
    trainer calls any other trigger after each iteration).

    Example:
        >>> run_limits(IntervalTrigger(3, "epoch"), epoch_length=10)
        {'max_epochs': 3}
    """
    if isinstance(stop_trigger, IntervalTrigger):
        if stop_trigger.unit == "epoch" and float(stop_trigger.period).is_integer():
            return {"max_epochs": int(stop_trigger.period)}
        factor = epoch_length if stop_trigger.unit == "epoch" else 1
        return {"max_iters": math.ceil(stop_trigger.period * factor)}
    limit = getattr(stop_trigger, "max_trigger", None)
    if isinstance(limit, IntervalTrigger) and limit.unit == "epoch":
        return {"max_epochs": math.ceil(limit.period)}
    return {"max_epochs": 2**31 - 1}
