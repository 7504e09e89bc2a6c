"""``ignite-gen train METHOD``: one sub-command per training method of
:mod:`ignite_gen.methods`, which defines each one's options, networks and metrics."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import cast

from .. import extensions
from ..errors import UserError
from ..methods import METHODS, build_trainer
from ..methods.options import configure_parser
from ..run_lock import make_output_dir
from ..snapshot import latest_snapshot
from .common import check_same_run

__all__ = ["add_parser", "run"]

_OUTPUTS = (
    " Writes log.jsonl, loss.png, the per-epoch images or translations and "
    "snapshot_epoch_NNNN.pt into --out."
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "train", help="train a model", description="Train a model; see each method's --help."
    )
    methods = parser.add_subparsers(dest="method", metavar="METHOD", required=True)
    for method in METHODS.values():
        sub = methods.add_parser(
            method.name, help=method.help, description=method.description + _OUTPUTS
        )
        configure_parser(sub, method)
        sub.set_defaults(handler=run)


def _check_run(args: argparse.Namespace) -> Path | None:
    """The snapshot to resume from (the newest in --out with --resume), after refusing
    an unusable --out, a run to overwrite, or one of another kind to continue."""
    make_output_dir(args.out, "--out")
    latest = latest_snapshot(args.out)
    if latest is None:
        return None
    if not args.resume:
        raise UserError(
            f"{args.out}/ already holds snapshots; add --resume to continue that run "
            "or choose another --out"
        )
    check_same_run(args, latest)
    return latest


def run(args: argparse.Namespace) -> None:
    """The ``train`` handler: build the method's trainer, run it, report the outcome."""
    latest = _check_run(args)
    trainer, method_run = build_trainer(args, resume=latest)
    if latest is None and method_run.on_new_run is not None:
        print(method_run.on_new_run(trainer))
    if trainer.run() == 0:
        print(
            f"already complete: {args.out}/ holds {trainer.epoch} epochs; "
            "raise --epochs to train further"
        )
        return
    print(
        f"done: {trainer.epoch} epochs, {trainer.iteration} iterations in "
        f"{trainer.elapsed_time:.1f} s; outputs in {args.out}/"
    )
    if method_run.summary is not None:
        log_report = cast(extensions.LogReport, trainer.get_extension("LogReport"))
        print(method_run.summary(trainer, log_report.log[-1]))
