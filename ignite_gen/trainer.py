"""The Trainer: one Ignite Engine driving an Updater, with Chainer-style extensions."""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ignite.engine import Engine, Events

from . import snapshot as snapshot_io
from .errors import UserError
from .extension import Extension, make_extension
from .reporter import Reporter, _reporters
from .run_lock import RunLock
from .triggers import IntervalTrigger, TriggerLike, get_trigger
from .updaters.base import Updater

__all__ = ["Trainer"]


@dataclass
class _Entry:
    extension: Extension
    trigger: Callable[[Trainer], bool]
    priority: int
    order: int

    @property
    def every_iteration(self) -> bool:
        # Most extensions run every iteration; skipping their trigger call saves a
        # measurable share of the per-iteration overhead.
        every = (getattr(self.trigger, "period", None), getattr(self.trigger, "unit", None))
        return isinstance(self.trigger, IntervalTrigger) and every == (1, "iteration")


class Trainer:
    """Runs ``updater`` until ``stop_trigger`` fires, calling extensions as they trigger.

    The Ignite engine is ``trainer.engine``: any Ignite handler or metric can attach to
    it. Extensions run after each iteration whose trigger fires, writers before
    editors before readers. ``resume`` is a snapshot path, or ``"auto"`` for the newest
    snapshot in ``out`` (a fresh start when there is none).

    Example:
        >>> trainer = Trainer(updater, stop_trigger=(25, "epoch"), out="result")
        >>> trainer.extend(LogReport())
        >>> trainer.run()
    """

    def __init__(
        self,
        updater: Updater,
        stop_trigger: TriggerLike = (1, "epoch"),
        out: str | Path = "result",
        extensions: list[Extension] | None = None,
        resume: str | Path | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.updater = updater
        self.out = Path(out)
        self.stop_trigger = get_trigger(stop_trigger)
        self.resume = resume
        #: Saved in every snapshot: hyper-parameters, the command line, anything a user
        #: wants to find again when inspecting a snapshot.
        self.metadata: dict[str, Any] = {"argv": list(sys.argv), **(metadata or {})}
        self.observation: dict[str, Any] = {}
        self.reporter = Reporter()
        self._entries: dict[str, _Entry] = {}
        self._ordered: list[_Entry] = []
        self._dispatch: list[tuple[Extension, Callable[[Trainer], bool] | None]] = []
        self._elapsed_before = 0.0
        self._start: float | None = None
        self._stop_by_trigger = False
        self.resumed_from: Path | None = None
        # A plain Engine, not DeterministicEngine: the data loader restores its own
        # position and the snapshot restores every RNG, so a resume is exact at any
        # iteration without the per-epoch reseeding DeterministicEngine imposes.
        self.engine = Engine(self._process)
        # Ignite logs every exception before re-raising it; the trainer re-raises too,
        # so under the package's logger (a NullHandler unless the user configures
        # logging) a user mistake stays one line instead of three.
        self.engine.logger = logging.getLogger(f"{__name__}.engine")
        self.engine.add_event_handler(Events.ITERATION_COMPLETED, self._run_extensions)
        for extension in extensions or []:
            self.extend(extension)

    # -- counters ---------------------------------------------------------------------
    @property
    def iteration(self) -> int:
        """Iterations completed."""
        return self.engine.state.iteration

    @property
    def epoch_length(self) -> int:
        """Iterations per epoch."""
        return self.engine.state.epoch_length or self.updater.epoch_length

    @property
    def epoch(self) -> int:
        """Epochs completed (Chainer's meaning, not Ignite's 1-based current epoch)."""
        return self.iteration // self.epoch_length

    @property
    def epoch_detail(self) -> float:
        """Epochs completed, with the fraction of the current one."""
        return self.iteration / self.epoch_length

    @property
    def is_new_epoch(self) -> bool:
        """Whether the iteration just finished ended an epoch."""
        return self.iteration % self.epoch_length == 0

    @property
    def is_finished(self) -> bool:
        """Whether the stop trigger's epoch or iteration limit is reached (after a resume)."""
        state = self.engine.state
        if state.max_iters is not None:
            limit = state.max_iters
        else:
            limit = (state.max_epochs or 0) * (state.epoch_length or self.updater.epoch_length)
        return 0 < limit <= self.iteration

    @property
    def elapsed_time(self) -> float:
        """Seconds of training so far, including the runs before a resume."""
        if self._start is None:
            return self._elapsed_before
        return self._elapsed_before + time.perf_counter() - self._start

    # -- extensions -------------------------------------------------------------------
    def extend(
        self,
        extension: Extension | Callable[[Trainer], Any],
        name: str | None = None,
        trigger: TriggerLike = None,
        priority: int | None = None,
    ) -> None:
        """Register an extension (an :class:`Extension` or a plain ``f(trainer)``)."""
        if not isinstance(extension, Extension):
            extension = make_extension()(extension)
        name = name or extension.name or extension.default_name
        if name in self._entries:
            suffix = 1
            while f"{name}_{suffix}" in self._entries:
                suffix += 1
            name = f"{name}_{suffix}"
        entry = _Entry(
            extension,
            get_trigger(trigger if trigger is not None else extension.trigger),
            extension.priority if priority is None else priority,
            len(self._entries),
        )
        self._entries[name] = entry
        ordered = sorted(self._entries.values(), key=lambda e: (-e.priority, e.order))
        self._ordered = ordered
        self._dispatch = [(e.extension, None if e.every_iteration else e.trigger) for e in ordered]

    def get_extension(self, name: str) -> Extension:
        """The extension registered as ``name``."""
        return self._entries[name].extension

    @property
    def extensions(self) -> dict[str, Extension]:
        """Registered extensions by name, in registration order."""
        return {name: entry.extension for name, entry in self._entries.items()}

    # -- running ----------------------------------------------------------------------
    def _process(self, engine: Engine, batch: Any) -> None:
        self.observation = self.reporter.observation = {}
        self.updater.update(batch)

    def _run_extensions(self, engine: Engine) -> None:
        for extension, trigger in self._dispatch:
            if trigger is None or trigger(self):
                extension(self)
        if self._stop_by_trigger and self.stop_trigger(self):
            engine.terminate()

    def _run_arguments(self) -> dict[str, int]:
        trigger = self.stop_trigger
        self._stop_by_trigger = False
        if isinstance(trigger, IntervalTrigger):
            if trigger.unit == "epoch" and float(trigger.period).is_integer():
                return {"max_epochs": int(trigger.period)}
            length = self.updater.epoch_length
            factor = length if trigger.unit == "epoch" else 1
            return {"max_iters": math.ceil(trigger.period * factor)}
        self._stop_by_trigger = True
        limit = getattr(trigger, "max_trigger", None)
        if isinstance(limit, IntervalTrigger) and limit.unit == "epoch":
            return {"max_epochs": math.ceil(limit.period)}
        return {"max_epochs": 2**31 - 1}

    def run(self) -> int:
        """Train until the stop trigger fires, resuming first if ``resume`` was given.

        Returns the number of iterations this call ran (0 when a resumed run was complete).
        """
        self.out.mkdir(parents=True, exist_ok=True)
        with RunLock(self.out):
            arguments = self._run_arguments()
            self._maybe_resume(arguments)
            if self.is_finished:
                return 0
            first = self.iteration
            for entry in self._ordered:
                entry.extension.initialize(self)
            _reporters.append(self.reporter)
            self._start = time.perf_counter()
            try:
                self.engine.run(self.updater.iterator, **arguments)
            except BaseException as error:
                for entry in self._ordered:
                    entry.extension.on_error(self, error, error.__traceback__)
                raise
            finally:
                self._elapsed_before = self.elapsed_time
                self._start = None
                _reporters.remove(self.reporter)
                for entry in self._ordered:
                    entry.extension.finalize(self)
        return self.iteration - first

    def _maybe_resume(self, arguments: dict[str, int]) -> None:
        if self.resume is None:
            return
        if str(self.resume) == "auto":
            path = snapshot_io.latest_snapshot(self.out)
            if path is None:
                return
        else:
            path = Path(self.resume)
        payload = snapshot_io.read_snapshot(path)
        try:
            self.load_state_dict(payload)
        except UserError as error:
            raise UserError(f"{path}: {error}") from None
        iteration, length = payload["trainer"]["iteration"], payload["trainer"]["epoch_length"]
        if length != self.updater.epoch_length:
            raise UserError(
                f"{path}: taken with {length} iterations per epoch, this run has "
                f"{self.updater.epoch_length}; resume with the same data and batch size"
            )
        # A snapshot past the requested end counts as finished rather than an Ignite error.
        limits = {"max_epochs": math.ceil(iteration / length), "max_iters": iteration}
        reached = {key: max(value, limits[key]) for key, value in arguments.items()}
        self.engine.load_state_dict({"iteration": iteration, "epoch_length": length, **reached})
        snapshot_io.restore_rng(payload["rng"])
        # The original run's metadata carries over; this run's own settings win.
        for key, value in snapshot_io.run_metadata(payload).items():
            self.metadata.setdefault(key, value)
        self.resumed_from = path

    # -- state ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything an exact resume needs, except RNG states (see :meth:`save`)."""
        extensions = {}
        for name, entry in self._entries.items():
            state = {"extension": entry.extension.state_dict()}
            if hasattr(entry.trigger, "state_dict"):
                state["trigger"] = entry.trigger.state_dict()
            extensions[name] = state
        stop = getattr(self.stop_trigger, "state_dict", None)
        return {
            "updater": self.updater.state_dict(),
            "trainer": {
                "iteration": self.iteration,
                "epoch_length": self.epoch_length,
                "elapsed_time": self.elapsed_time,
                "stop_trigger": stop() if stop else None,
            },
            "extensions": extensions,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` into this trainer's updater and extensions."""
        self.updater.load_state_dict(state["updater"])
        trainer_state = state["trainer"]
        self._elapsed_before = trainer_state["elapsed_time"]
        if trainer_state["stop_trigger"] is not None and hasattr(
            self.stop_trigger, "load_state_dict"
        ):
            self.stop_trigger.load_state_dict(trainer_state["stop_trigger"])
        for name, saved in state["extensions"].items():
            entry = self._entries.get(name)
            if entry is None:
                continue
            entry.extension.load_state_dict(saved["extension"])
            if "trigger" in saved and hasattr(entry.trigger, "load_state_dict"):
                entry.trigger.load_state_dict(saved["trigger"])

    def save(self, path: str | Path) -> Path:
        """Write a snapshot of the whole trainer to ``path`` atomically."""
        return snapshot_io.write_trainer_snapshot(self, Path(path))
