"""How a run spreads over processes: the launch settings of ``ignite-gen train``, checked
together before any process starts."""

from __future__ import annotations

import argparse
import os
import socket
from dataclasses import dataclass

import torch

from ..errors import ArgumentError
from ..updaters.base import resolve_device
from ..updaters.precision import check_precision

__all__ = ["Launch", "plan_launch", "under_torchrun"]

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


def under_torchrun() -> bool:
    """Whether torchrun started this process (it sets ``RANK``, ``WORLD_SIZE`` and
    ``LOCAL_RANK``).

    Example:
        >>> under_torchrun()
        False
    """
    return all(name in os.environ for name in _TORCHRUN)


def plan_launch(settings: argparse.Namespace) -> Launch:
    """The :class:`Launch` of ``ignite-gen train`` settings, after checking them together
    (a machine number past ``--nnodes``, several machines without an address, ``nccl``
    without CUDA, ``--precision fp16`` on the CPU (which the updater would refuse once
    --out is made), ``--sync-batchnorm`` without CUDA and ``nccl``, more GPU processes than
    GPUs, a ``--master-port`` taken here): each mistake is one :class:`ArgumentError`
    naming the options. Several machines meet at port 29500 unless told otherwise.

    Example:
        >>> plan_launch(settings("gan", nproc_per_node=2, device="cpu")).backend
        'gloo'
    """
    nproc, nnodes, node_rank = settings.nproc_per_node, settings.nnodes, settings.node_rank
    torchrun = under_torchrun()
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
    device = resolve_device(settings.device, "--device")
    check_precision(settings.precision, device, "--precision")
    backend = settings.backend or ("nccl" if device.type == "cuda" else "gloo")
    if settings.sync_batchnorm and (device.type != "cuda" or backend != "nccl"):
        if device.type != "cuda":
            where = (
                "this machine has no CUDA device"
                if settings.device == "auto"
                else (f"--device {settings.device}")
            )
            reason = f"needs CUDA and the nccl backend, and {where}"
        else:
            reason = f"needs the nccl backend, not --backend {backend}"
        raise ArgumentError(
            f"--sync-batchnorm {reason}; leave it off to share rank 0's BatchNorm "
            "statistics instead"
        )
    port = settings.master_port or (_MULTI_NODE_PORT if nnodes > 1 else None)
    plan = Launch(
        nproc,
        nnodes,
        node_rank,
        settings.master_addr,
        port,
        backend,
        settings.dist_timeout,
        torchrun,
    )
    if plan.world_size > 1:
        _check_devices(plan, device, settings.device)
    if plan.spawns and node_rank == 0 and port is not None and not _can_listen(port):
        given = (
            f"--master-port {port}"
            if settings.master_port
            else (f"port {port}, the default --master-port of several machines,")
        )
        raise ArgumentError(
            f"{given} is taken on this machine (another run or program listens there); "
            "give every machine another --master-port"
        )
    return plan


def _can_listen(port: int) -> bool:
    with socket.socket() as probe:
        # As torch's store does: a port a finished run left in TIME_WAIT is usable.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("", port))
        except OSError:
            return False
        return True


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
