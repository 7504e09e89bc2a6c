"""Settings and trainers of the training methods, for the CLI, benchmarks and tests alike."""

from __future__ import annotations

import argparse
from collections.abc import Collection
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch

from .. import extensions
from ..errors import ArgumentError
from ..snapshot import latest_snapshot, read_snapshot
from ..trainer import Trainer
from ..updaters import resolve_device
from .catalog import get_method
from .method import Run
from .options import configure_parser, hparams_of, prepare_process, seed_rank
from .resuming import resumed_history, resumed_settings

__all__ = ["build_run", "build_trainer", "settings"]


def settings(method: str, **overrides: Any) -> argparse.Namespace:
    """The settings of ``ignite-gen train METHOD`` with no options given, then
    ``overrides`` (option names with underscores: ``batch_size=32``).

    Example:
        >>> settings("gan", epochs=2, max_images=512).lr
        0.0002
    """
    parser = argparse.ArgumentParser(prog=f"ignite-gen train {method}")
    configure_parser(parser, get_method(method))
    values = parser.parse_args([])
    unknown = sorted(set(overrides) - set(vars(values)))
    if unknown:
        raise ArgumentError(
            f"settings({method!r}): no option {', '.join(unknown)}; "
            f"{method} has {', '.join(sorted(vars(values)))}"
        )
    for key, value in overrides.items():
        setattr(values, key, value)
    return values


def _device(settings: argparse.Namespace) -> torch.device:
    """``settings.device``; under ``torch.distributed`` "cuda" is this process's GPU."""
    device = resolve_device(settings.device)
    if device.type == "cuda" and idist.get_world_size() > 1:
        return idist.device()
    return device


def build_run(settings: argparse.Namespace) -> Run:
    """Seed the process and build the method's :class:`Run` (networks, optimizers,
    data, updater, metrics) on ``settings.device``.

    Under ``torch.distributed`` (``idist.Parallel``, torchrun) every process builds from
    ``settings.seed``, so all start from the same weights, then draws its own noise
    from generators reseeded ``seed + rank`` (:func:`~.options.seed_rank`); with
    ``device`` "cuda" each process takes its own GPU, ``cuda:<local rank>``.

    Example:
        >>> run = build_run(settings("gan", max_images=512))
    """
    prepare_process(settings.seed)
    run = get_method(settings.method).build(settings, _device(settings))
    seed_rank(settings.seed)
    return run


def build_trainer(
    settings: argparse.Namespace,
    resume: str | Path | None = None,
    given: Collection[str] | None = None,
) -> tuple[Trainer, Run]:
    """The trainer ``ignite-gen train`` runs for ``settings`` (from :func:`settings` or
    the command line), resuming from the snapshot ``resume`` (``"auto"``: the newest in
    ``settings.out``) when given, and the method's run.

    A resumed run continues as it was started (:mod:`~.resuming`): the settings not in
    ``given`` (names; None: all of them) take the snapshot's values, a changed setting
    that a resume cannot change or changed training data is a :class:`UserError`
    before anything is written, and the changes it may make are recorded in the
    metadata's ``settings_history``.

    Around the method's own extensions every run gets: a non-finite check, a JSON
    Lines log, a warning when a loss explodes, a printed table, ``loss.png`` and the
    method's plots, a snapshot each epoch (``n_retains`` kept) and, unless
    ``no_progress``, a progress bar.

    Example:
        >>> trainer, _ = build_trainer(settings("cvae", epochs=3, out=Path("cvae")))
        >>> trainer.run()  # doctest: +SKIP
    """
    path = latest_snapshot(settings.out) if str(resume) == "auto" else resume
    payload = None if path is None else read_snapshot(path, mmap=True, verify=False)
    if payload is not None:
        settings = resumed_settings(settings, payload, given)
    run = build_run(settings)
    history = [] if payload is None else resumed_history(payload, settings, run.data_fingerprint)
    trainer = Trainer(
        run.updater,
        (settings.epochs, "epoch"),
        out=settings.out,
        resume=path,
        metadata={
            "hparams": hparams_of(settings),
            "world_size": idist.get_world_size(),
            "data_fingerprint": run.data_fingerprint,
            "settings_history": history,
            **run.metadata,
        },
    )
    trainer.extend(extensions.FailOnNonNumber())
    for extension in run.extensions:
        trainer.extend(extension)
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.WarnOnExplodingLoss())
    trainer.extend(extensions.PrintReport(["epoch", "iteration", *run.columns, "elapsed_time"]))
    for filename, keys in run.plots.items():
        trainer.extend(extensions.PlotReport(list(keys), filename=filename))
    trainer.extend(extensions.snapshot(n_retains=settings.n_retains))
    if not settings.no_progress:
        trainer.extend(extensions.ProgressBar())
    return trainer, run
