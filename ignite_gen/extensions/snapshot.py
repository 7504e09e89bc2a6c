"""Snapshot extensions: the whole trainer, or one object, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import ignite.distributed as idist
from torch import nn

from ..extension import Extension
from ..snapshot import atomic_save

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["snapshot", "snapshot_object"]

# Below every reader, so a snapshot holds what LogReport and the others did this iteration.
PRIORITY_SNAPSHOT = -100


def _format(template: str, trainer: Trainer) -> str:
    return template.format(trainer, epoch=trainer.epoch, iteration=trainer.iteration)


class _Snapshot(Extension):
    priority = PRIORITY_SNAPSHOT

    def __init__(self, filename: str, n_retains: int | None, trigger: TriggerLike) -> None:
        if n_retains is not None and n_retains < 1:
            raise ValueError("n_retains must be at least 1")
        self.filename = filename
        self.n_retains = n_retains
        self.trigger = trigger
        self.written: list[str] = []

    @property
    def default_name(self) -> str:
        return "snapshot"

    def write(self, trainer: Trainer, path: Path) -> None:
        trainer.save(path)

    def __call__(self, trainer: Trainer) -> None:
        if idist.get_rank() != 0:  # every rank holds the same weights; one writes them
            return
        path = trainer.out / _format(self.filename, trainer)
        self.write(trainer, path)
        if path.name in self.written:
            self.written.remove(path.name)
        self.written.append(path.name)
        # Old files go only after the new one is in place.
        while self.n_retains is not None and len(self.written) > self.n_retains:
            (trainer.out / self.written.pop(0)).unlink(missing_ok=True)

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
    def __init__(self, target: nn.Module | Any, filename: str, n_retains, trigger) -> None:
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
