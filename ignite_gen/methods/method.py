"""A training method: everything ``ignite-gen train NAME`` needs, in one value."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ..trainer import Trainer
from ..updaters.base import Updater
from .fingerprint import loader_fingerprint
from .snapshot_use import SnapshotUse, generator_use

__all__ = ["Method", "Run"]


@dataclass
class Run:
    """What a method builds for one run, before the trainer exists: the updater and the
    extensions, report columns, plots and metadata particular to the method.

    :func:`~ignite_gen.methods.build_trainer` adds what every run shares (a log, a
    printed table, a loss plot, snapshots, a progress bar) around it.

    Example:
        >>> run = Run(updater, extensions=[SampleQuality("gen")], columns=["gen/fid"])
    """

    updater: Updater
    #: Writers (metrics, schedules) and image writers, added before the log.
    extensions: Sequence[Any] = ()
    #: Keys printed each epoch besides epoch, iteration and elapsed time.
    columns: Sequence[str] = ()
    #: PNG plots: file name -> keys.
    plots: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Extra snapshot metadata besides ``hparams`` (plain values only).
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: Called once before a new run's first step (not on resume); returns a line to print.
    on_new_run: Callable[[Trainer], str] | None = None
    #: Turns the last log record of a finished run into a line to print.
    summary: Callable[[Trainer, Mapping[str, Any]], str] | None = None
    #: The :func:`~.fingerprint.fingerprint` of the training data, which a resumed run
    #: must match; by default that of the tensors the updater's loader serves.
    data_fingerprint: str | None = None

    def __post_init__(self) -> None:
        if self.data_fingerprint is None:
            self.data_fingerprint = loader_fingerprint(self.updater.iterator)


@dataclass(frozen=True)
class Method:
    """One way to train, as ``ignite-gen train NAME`` runs it: its options and their
    defaults, and how to build its networks, optimizers, data, updater and metrics.

    ``add_arguments`` declares the method's own options; ``defaults`` overrides
    defaults of shared options (``set_defaults``); ``build(settings, device)`` returns
    the :class:`Run`. ``data`` names the settings that choose the training data (paths,
    which a resumed run may change to a copy of the same content); ``changeable`` the
    method's settings that a resumed run may change besides the shared ones
    (:data:`~ignite_gen.methods.resuming.COMMON_CHANGEABLE`): every other setting
    must keep its snapshot's value. ``snapshot_use(hparams)`` says, from the settings a
    run recorded, what its snapshots are for (:class:`SnapshotUse`): by default a
    generator ``gen`` that ``sample``, ``montage`` and ``evaluate`` take as it is.

    Example:
        >>> from ignite_gen.methods import METHODS
        >>> METHODS["wgan"].defaults["n_critic"]
        5
    """

    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    build: Callable[[argparse.Namespace, torch.device], Run]
    epochs: int = 5
    batch_size: int = 64
    defaults: Mapping[str, object] = field(default_factory=dict)
    data: tuple[str, ...] = ()
    changeable: tuple[str, ...] = ()
    #: The extra arguments, as typed after ``ignite-gen train NAME``, of a run that takes
    #: seconds (few images, narrow networks): the per-method tests train with them.
    tiny: str = ""
    snapshot_use: Callable[[Mapping[str, Any]], SnapshotUse] = generator_use
