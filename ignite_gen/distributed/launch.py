"""Starting a run's processes through ``idist.Parallel`` (or joining torchrun's), and
turning a process's failure into the command's one line."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from datetime import timedelta
from multiprocessing import resource_tracker
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch.distributed as dist
from ignite.distributed.launcher import Parallel
from ignite.utils import setup_logger
from torch.multiprocessing.spawn import ProcessException, ProcessExitedException

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
    :class:`UserError`; a process that dies, is interrupted (SIGINT), loses contact with
    the others, or cannot meet them at the start is a one-line :class:`UserError` saying
    which, once the others are stopped. Interrupted itself (``KeyboardInterrupt``), it
    stops the processes it started before passing the interrupt on.

    Example:
        >>> launch(train, plan_launch(args), args)  # doctest: +SKIP
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
    others = set(multiprocessing.active_children())
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
        except ProcessException as error:
            message = _failure(Path(messages), error, plan)
            if message is not None:
                raise UserError(message) from None
            # Ignite's worker joins the process group before _process_main runs: only
            # the traceback tells that the processes could not meet.
            kind, _, detail = error.msg.strip().splitlines()[-1].partition(": ")
            if kind not in _MEETING_ERRORS:
                raise
            raise UserError(_cannot_meet(plan, f"{address}:{port}", detail)) from None
        except KeyboardInterrupt:
            _stop(set(multiprocessing.active_children()) - others)
            raise


def _failure(messages: Path, error: ProcessException, plan: Launch) -> str | None:
    """The line for the failure torch saw first: what that process said of its own
    failure; else its death; else what another process said of its own (the first
    torch saw may only have lost contact with it); else that the first process to lose
    contact did."""
    index = error.error_index
    own = {int(path.name.partition("-")[2]): path for path in messages.glob("own-*")}
    if index in own:
        return own[index].read_text("utf-8")
    if isinstance(error, ProcessExitedException):
        how = error.signal_name or f"exit code {error.exit_code}"
        return (
            f"process {plan.first_rank + index} of {plan.world_size} died ({how}); the "
            "others were stopped; resume with --resume"
        )
    if own:
        return own[min(own)].read_text("utf-8")
    lost = messages / "lost"
    return lost.read_text("utf-8") if lost.exists() else None


#: Seconds the started processes get to end on SIGINT before SIGKILL.
_STOP_GRACE_S = 10.0


def _stop(processes: Iterable[BaseProcess]) -> None:
    """End ``processes`` as Ctrl-C ends them (their writes undone, the run lock freed),
    or by SIGKILL once the grace is over (a stopped or hung one). Torch leaves them
    running when the launcher is interrupted, and at exit multiprocessing would wait."""
    for process in processes:
        if process.pid is not None:  # started: active_children lists no other
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)
    deadline = time.monotonic() + _STOP_GRACE_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        process.kill()
        process.join()


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
    the launcher the one line to print when it fails with a user's mistake, is
    interrupted, or loses its peers."""
    warnings.formatwarning = formatwarning
    Path(messages, f"pid-{local_rank}").write_text(str(os.getpid()), "utf-8")
    rank, world_size = idist.get_rank(), idist.get_world_size()
    try:
        fn(*args)
    except UserError as error:
        Path(messages, f"own-{local_rank}").write_text(str(error), "utf-8")
        raise
    except KeyboardInterrupt:
        Path(messages, f"own-{local_rank}").write_text(
            f"process {rank} of {world_size} was interrupted (SIGINT); the others were "
            "stopped; resume with --resume",
            "utf-8",
        )
        # Torch's worker takes a KeyboardInterrupt for its launcher's stop and exits 0,
        # which would leave the others waiting for this one: exit as SIGINT's status.
        raise SystemExit(128 + signal.SIGINT) from None
    except RuntimeError as error:
        # gloo reports a dead or hung peer as a plain RuntimeError from its transport;
        # the launcher may see it before the death itself, so it gets a line too. The
        # first process to lose contact writes it: a stopped one, continued below,
        # loses contact too once it runs, and may well end first.
        if isinstance(error, dist.DistError) or "gloo/transport" in str(error):
            with (
                contextlib.suppress(FileExistsError),
                Path(messages, "lost").open("x", encoding="utf-8") as file,
            ):
                file.write(
                    f"process {rank} of {world_size} lost contact with the others (one "
                    "died, hung or lost its network); the others were stopped; resume "
                    "with --resume"
                )
            _continue_peers(Path(messages))
        raise


def _continue_peers(messages: Path) -> None:
    """Send SIGCONT to the other processes of this machine. Torch's launcher stops the
    rest of a failed run with SIGTERM, which a stopped (SIGSTOP) process takes only once
    continued: until then torch would wait 30 s before its SIGKILL."""
    for path in messages.glob("pid-*"):
        pid = int(path.read_text("utf-8"))
        if pid != os.getpid():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
