"""Triggers against their definitions, on a stand-in with the trainer's counters."""

from __future__ import annotations

import pytest
import torch

from ignite_gen import (
    ArgumentError,
    ArgumentTypeError,
    EarlyStoppingTrigger,
    IntervalTrigger,
    ManualScheduleTrigger,
    MaxValueTrigger,
    MinValueTrigger,
    OnceTrigger,
    UserError,
)
from ignite_gen.triggers import get_trigger


class Counters:
    def __init__(self, epoch_length: int) -> None:
        self.iteration = 0
        self.epoch_length = epoch_length
        self.observation = {}


def fired(trigger, iterations: int, epoch_length: int = 4, values=None) -> list[int]:
    state = Counters(epoch_length)
    hits = []
    for i in range(1, iterations + 1):
        state.iteration = i
        state.observation = {"v": torch.tensor(values[i - 1])} if values else {}
        if trigger(state):
            hits.append(i)
    return hits


def test_interval_iteration():
    assert fired(IntervalTrigger(3, "iteration"), 10) == [3, 6, 9]


def test_interval_epoch_and_fraction():
    assert fired(IntervalTrigger(1, "epoch"), 12) == [4, 8, 12]
    assert fired(IntervalTrigger(2, "epoch"), 12) == [8]
    assert fired(IntervalTrigger(0.5, "epoch"), 8) == [2, 4, 6, 8]
    # 0.5 epoch of a 3-iteration epoch is 1.5 iterations: fires when the boundary is passed
    assert fired(IntervalTrigger(0.5, "epoch"), 6, epoch_length=3) == [2, 3, 5, 6]


def test_manual_schedule():
    assert fired(ManualScheduleTrigger([1, 3], "epoch"), 16) == [4, 12]
    assert fired(ManualScheduleTrigger(5, "iteration"), 10) == [5]


def test_once_trigger_and_resume():
    trigger = OnceTrigger()
    assert fired(trigger, 5) == [1]
    resumed = OnceTrigger()
    resumed.load_state_dict(trigger.state_dict())
    assert fired(resumed, 3) == []
    again = OnceTrigger(call_on_resume=True)
    again.load_state_dict(trigger.state_dict())
    assert fired(again, 3) == [1]


def test_min_and_max_value_triggers_use_interval_means():
    # means per epoch of 2 iterations: 3, 2, 4, 1
    values = [4.0, 2.0, 1.0, 3.0, 5.0, 3.0, 0.0, 2.0]
    assert fired(MinValueTrigger("v", (1, "epoch")), 8, 2, values) == [2, 4, 8]
    assert fired(MaxValueTrigger("v", (1, "epoch")), 8, 2, values) == [2, 6]


def test_min_value_trigger_state_round_trip():
    trigger = MinValueTrigger("v", (1, "epoch"))
    fired(trigger, 4, 2, [1.0, 1.0, 2.0, 2.0])
    restored = MinValueTrigger("v", (1, "epoch"))
    restored.load_state_dict(trigger.state_dict())
    assert restored.best == 1.0


def test_bad_unit_is_a_user_error():
    with pytest.raises(UserError, match="unit"):
        IntervalTrigger(1, "epochs")


@pytest.mark.parametrize(
    ("trigger", "error", "fragment"),
    [
        ((1, "epochs"), ArgumentError, "check: unit 'epochs'"),
        (("1", "epoch"), ArgumentTypeError, "check: period must be a number, got '1'"),
        ((-2, "iteration"), ArgumentError, "check: period must be positive"),
        ((float("inf"), "epoch"), ArgumentError, "check: period must be positive and finite"),
        ((1, "epoch", 2), ArgumentTypeError, "check must be (period,"),
        (5, ArgumentTypeError, "check must be (period,"),
    ],
)
def test_bad_triggers_name_the_argument(trigger, error, fragment):
    with pytest.raises(error) as info:
        get_trigger(trigger, "check")
    assert fragment in str(info.value)


def test_early_stopping_arguments_are_checked():
    with pytest.raises(ArgumentError, match="patience must be an int >= 1"):
        EarlyStoppingTrigger(patience=0)
    with pytest.raises(ArgumentError, match="max_trigger: unit 'epochs'"):
        EarlyStoppingTrigger(max_trigger=(10, "epochs"))
