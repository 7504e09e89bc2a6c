"""Snapshot extensions: the whole trainer, or one object, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import ignite.distributed as idist
from torch import nn

from ..argument_checks import template
from ..atomic import DiskError
from ..errors import ArgumentError, ArgumentTypeError
from ..extension import Extension
from ..snapshot import atomic_save, share_rng
from ..triggers import get_trigger

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["snapshot", "snapshot_object"]

# Below every reader. The file itself is written after all extensions and the stop
# trigger of the iteration (Trainer.at_iteration_end), whatever their priority.
PRIORITY_SNAPSHOT = -100


def _format(template: str, trainer: Trainer) -> str:
    return template.format(trainer, epoch=trainer.epoch, iteration=trainer.iteration)


class _Snapshot(Extension):
    priority = PRIORITY_SNAPSHOT
    #: Whole-trainer snapshots hold every process's random state, gathered to rank 0.
    shares_rng = True

    def __init__(self, filename: str, n_retains: int | None, trigger: TriggerLike) -> None:
        if n_retains is not None and (
            isinstance(n_retains, bool) or not isinstance(n_retains, int) or n_retains < 1
        ):
            raise ArgumentError(f"n_retains must be None or an int >= 1, got {n_retains!r}")
        self.filename = template(filename)
        self.n_retains = n_retains
        self.trigger = get_trigger(trigger, "trigger")
        self.written: list[str] = []

    @property
    def default_name(self) -> str:
        return "snapshot"

    def write(self, trainer: Trainer, path: Path) -> None:
        trainer.save(path)

    def __call__(self, trainer: Trainer) -> None:
        if self.shares_rng:  # a collective: every process hands rank 0 its random state
            trainer.at_iteration_end(share_rng)
        if idist.get_rank() != 0:  # every rank holds the same weights; one writes them
            return
        trainer.at_iteration_end(lambda: self._write(trainer))

    def _write(self, trainer: Trainer) -> None:
        path = trainer.out / _format(self.filename, trainer)
        before = self.written
        # The snapshot lists itself, so a run resumed from it deletes it in its turn.
        self.written = [name for name in before if name != path.name] + [path.name]
        try:
            self.write(trainer, path)
        except BaseException as error:
            self.written = before
            if isinstance(error, DiskError):
                raise DiskError(f"{error}; {self._survivor(trainer.out)}") from error
            raise
        self._retain(trainer.out)

    def _survivor(self, out: Path) -> str:
        """What a failed write left to resume from: the newest file written before."""
        kept = [out / name for name in self.written if (out / name).exists()]
        if not kept:
            return "no snapshot was written before this one"
        return f"the previous snapshot, {kept[-1]}, is intact"

    def _retain(self, out: Path) -> None:
        # Old files go only after the new one is in place.
        excess = 0 if self.n_retains is None else max(0, len(self.written) - self.n_retains)
        for name in self.written[:excess]:
            (out / name).unlink(missing_ok=True)
        self.written = self.written[excess:]

    def on_resume(self, trainer: Trainer) -> None:
        # A run killed between writing a snapshot and deleting the old ones left them,
        # even when that snapshot was the run's last.
        if idist.get_rank() == 0:
            self._retain(trainer.out)

    def state_dict(self) -> dict[str, Any]:
        return {"written": list(self.written)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.written = list(state["written"])


def snapshot(
    filename: str = "snapshot_epoch_{epoch:04d}.pt",
    n_retains: int | None = None,
    trigger: TriggerLike = (1, "epoch"),
) -> Extension:
    """Save the whole trainer (for exact resume and inspection) to ``out/filename``.

    ``filename`` is formatted with ``epoch``, ``iteration`` and the trainer; only the
    newest ``n_retains`` files are kept.

    Example:
        >>> trainer.extend(snapshot(n_retains=3))
    """
    return _Snapshot(filename, n_retains, trigger)


class _ObjectSnapshot(_Snapshot):
    shares_rng = False

    def __init__(
        self, target: nn.Module | Any, filename: str, n_retains: int | None, trigger: TriggerLike
    ) -> None:
        if not callable(getattr(target, "state_dict", None)):
            raise ArgumentTypeError(
                f"snapshot_object: target must have a state_dict() (a model, an optimizer), "
                f"got {target!r:.60}"
            )
        super().__init__(filename, n_retains, trigger)
        self.target = target

    @property
    def default_name(self) -> str:
        return f"snapshot_object_{type(self.target).__name__}"

    def write(self, trainer: Trainer, path: Path) -> None:
        atomic_save(self.target.state_dict(), path)


def snapshot_object(
    target: nn.Module | Any,
    filename: str,
    n_retains: int | None = None,
    trigger: TriggerLike = (1, "epoch"),
) -> Extension:
    """Save ``target.state_dict()`` (a model, an optimizer) to ``out/filename``.

    Example:
        >>> trainer.extend(snapshot_object(gen, "gen_epoch_{epoch:04d}.pt"))
    """
    return _ObjectSnapshot(target, filename, n_retains, trigger)
