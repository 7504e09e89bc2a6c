"""``ignite-gen train METHOD``: one sub-command per training method of
:mod:`ignite_gen.methods`, which defines each one's options, networks and metrics;
``--nproc-per-node`` and the other launch options spread it over processes
(:mod:`ignite_gen.distributed`)."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import cast

import ignite.distributed as idist

from .. import extensions
from ..argument_checks import counted
from ..distributed import launch, plan_launch
from ..errors import UserError
from ..methods import METHODS, build_trainer
from ..methods.options import configure_parser
from ..methods.resuming import resumed_settings
from ..run_lock import RunLock, output_dir
from ..snapshot import latest_snapshot, read_snapshot
from ..trainer.resume import check_world_size
from .common import GivenOptions

__all__ = ["add_parser", "run"]

_OUTPUTS = (
    " Writes log.jsonl, loss.png, the per-epoch images or translations and "
    "snapshot_epoch_NNNN.pt into --out."
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "train", help="train a model", description="Train a model; see each method's --help."
    )
    methods = parser.add_subparsers(
        dest="method", metavar="METHOD", required=True, action=GivenOptions
    )
    for method in METHODS.values():
        sub = methods.add_parser(
            method.name, help=method.help, description=method.description + _OUTPUTS
        )
        configure_parser(sub, method)
        sub.set_defaults(handler=run)


def _snapshot_to_resume(args: argparse.Namespace) -> Path | None:
    """The newest snapshot in --out, which only --resume continues."""
    latest = latest_snapshot(args.out)
    if latest is not None and not args.resume:
        raise UserError(
            f"{args.out}/ already holds snapshots; add --resume to continue that run "
            "or choose another --out"
        )
    return latest


def run(args: argparse.Namespace) -> None:
    """The ``train`` handler: check the settings here, then train in every process.

    A resumed run takes the settings the command line did not give from its snapshot;
    a refused one (another method, a setting a resume cannot change, another number of
    processes) writes nothing. Only the machine of rank 0 prepares --out, refusing an
    unusable or busy one before any process starts; when the run fails before writing
    anything into an --out this command made, the directory goes again."""
    latest = _snapshot_to_resume(args)
    payload = None if latest is None else read_snapshot(latest, mmap=True, verify=False)
    if payload is not None:
        args = resumed_settings(args, payload, args.given)
    plan = plan_launch(args)
    if latest is not None and payload is not None:
        check_world_size(payload, latest, plan.world_size)
    lead = plan.first_rank == 0
    with output_dir(args.out, "--out") if lead else contextlib.nullcontext():
        if lead and plan.spawns:
            with RunLock(args.out):
                pass
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
                f"already complete: {args.out}/ holds {counted(trainer.epoch, 'epoch')}; "
                "raise --epochs to train further"
            )
        return
    if not lead:
        return
    print(
        f"done: {counted(trainer.epoch, 'epoch')}, {counted(trainer.iteration, 'iteration')} in "
        f"{trainer.elapsed_time:.1f} s; outputs in {args.out}/"
    )
    if method_run.summary is not None:
        log_report = cast(extensions.LogReport, trainer.get_extension("LogReport"))
        print(method_run.summary(trainer, log_report.log[-1]))
