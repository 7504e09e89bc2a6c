"""Resuming a trainer: find the snapshot, refuse one of another kind of run, restore it."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import ignite.distributed as idist

from .. import snapshot as snapshot_io
from ..argument_checks import counted
from ..errors import UserError

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = [
    "check_same_run",
    "check_world_size",
    "resume_trainer",
    "saved_world_size",
]


def _run_kind(updater_name: Any, optimizers: Any, models: Any) -> dict[str, str]:
    def listed(pairs: dict[str, str]) -> str:
        return ", ".join(f"{name}={value}" for name, value in sorted(pairs.items()))

    return {
        "updater": str(updater_name),
        "optimizers": listed(optimizers) if isinstance(optimizers, dict) else str(optimizers),
        "models": ", ".join(models),
    }


def check_same_run(trainer: Trainer, payload: dict[str, Any], path: Path) -> None:
    """Raise a :class:`UserError` naming both sides when the snapshot at ``path`` was
    taken by another kind of run (updater class, optimizer classes, model names), before
    anything of it is loaded.

    Example:
        >>> check_same_run(trainer, read_snapshot(path), path)  # doctest: +SKIP
    """
    updater = trainer.updater
    here = _run_kind(
        type(updater).__name__,
        {name: type(opt).__name__ for name, opt in updater.optimizers.items()},
        sorted(updater.models),
    )
    metadata = payload.get("metadata", {})
    # Snapshots of older versions lack the recorded classes: only their models compare.
    there = _run_kind(
        metadata.get("updater", here["updater"]),
        metadata.get("optimizers", here["optimizers"]),
        sorted(payload.get("updater", {}).get("models", {})),
    )
    differences = [
        f"{key} {there[key]} in the snapshot, {here[key]} here"
        for key in here
        if here[key] != there[key]
    ]
    if differences:
        raise UserError(
            f"{path}: taken by another kind of run ({'; '.join(differences)}); resume it "
            "with the same updater, optimizers and models, or train this one in another "
            "output directory"
        )


def saved_world_size(payload: dict[str, Any]) -> int | None:
    """How many processes trained the run a snapshot comes from: recorded by
    ``build_trainer``, else the number of random states it holds; None when unknown
    (a hand-built trainer's snapshot without them, whose loader state still says).

    Example:
        >>> saved_world_size(read_snapshot("result/snapshot_epoch_0003.pt")) is None  # hand-built
        True
    """
    recorded = payload.get("metadata", {}).get("world_size")
    if isinstance(recorded, int):
        return recorded
    ranks = payload.get("rng", {}).get("ranks")
    return len(ranks) if ranks is not None else None


def check_world_size(payload: dict[str, Any], path: Path, world_size: int) -> None:
    """Raise a :class:`UserError` when the snapshot at ``path`` comes from a run of
    another number of processes than ``world_size`` (one whose count is unknown passes).

    Example:
        >>> check_world_size(read_snapshot(path), path, idist.get_world_size())
    """
    saved = saved_world_size(payload)
    if saved is not None and saved != world_size:
        raise UserError(
            f"{path}: saved by {counted(saved, 'process', 'processes')}, this run has "
            f"{world_size}; "
            f"resume with nproc_per_node={saved} or use another out="
        )


def _check_processes_agree(payload: dict[str, Any] | None) -> None:
    """Refuse a start where the processes found different snapshots (a collective)."""
    if idist.get_world_size() == 1:
        return
    iteration = -1 if payload is None else int(payload["trainer"]["iteration"])
    found = [int(i) for i in cast(list[float], idist.all_gather(iteration))]
    if len(set(found)) > 1:
        where = ", ".join(
            f"rank {rank} {'starts afresh' if i < 0 else f'at iteration {i}'}"
            for rank, i in enumerate(found)
        )
        raise UserError(
            f"the processes found different snapshots to resume from ({where}); "
            "put the output directory on a filesystem every machine shares"
        )


def _warn_if_position_lost(trainer: Trainer, iteration: int, length: int) -> None:
    iterator = trainer.updater.iterator
    if iteration % length == 0 or hasattr(iterator, "load_state_dict"):
        return
    warnings.warn(
        f"resuming at iteration {iteration}, inside epoch {iteration // length + 1}, with a "
        f"{type(iterator).__name__}, which cannot restore its position, so the rest of this "
        "epoch gets other batches than an uninterrupted run; for an exact resume use "
        "ignite_gen's TensorLoader or BucketLoader, or torchdata's StatefulDataLoader",
        stacklevel=4,
    )


def _snapshot_path(trainer: Trainer) -> Path | None:
    if str(trainer.resume) == "auto":
        return snapshot_io.latest_snapshot(trainer.out)
    return Path(trainer.resume) if trainer.resume is not None else None


def resume_trainer(trainer: Trainer, arguments: dict[str, int]) -> Path | None:
    """Restore ``trainer`` from its ``resume`` snapshot, if any, and set its engine to
    continue up to the limits in ``arguments``; returns the snapshot's path.

    Under ``torch.distributed`` every process calls it: they check that they found the
    same snapshot, each loads it and each restores its own random generators."""
    path = _snapshot_path(trainer)
    payload = None if path is None else snapshot_io.read_snapshot(path)
    _check_processes_agree(payload)
    if path is None or payload is None:
        return None
    check_world_size(payload, path, idist.get_world_size())
    check_same_run(trainer, payload, path)
    iteration, length = payload["trainer"]["iteration"], payload["trainer"]["epoch_length"]
    if length != trainer.updater.epoch_length:
        raise UserError(
            f"{path}: taken with {counted(length, 'iteration')} per epoch, this run has "
            f"{trainer.updater.epoch_length}; resume with the same data and batch size"
        )
    try:
        trainer.load_state_dict(payload)
    except UserError as error:
        raise UserError(f"{path}: {error}") from None
    _warn_if_position_lost(trainer, iteration, length)
    # A snapshot past the requested end counts as finished rather than an Ignite error.
    limits = {"max_epochs": math.ceil(iteration / length), "max_iters": iteration}
    reached = {key: max(value, limits[key]) for key, value in arguments.items()}
    trainer.engine.load_state_dict({"iteration": iteration, "epoch_length": length, **reached})
    snapshot_io.restore_rng(payload["rng"])
    # The original run's metadata carries over; what this trainer was given wins
    # (build_trainer gives the settings resumed from it, with their history).
    for key, value in snapshot_io.run_metadata(payload).items():
        trainer.metadata.setdefault(key, value)
    for extension in trainer.extensions.values():
        extension.on_resume(trainer)
    return path
