"""Trainer semantics: counters, extension order, hooks, stop triggers, Ignite access."""

from __future__ import annotations

import pytest
import torch
from conftest import make_regression_updater
from ignite.engine import Events

from ignite_gen import (
    PRIORITY_EDITOR,
    PRIORITY_READER,
    PRIORITY_WRITER,
    ArgumentError,
    ArgumentTypeError,
    EarlyStoppingTrigger,
    Extension,
    Trainer,
    UserError,
    extensions,
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


def test_ignite_iteration_handlers_fire_after_the_extensions(tmp_path, regression_updater):
    # The extensions run inside the engine's process function, and the engine skips
    # events no handler listens to: handlers added to any iteration event still run.
    calls = []
    trainer = Trainer(regression_updater, (1, "epoch"), out=tmp_path)
    trainer.extend(lambda t: calls.append(("extension", t.iteration)), name="mark")
    for event in (Events.GET_BATCH_STARTED, Events.ITERATION_STARTED, Events.ITERATION_COMPLETED):
        trainer.engine.add_event_handler(
            event, lambda e, name=event.name: calls.append((name, e.state.iteration))
        )
    trainer.engine.add_event_handler(Events.ITERATION_COMPLETED(once=3), lambda e: e.terminate())
    trainer.run()
    assert calls[:4] == [
        ("GET_BATCH_STARTED", 0),
        ("ITERATION_STARTED", 1),
        ("extension", 1),
        ("ITERATION_COMPLETED", 1),
    ]
    assert calls[-1] == ("ITERATION_COMPLETED", 3)
    assert trainer.iteration == 3


def test_debug_logging_sees_every_event(tmp_path, regression_updater, caplog):
    trainer = Trainer(regression_updater, (2, "iteration"), out=tmp_path)
    with caplog.at_level("DEBUG", logger=trainer.engine.logger.name):
        trainer.run()
    fired = [r.getMessage() for r in caplog.records if "Firing handlers" in r.getMessage()]
    for event in ("GET_BATCH_COMPLETED", "ITERATION_STARTED", "ITERATION_COMPLETED"):
        assert sum(event in message for message in fired) == 2, event


def test_an_extension_added_while_running_runs_on_its_trigger(tmp_path, regression_updater):
    seen = []
    trainer = Trainer(regression_updater, (2, "epoch"), out=tmp_path)

    @make_extension(trigger=(1, "epoch"))
    def add_later(t):
        if t.epoch == 1:
            t.extend(lambda t: seen.append(t.iteration), trigger=(2, "iteration"), name="late")

    trainer.extend(add_later)
    trainer.run()
    assert seen == [6, 8, 10]


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


def test_api_mistakes_fail_at_the_call_naming_the_argument(tmp_path, regression_updater):
    with pytest.raises(ArgumentTypeError, match=r"updater must be an ignite_gen\.Updater"):
        Trainer(updater=torch.nn.Linear(2, 2))
    with pytest.raises(ArgumentError, match="stop_trigger: unit 'epochs'"):
        Trainer(regression_updater, stop_trigger=(3, "epochs"))
    with pytest.raises(ArgumentError, match="stop_trigger: period must be positive"):
        Trainer(regression_updater, stop_trigger=(0, "epoch"))
    with pytest.raises(ArgumentTypeError, match=r"stop_trigger must be .* got '3 epochs'"):
        Trainer(regression_updater, stop_trigger="3 epochs")
    with pytest.raises(ArgumentTypeError, match="out, resume must be paths, got 3"):
        Trainer(regression_updater, out=3)
    with pytest.raises(ArgumentTypeError, match="must be paths, got 'result', True"):
        Trainer(regression_updater, resume=True)
    trainer = Trainer(regression_updater, out=tmp_path)
    with pytest.raises(ArgumentTypeError, match="extension must be an Extension or a callable"):
        trainer.extend(42)
    with pytest.raises(ArgumentError, match="trigger: unit 'epochs'"):
        trainer.extend(lambda t: None, trigger=(1, "epochs"))
    with pytest.raises(ArgumentTypeError, match="priority must be an int"):
        trainer.extend(lambda t: None, priority="high")
    assert trainer.extensions == {}


def test_snapshot_template_mistakes_fail_at_construction(tmp_path):
    with pytest.raises(ArgumentError, match=r"unknown field \{epoc\}"):
        extensions.snapshot(filename="snap_{epoc}.pt")
    with pytest.raises(ArgumentError, match=r"unknown field \{iter\}"):
        extensions.snapshot_object(torch.nn.Linear(2, 2), "model_{iter}.pt")
    with pytest.raises(ArgumentError, match="not a valid template"):
        extensions.snapshot(filename="snap_{epoch:04d.pt")
    with pytest.raises(ArgumentError, match="n_retains must be None or an int >= 1, got 0"):
        extensions.snapshot(n_retains=0)
    with pytest.raises(ArgumentTypeError, match="target must have a state_dict"):
        extensions.snapshot_object("gen", "gen_{epoch}.pt")
    # Chainer's templates, attributes of the trainer, stay valid.
    extensions.snapshot(filename="snapshot_iter_{.updater.iteration:06d}.pt")


def test_out_that_is_a_file_is_one_error_before_anything_runs(tmp_path, regression_updater):
    not_a_directory = tmp_path / "notes.txt"
    not_a_directory.write_text("keep me")
    trainer = Trainer(regression_updater, out=not_a_directory)
    with pytest.raises(UserError, match=r"out .*notes\.txt is a file, not a directory"):
        trainer.run()
    assert not_a_directory.read_text() == "keep me"
    assert trainer.iteration == 0
