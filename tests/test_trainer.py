"""Trainer semantics: counters, extension order, hooks, stop triggers, Ignite access."""

from __future__ import annotations

import pytest
from conftest import make_regression_updater
from ignite.engine import Events

from ignite_gen import (
    PRIORITY_EDITOR,
    PRIORITY_READER,
    PRIORITY_WRITER,
    EarlyStoppingTrigger,
    Extension,
    Trainer,
    make_extension,
)


def test_epoch_stop_trigger_runs_whole_epochs(tmp_path, regression_updater):
    trainer = Trainer(regression_updater, (3, "epoch"), out=tmp_path)
    trainer.run()
    assert trainer.iteration == 15
    assert trainer.epoch == 3
    assert trainer.epoch_detail == 3.0
    assert regression_updater.iteration == 15


def test_iteration_stop_trigger(tmp_path, regression_updater):
    trainer = Trainer(regression_updater, (7, "iteration"), out=tmp_path)
    trainer.run()
    assert trainer.iteration == 7
    assert trainer.epoch == 1


def test_extensions_run_by_priority_then_registration(tmp_path, regression_updater):
    calls = []
    trainer = Trainer(regression_updater, (1, "epoch"), out=tmp_path)
    for name, priority in [
        ("reader", PRIORITY_READER),
        ("writer", PRIORITY_WRITER),
        ("editor", PRIORITY_EDITOR),
        ("reader2", PRIORITY_READER),
    ]:
        trainer.extend(
            lambda t, n=name: calls.append(n),
            name=name,
            trigger=(5, "iteration"),
            priority=priority,
        )
    trainer.run()
    assert calls == ["writer", "editor", "reader", "reader2"]


def test_make_extension_trigger_and_observation(tmp_path, regression_updater):
    seen = []

    @make_extension(trigger=(1, "epoch"))
    def record(trainer):
        seen.append((trainer.epoch, trainer.iteration, sorted(trainer.observation)))

    trainer = Trainer(regression_updater, (2, "epoch"), out=tmp_path)
    trainer.extend(record)
    trainer.run()
    assert seen == [(1, 5, ["main/loss"]), (2, 10, ["main/loss"])]
    assert "record" in trainer.extensions


def test_hooks_initialize_finalize_on_error(tmp_path, regression_updater):
    events = []

    class Failing(Extension):
        trigger = (3, "iteration")

        def initialize(self, trainer):
            events.append("initialize")

        def __call__(self, trainer):
            raise RuntimeError("boom")

        def on_error(self, trainer, exc, tb):
            events.append(f"on_error:{exc}")

        def finalize(self, trainer):
            events.append("finalize")

    trainer = Trainer(regression_updater, (2, "epoch"), out=tmp_path)
    trainer.extend(Failing())
    with pytest.raises(RuntimeError, match="boom"):
        trainer.run()
    assert events == ["initialize", "on_error:boom", "finalize"]
    assert trainer.iteration == 3


def test_engine_is_open_to_ignite_handlers(tmp_path, regression_updater):
    trainer = Trainer(regression_updater, (2, "epoch"), out=tmp_path)
    completed = []
    trainer.engine.add_event_handler(
        Events.EPOCH_COMPLETED, lambda e: completed.append(e.state.epoch)
    )
    trainer.run()
    assert completed == [1, 2]


def test_early_stopping_as_stop_trigger(tmp_path):
    # An SGD learning rate of 0 never improves the loss: patience 2 stops after 3 epochs.
    updater = make_regression_updater()
    for group in updater.optimizers["main"].param_groups:
        group["lr"] = 0.0
    stop = EarlyStoppingTrigger("main/loss", patience=2, max_trigger=(50, "epoch"))
    trainer = Trainer(updater, stop, out=tmp_path)
    trainer.run()
    assert trainer.epoch == 3


def test_elapsed_time_grows(tmp_path, regression_updater):
    trainer = Trainer(regression_updater, (1, "epoch"), out=tmp_path)
    trainer.run()
    assert trainer.elapsed_time > 0
