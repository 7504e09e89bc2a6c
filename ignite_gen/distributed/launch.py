"""Starting a run's processes through ``idist.Parallel`` (or joining torchrun's), and
turning a process's failure into the command's one line."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import warnings
from collections.abc import Callable
from datetime import timedelta
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch.distributed as dist
from ignite.distributed.launcher import Parallel
from ignite.utils import setup_logger
from torch.multiprocessing.spawn import ProcessExitedException, ProcessRaisedException

from ..errors import UserError
from .plan import Launch

__all__ = ["launch"]


def _free_port() -> int:
    # Ignite's fixed default (2222) would make two runs on one machine collide.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def launch(fn: Callable[..., None], plan: Launch, *args: Any) -> None:
    """Run ``fn(*args)`` in every process of ``plan``: here when it has one process (or
    torchrun started this one, then inside its process group), else in processes it
    starts through ``idist.Parallel``, returning when all have finished.

    A :class:`UserError` raised in a process comes out here as the same one-line
    :class:`UserError`; a process that dies, loses contact with the others, or cannot
    meet them at the start is a one-line :class:`UserError` saying which, once the
    others are stopped.

    Example:
        >>> launch(train, plan_launch(args), args)
    """
    if plan.torchrun:
        # idist.Parallel(backend) would initialize the group without a timeout.
        try:
            idist.initialize(plan.backend, timeout=timedelta(seconds=plan.timeout))
        except dist.DistError as error:
            where = f"{os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}"
            raise UserError(_cannot_meet(plan, where, str(error))) from None
        try:
            fn(*args)
        finally:
            idist.finalize()
    elif not plan.spawns:
        fn(*args)
    else:
        _spawn(fn, plan, args)


def _spawn(fn: Callable[..., None], plan: Launch, args: tuple[Any, ...]) -> None:
    # The launcher logs its parameters, and torch a line per process it stops: the
    # command's own message is the one line a user needs.
    setup_logger("ignite.distributed.launcher.Parallel", level=logging.WARNING)
    logging.getLogger("torch.multiprocessing.spawn").setLevel(logging.ERROR)
    # And torch's C++ side logs each failed try to reach the others, with a stack, from
    # every process; TORCH_CPP_LOG_LEVEL=WARNING brings those back.
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "FATAL")
    _start_resource_tracker_quietly()
    port = plan.master_port or _free_port()
    address = plan.master_addr or "127.0.0.1"
    with tempfile.TemporaryDirectory(prefix="ignite-gen-") as messages:
        try:
            with Parallel(
                backend=plan.backend,
                nproc_per_node=plan.nproc_per_node,
                nnodes=plan.nnodes,
                node_rank=plan.node_rank,
                master_addr=address,
                master_port=port,
                timeout=timedelta(seconds=plan.timeout),
            ) as parallel:
                parallel.run(_process_main, fn, args, messages, warnings.formatwarning)
        except ProcessRaisedException as error:
            message = Path(messages, str(error.error_index))
            if message.exists():
                raise UserError(message.read_text("utf-8")) from None
            # Ignite's worker joins the process group before _process_main runs: only
            # the traceback tells that the processes could not meet.
            kind, _, detail = error.msg.strip().splitlines()[-1].partition(": ")
            if kind not in _MEETING_ERRORS:
                raise
            raise UserError(_cannot_meet(plan, f"{address}:{port}", detail)) from None
        except ProcessExitedException as error:
            how = error.signal_name or f"exit code {error.exit_code}"
            rank = plan.first_rank + error.error_index
            raise UserError(
                f"process {rank} of {plan.world_size} died ({how}); the others were "
                "stopped; resume with --resume"
            ) from None


_MEETING_ERRORS = ("torch.distributed.DistNetworkError", "torch.distributed.DistStoreError")


def _cannot_meet(plan: Launch, where: str, detail: str) -> str:
    return (
        f"the {plan.world_size} processes could not meet at {where} within --dist-timeout "
        f"{plan.timeout:g} s ({detail.strip().rstrip('.')}); start every machine with the "
        "same --nnodes, --master-addr and --master-port, and check that machine 0 is "
        "running and reachable"
    )


def _start_resource_tracker_quietly() -> None:
    """Start the tracker of the processes' semaphores with its stderr on /dev/null: at
    exit it warns about the semaphores of a killed process (tqdm's write lock), which
    it still removes; the command's own line has said what happened."""
    saved, quiet = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(quiet, 2)
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(quiet)


def _process_main(
    local_rank: int,
    fn: Callable[..., None],
    args: tuple[Any, ...],
    messages: str,
    formatwarning: Callable[..., str],
) -> None:
    """One started process: ``fn(*args)``, warning in the launcher's format, and leaving
    the launcher the one line to print when it fails with a user's mistake or loses its
    peers."""
    warnings.formatwarning = formatwarning
    try:
        fn(*args)
    except UserError as error:
        Path(messages, str(local_rank)).write_text(str(error), "utf-8")
        raise
    except RuntimeError as error:
        # gloo reports a dead peer as a plain RuntimeError from its transport; the
        # launcher may see it before the death itself, so it gets a line too.
        if isinstance(error, dist.DistError) or "gloo/transport" in str(error):
            rank, world_size = idist.get_rank(), idist.get_world_size()
            Path(messages, str(local_rank)).write_text(
                f"process {rank} of {world_size} lost contact with the others (one died, "
                "hung or lost its network); the others were stopped; resume with --resume",
                "utf-8",
            )
        raise
