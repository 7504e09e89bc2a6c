"""``ignite-gen train METHOD``: one sub-command per training method of
:mod:`ignite_gen.methods`, which defines each one's options, networks and metrics;
``--nproc-per-node`` and the other launch options spread it over processes
(:mod:`ignite_gen.distributed`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import cast

import ignite.distributed as idist

from .. import extensions
from ..distributed import Launch, launch, plan_launch
from ..errors import UserError
from ..methods import METHODS, build_trainer
from ..methods.options import configure_parser
from ..run_lock import RunLock, make_output_dir
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


def _check_run(args: argparse.Namespace, plan: Launch) -> Path | None:
    """The snapshot to resume from (the newest in --out with --resume), after refusing
    an unusable or busy --out, a run to overwrite, or one of another kind or another
    number of processes to continue. Only the machine of rank 0 prepares --out."""
    if plan.first_rank == 0:
        make_output_dir(args.out, "--out")
        if plan.spawns:
            # A busy --out is refused here, before any process starts.
            with RunLock(args.out):
                pass
    latest = latest_snapshot(args.out)
    if latest is None:
        return None
    if not args.resume:
        raise UserError(
            f"{args.out}/ already holds snapshots; add --resume to continue that run "
            "or choose another --out"
        )
    check_same_run(args, latest, plan.world_size)
    return latest


def run(args: argparse.Namespace) -> None:
    """The ``train`` handler: check the settings here, then train in every process."""
    plan = plan_launch(args)
    latest = _check_run(args, plan)
    launch(_train, plan, args, latest)


def _train(args: argparse.Namespace, latest: Path | None) -> None:
    """One process's share: build the method's trainer, run it; rank 0 reports."""
    try:
        _train_and_report(args, latest, idist.get_rank() == 0)
    except OSError as error:
        if idist.get_world_size() == 1 or isinstance(error, BrokenPipeError):
            raise  # the command line's handler says it in one line
        from . import describe_os_error  # the package imports this module

        raise UserError(describe_os_error(error)) from None


def _train_and_report(args: argparse.Namespace, latest: Path | None, lead: bool) -> None:
    trainer, method_run = build_trainer(args, resume=latest)
    if latest is None and method_run.on_new_run is not None:
        # Every process scores its share of the untrained samples (a collective).
        line = method_run.on_new_run(trainer)
        if lead:
            print(line)
    if trainer.run() == 0:
        if lead:
            print(
                f"already complete: {args.out}/ holds {trainer.epoch} epochs; "
                "raise --epochs to train further"
            )
        return
    if not lead:
        return
    print(
        f"done: {trainer.epoch} epochs, {trainer.iteration} iterations in "
        f"{trainer.elapsed_time:.1f} s; outputs in {args.out}/"
    )
    if method_run.summary is not None:
        log_report = cast(extensions.LogReport, trainer.get_extension("LogReport"))
        print(method_run.summary(trainer, log_report.log[-1]))
