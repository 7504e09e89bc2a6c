"""Training on several processes, GPUs and machines through ``ignite.distributed``.

One machine, N processes (``gloo`` on the CPU, ``nccl`` with one GPU per process)::

    ignite-gen train gan --nproc-per-node 2 --device cpu
    ignite-gen train gan --nproc-per-node 4 --device cuda

Two machines with a filesystem both see (``--out`` must be on it: every process reads
the snapshot it resumes from), the same command on each, machine 0 first::

    ignite-gen train gan --nnodes 2 --node-rank 0 --nproc-per-node 4 \\
        --master-addr 10.0.0.1 --master-port 29500 --out /shared/run
    ignite-gen train gan --nnodes 2 --node-rank 1 --nproc-per-node 4 \\
        --master-addr 10.0.0.1 --master-port 29500 --out /shared/run

``torchrun --nproc-per-node N -m ignite_gen train gan ...`` works too (the processes it
starts find it from ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``). In Python,
``build_trainer`` and ``Trainer.run`` run unchanged in a function given to
``idist.Parallel(...).run``.

What changes with N processes: each builds the models from the same ``--seed``
(identical initial weights), then reseeds its generators with ``seed + rank``, so each
draws its own noise; the data loaders hand each process every N-th batch of the same
shuffled epoch (``--batch-size`` is per process; an epoch's last ``batches % N``
batches are skipped); only rank 0 takes the run lock and writes logs, images, plots
and snapshots, and a snapshot holds every process's random state, so a killed run
resumes exactly with the same N (another N is refused in one line). A snapshot
written by N processes opens in one (``inspect``, ``sample``, ``load_snapshot``).

Faults: when a process dies (killed, out of memory, an exception), the command stops
the others and prints one line, such as ``ignite-gen: error: process 1 of 2 died
(SIGKILL); the others were stopped; resume with --resume``; ``--resume`` continues from
the last complete snapshot. The bound: on one machine the launching process sees the
death at once and stops the others with SIGTERM, so the command ends within 10 s of the
death (measured 1.3 to 2.2 s with 2 ``gloo`` processes on a 2-core machine;
``tests/test_distributed_launch.py`` checks it). Processes on another machine stop at
their next collective (the gradient all-reduce of the next step): at once when the
connection drops, or after ``--dist-timeout`` seconds (default 120) when the dead
machine left it open. Under torchrun, torchrun stops the others.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch
import torch.distributed as dist
from ignite.distributed.launcher import Parallel
from ignite.utils import setup_logger
from torch.multiprocessing.spawn import ProcessExitedException, ProcessRaisedException

from .errors import ArgumentError, UserError
from .updaters.base import resolve_device

__all__ = ["Launch", "launch", "plan_launch"]

_TORCHRUN = ("RANK", "WORLD_SIZE", "LOCAL_RANK")
# torchrun's default, for machines that cannot agree on a port picked at random.
_MULTI_NODE_PORT = 29500


@dataclass(frozen=True)
class Launch:
    """How a run spreads over processes: ``nproc_per_node`` on each of ``nnodes``
    machines, this one numbered ``node_rank``, meeting at ``master_addr:master_port``
    through ``backend``, a collective waiting at most ``timeout`` seconds; or, with
    ``torchrun``, the processes torchrun started.

    Example:
        >>> Launch(nproc_per_node=2).world_size
        2
    """

    nproc_per_node: int = 1
    nnodes: int = 1
    node_rank: int = 0
    master_addr: str | None = None
    master_port: int | None = None
    backend: str = "gloo"
    timeout: float = 120.0
    torchrun: bool = False

    @property
    def world_size(self) -> int:
        """Processes of the whole run, on all machines."""
        if self.torchrun:
            return int(os.environ["WORLD_SIZE"])
        return self.nproc_per_node * self.nnodes

    @property
    def first_rank(self) -> int:
        """The rank of this process (torchrun), or of the first one it starts."""
        if self.torchrun:
            return int(os.environ["RANK"])
        return self.node_rank * self.nproc_per_node

    @property
    def spawns(self) -> bool:
        """Whether :func:`launch` starts processes (else it runs in this one)."""
        return not self.torchrun and self.world_size > 1


def _under_torchrun() -> bool:
    return all(name in os.environ for name in _TORCHRUN)


def _free_port() -> int:
    # Ignite's fixed default (2222) would make two runs on one machine collide.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def plan_launch(settings: argparse.Namespace) -> Launch:
    """The :class:`Launch` of ``ignite-gen train`` settings, after checking them together
    (a machine number past ``--nnodes``, several machines without an address, ``nccl``
    without CUDA, ``--sync-batchnorm`` without CUDA and ``nccl``, more GPU processes than
    GPUs): each mistake is one :class:`ArgumentError` naming the options.

    Example:
        >>> plan_launch(settings("gan", nproc_per_node=2, device="cpu")).backend
        'gloo'
    """
    nproc, nnodes, node_rank = settings.nproc_per_node, settings.nnodes, settings.node_rank
    torchrun = _under_torchrun()
    if torchrun and (nproc > 1 or nnodes > 1):
        raise ArgumentError(
            "--nproc-per-node/--nnodes: torchrun started this process and sets how many run; "
            "give those numbers to torchrun only"
        )
    if node_rank >= nnodes:
        raise ArgumentError(
            f"--node-rank {node_rank} is not below --nnodes {nnodes}; number the machines "
            f"0 to {nnodes - 1}"
        )
    if nnodes > 1 and settings.master_addr is None:
        raise ArgumentError(
            f"--nnodes {nnodes} needs --master-addr, the address of the machine started "
            "with --node-rank 0"
        )
    device = resolve_device(settings.device)
    backend = settings.backend or ("nccl" if device.type == "cuda" else "gloo")
    if settings.sync_batchnorm and (device.type != "cuda" or backend != "nccl"):
        if device.type != "cuda":
            where = "this machine has no CUDA device" if settings.device == "auto" else (
                f"--device {settings.device}")  # fmt: skip
            reason = f"needs CUDA and the nccl backend, and {where}"
        else:
            reason = f"needs the nccl backend, not --backend {backend}"
        raise ArgumentError(
            f"--sync-batchnorm {reason}; leave it off to share rank 0's BatchNorm "
            "statistics instead"
        )
    plan = Launch(nproc, nnodes, node_rank, settings.master_addr, settings.master_port,
                  backend, settings.dist_timeout, torchrun)  # fmt: skip
    if plan.world_size > 1:
        _check_devices(plan, device, settings.device)
    return plan


def _check_devices(plan: Launch, device: torch.device, given: str) -> None:
    if plan.backend == "nccl" and device.type != "cuda":
        raise ArgumentError(
            f"--backend nccl runs on CUDA devices only, and --device {given} is not one; "
            "use --backend gloo"
        )
    if device.type == "cuda" and device.index is not None:
        raise ArgumentError(
            f"--device {given} names one GPU, but each of the {plan.world_size} processes "
            "takes its own (cuda:<local rank>); use --device cuda"
        )
    count = torch.cuda.device_count()
    if device.type == "cuda" and not plan.torchrun and plan.nproc_per_node > count:
        raise ArgumentError(
            f"--nproc-per-node {plan.nproc_per_node} with --device cuda needs one GPU per "
            f"process; this machine has {count}"
        )


def launch(fn: Callable[..., None], plan: Launch, *args: Any) -> None:
    """Run ``fn(*args)`` in every process of ``plan``: here when it has one process (or
    torchrun started this one, then inside its process group), else in processes it
    starts through ``idist.Parallel``, returning when all have finished.

    A :class:`UserError` raised in a process comes out here as the same one-line
    :class:`UserError`; a process that dies, or loses contact with the others, is a
    one-line :class:`UserError` saying which, once the others are stopped.

    Example:
        >>> launch(train, plan_launch(args), args)
    """
    if plan.torchrun:
        # idist.Parallel(backend) would initialize the group without a timeout.
        idist.initialize(plan.backend, timeout=timedelta(seconds=plan.timeout))
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
    _start_resource_tracker_quietly()
    port = plan.master_port or (_free_port() if plan.nnodes == 1 else _MULTI_NODE_PORT)
    with tempfile.TemporaryDirectory(prefix="ignite-gen-") as messages:
        try:
            with Parallel(
                backend=plan.backend,
                nproc_per_node=plan.nproc_per_node,
                nnodes=plan.nnodes,
                node_rank=plan.node_rank,
                master_addr=plan.master_addr or "127.0.0.1",
                master_port=port,
                timeout=timedelta(seconds=plan.timeout),
            ) as parallel:
                parallel.run(_process_main, fn, args, messages, warnings.formatwarning)
        except ProcessRaisedException as error:
            message = Path(messages, str(error.error_index))
            if not message.exists():
                raise
            raise UserError(message.read_text("utf-8")) from None
        except ProcessExitedException as error:
            how = error.signal_name or f"exit code {error.exit_code}"
            rank = plan.first_rank + error.error_index
            raise UserError(
                f"process {rank} of {plan.world_size} died ({how}); the others were "
                "stopped; resume with --resume"
            ) from None


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
