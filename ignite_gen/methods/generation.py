"""What every image-generating method reports: sample quality, image grids, plots."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from .. import extensions
from ..extensions.sample_quality import score_generator
from ..trainer import Trainer
from ..updaters.base import Updater
from .method import Run
from .option_types import decay_rate, sample_count_or_off
from .options import add_precision_argument

__all__ = ["add_generator_arguments", "generator_run", "quality_line"]


def add_generator_arguments(parser: argparse.ArgumentParser, ema: bool = True) -> None:
    """``--ema-decay`` (unless not ``ema``), ``--precision`` and ``--metric-samples``:
    the options of every image-generating method."""
    if ema:
        parser.add_argument(
            "--ema-decay",
            type=decay_rate,
            default=None,
            help="keep an EMA of the generator (e.g. 0.999); grids, samples and metrics use it",
        )
    add_precision_argument(parser)
    parser.add_argument(
        "--metric-samples",
        type=sample_count_or_off,
        default=1000,
        metavar="N",
        help="samples for the per-epoch FID, IS and digit coverage; 0 skips them (default 1000)",
    )


def quality_line(scores: Mapping[str, float]) -> str:
    """``FID 31.2, IS 8.10, 10/10 digits``."""
    return f"FID {scores['fid']:.1f}, IS {scores['is']:.2f}, {scores['coverage']:.0f}/10 digits"


def generator_run(
    updater: Updater,
    settings: argparse.Namespace,
    losses: Sequence[str],
    generator: str = "gen",
    metrics: Sequence[Any] = (),
    metric_keys: Sequence[str] = (),
) -> Run:
    """The :class:`Run` of a method that makes MNIST images with ``generator``: its
    ``losses`` printed and plotted, FID, IS and digit coverage of
    ``settings.metric_samples`` samples each epoch (with the untrained generator's
    scores recorded before a new run starts), a grid of samples each epoch, and the
    method's own ``metrics`` extensions reporting ``metric_keys``.

    Example:
        >>> run = generator_run(updater, settings("gan"), ["dis/loss", "gen/loss"])
    """
    n, seed = settings.metric_samples, settings.seed
    quality: list[Any] = []
    columns = [*losses]
    plots: dict[str, list[str]] = {"loss.png": list(losses)}
    on_new_run = summary = None
    if n:
        quality.append(extensions.SampleQuality(generator, n=n, seed=seed))
        columns += [f"{generator}/fid", f"{generator}/coverage"]
        plots["fid.png"] = [f"{generator}/fid"]

        def on_new_run(trainer: Trainer) -> str:
            # The untrained generator's scores: the yardstick for how far training got.
            initial = score_generator(trainer.updater.models[generator], n, seed)
            trainer.metadata["initial_quality"] = initial
            return f"untrained generator: {quality_line(initial)}"

        def summary(trainer: Trainer, record: Mapping[str, Any]) -> str:
            final = {key: record[f"{generator}/{key}"] for key in ("fid", "is", "coverage")}
            line = f"final generator: {quality_line(final)}"
            initial = trainer.metadata.get("initial_quality")
            return line if initial is None else f"{line} (untrained: FID {initial['fid']:.1f})"

    columns += metric_keys
    if metric_keys:
        plots["metrics.png"] = list(metric_keys)
    return Run(
        updater,
        extensions=[*quality, *metrics, extensions.ImageGrid(generator)],
        columns=columns,
        plots=plots,
        on_new_run=on_new_run,
        summary=summary,
    )
