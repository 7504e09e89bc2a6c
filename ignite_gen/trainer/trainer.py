"""The Trainer: one Ignite Engine driving an Updater, with Chainer-style extensions."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ignite.engine import Engine, State

from .. import snapshot as snapshot_io
from ..errors import ArgumentTypeError
from ..extension import Extension, make_extension
from ..reporter import Reporter, _reporters
from ..run_lock import RunLock, make_output_dir
from ..triggers import IntervalTrigger, TriggerLike, fixed_interval, get_trigger
from ..updaters.base import Updater
from .resume import resume_trainer
from .run_limits import run_limits

__all__ = ["Trainer"]


class _QuietEngine(Engine):
    """Ignite's Engine, skipping the events that have no handler.

    Ignite formats a debug message for every event it fires, even with debug logging
    off, and fires four per iteration, which usually have no handler (the trainer runs
    its extensions from the process function): formatting them is a large share of the
    per-iteration cost.
    """

    _debug = False

    def run(self, *args: Any, **kwargs: Any) -> Any:
        self._debug = self.logger.isEnabledFor(logging.DEBUG)
        return super().run(*args, **kwargs)

    def _fire_event(self, event_name: Any, *event_args: Any, **event_kwargs: Any) -> None:
        if self._debug or self._event_handlers[event_name]:
            super()._fire_event(event_name, *event_args, **event_kwargs)
        else:
            self.last_event_name = event_name

    def _maybe_terminate_or_interrupt(self) -> Generator[State, None, None]:
        # Ignite's loop runs ``yield from`` this check four times an iteration, building a
        # generator each time; an exhausted one serves when nothing is requested.
        if self.should_terminate or self.should_terminate_single_epoch or self.should_interrupt:
            return super()._maybe_terminate_or_interrupt()
        return _NOTHING_REQUESTED


def _exhausted() -> Generator[State, None, None]:
    yield from ()


#: ``yield from`` an exhausted generator returns at once, however often it is used.
_NOTHING_REQUESTED = _exhausted()
next(_NOTHING_REQUESTED, None)


@dataclass
class _Entry:
    extension: Extension
    trigger: Callable[[Trainer], bool]
    priority: int
    order: int


class Trainer:
    """Runs ``updater`` until ``stop_trigger`` fires, calling extensions as they trigger.

    The Ignite engine is ``trainer.engine``: any Ignite handler or metric can attach to
    it. Extensions run after each iteration whose trigger fires, writers before
    editors before readers. ``resume`` is a snapshot path, or ``"auto"`` for the newest
    snapshot in ``out`` (a fresh start when there is none).

    Example:
        >>> trainer = Trainer(updater, stop_trigger=(25, "epoch"), out="result")
        >>> trainer.extend(LogReport())
        >>> trainer.run()  # doctest: +SKIP
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
        if not isinstance(updater, Updater):
            raise ArgumentTypeError(f"updater must be an ignite_gen.Updater, got {updater!r:.60}")
        if not isinstance(out, (str, os.PathLike)) or not isinstance(
            resume, (str, os.PathLike, type(None))
        ):
            raise ArgumentTypeError(f"out, resume must be paths, got {out!r:.30}, {resume!r:.30}")
        self.updater = updater
        self.out = Path(out)
        self.stop_trigger = get_trigger(stop_trigger, "stop_trigger")
        self.resume = resume
        #: Saved in every snapshot: hyper-parameters, the command line, anything a user
        #: wants to find again when inspecting a snapshot.
        self.metadata: dict[str, Any] = {"argv": list(sys.argv), **(metadata or {})}
        self.observation: dict[str, Any] = {}
        self.reporter = Reporter()
        self._entries: dict[str, _Entry] = {}
        self._ordered: list[_Entry] = []
        # (extension, its interval in iterations or 0, its trigger), by priority.
        self._dispatch: list[tuple[Extension, int, Callable[[Trainer], bool]]] = []
        self._elapsed_before = 0.0
        self._start: float | None = None
        # An interval stop trigger becomes the engine's limit; any other is called.
        self._stop_by_trigger = not isinstance(self.stop_trigger, IntervalTrigger)
        # Whether the stop trigger fired: a run resumed from its last snapshot is complete.
        self._stopped = False
        # Writes requested during an iteration (see at_iteration_end); None between them.
        self._pending: list[Callable[[], Any]] | None = None
        self.resumed_from: Path | None = None
        # A plain Engine, not DeterministicEngine: the data loader restores its own
        # position and the snapshot restores every RNG, so a resume is exact at any
        # iteration without the per-epoch reseeding DeterministicEngine imposes.
        self.engine: Engine = _QuietEngine(self._process)
        # Ignite logs every exception before re-raising it; the trainer re-raises too,
        # so under the package's logger (a NullHandler unless the user configures
        # logging) a user mistake stays one line instead of three.
        self.engine.logger = logging.getLogger(f"{__name__}.engine")
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
        if self._stopped:
            return True
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
            if not callable(extension):
                raise ArgumentTypeError(
                    "extend: extension must be an Extension or a callable f(trainer), "
                    f"got {extension!r:.60}"
                )
            extension = make_extension()(extension)
        if priority is not None and not isinstance(priority, int):
            raise ArgumentTypeError(f"extend: priority must be an int, got {priority!r:.60}")
        name = name or extension.name or extension.default_name
        if name in self._entries:
            suffix = 1
            while f"{name}_{suffix}" in self._entries:
                suffix += 1
            name = f"{name}_{suffix}"
        entry = _Entry(
            extension,
            get_trigger(trigger if trigger is not None else extension.trigger, "trigger"),
            extension.priority if priority is None else priority,
            len(self._entries),
        )
        self._entries[name] = entry
        ordered = sorted(self._entries.values(), key=lambda e: (-e.priority, e.order))
        self._ordered = ordered
        if self._start is not None:  # extended while running
            self._dispatch = self._dispatch_table()

    def _dispatch_table(self) -> list[tuple[Extension, int, Callable[[Trainer], bool]]]:
        # Interval triggers, nearly all of them, become a modulo on the hot path instead
        # of a call; the epoch length they need is known once the run starts.
        epoch_length = self.epoch_length
        return [
            (e.extension, fixed_interval(e.trigger, epoch_length), e.trigger) for e in self._ordered
        ]

    def get_extension(self, name: str) -> Extension:
        """The extension registered as ``name``."""
        return self._entries[name].extension

    @property
    def extensions(self) -> dict[str, Extension]:
        """Registered extensions by name, in registration order."""
        return {name: entry.extension for name, entry in self._entries.items()}

    # -- running ----------------------------------------------------------------------
    def _process(self, engine: Engine, batch: Any) -> None:
        # The extensions run here rather than from an ITERATION_COMPLETED handler: Ignite
        # then fires that event to the user's handlers only, after the extensions, and
        # skips it (see _QuietEngine) when there are none.
        self.observation = self.reporter.observation = {}
        self.updater.update(batch)
        self._run_extensions(engine)

    def at_iteration_end(self, action: Callable[[], Any]) -> None:
        """Run ``action()`` once every extension and the stop trigger of this iteration
        are done (at once outside an iteration). Snapshots write through it, so they hold
        every state as of the end of their iteration; an error in the iteration drops it.

        Example:
            >>> trainer.at_iteration_end(lambda: trainer.save(trainer.out / "now.pt"))
        """
        if self._pending is None:
            action()
        else:
            self._pending.append(action)

    def _run_extensions(self, engine: Engine) -> None:
        pending: list[Callable[[], Any]] = []
        self._pending = pending
        iteration = engine.state.iteration
        try:
            for extension, every, trigger in self._dispatch:
                if iteration % every == 0 if every else trigger(self):
                    extension(self)
            self._stopped = self._stop_by_trigger and bool(self.stop_trigger(self))
            for action in pending:
                action()
        finally:
            self._pending = None
        if self._stopped:
            engine.terminate()

    def run(self) -> int:
        """Train until the stop trigger fires, resuming first if ``resume`` was given.

        Returns the number of iterations this call ran (0 when a resumed run was complete).
        """
        make_output_dir(self.out)
        with RunLock(self.out):
            arguments = run_limits(self.stop_trigger, self.updater.epoch_length)
            self.resumed_from = resume_trainer(self, arguments)
            if self.is_finished:
                return 0
            first = self.iteration
            for entry in self._ordered:
                entry.extension.initialize(self)
            _reporters.append(self.reporter)
            self._dispatch = self._dispatch_table()
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
                "stopped": self._stopped,
            },
            "extensions": extensions,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` into this trainer's updater and extensions."""
        self.updater.load_state_dict(state["updater"])
        trainer_state = state["trainer"]
        self._elapsed_before = trainer_state["elapsed_time"]
        # A run its own (non-interval) stop trigger ended stays ended.
        self._stopped = self._stop_by_trigger and trainer_state.get("stopped", False)
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
