"""The options every training method shares, and the process set-up of a run."""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import numpy as np
import torch

from ..updaters import PRECISIONS
from .method import Method
from .option_types import at_least, device_or_auto, positive, random_seed

__all__ = [
    "add_common_arguments",
    "add_launch_arguments",
    "add_precision_argument",
    "configure_parser",
    "hparams_of",
    "prepare_process",
    "seed_rank",
]


def _port(text: str) -> int:
    """``--master-port``: a TCP port, 1 to 65535."""
    value = int(at_least(1)(text))
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text} is out of range: ports go up to 65535")
    return value


def add_launch_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that spread a run over processes and machines
    (:mod:`ignite_gen.distributed` checks them together and starts the processes).

    Example:
        >>> add_launch_arguments(parser)
        >>> parser.parse_args(["--nproc-per-node", "2"]).nproc_per_node
        2
    """
    group = parser.add_argument_group("several processes (see 'ignite_gen.distributed')")
    group.add_argument(
        "--nproc-per-node",
        type=at_least(1),
        default=1,
        metavar="N",
        help="processes on this machine, one per GPU with --device cuda (default 1: no "
        "distributed training)",
    )
    group.add_argument(
        "--backend",
        choices=("gloo", "nccl"),
        default=None,
        help="torch.distributed backend (default nccl on CUDA devices, else gloo)",
    )
    group.add_argument(
        "--nnodes", type=at_least(1), default=1, metavar="K", help="machines (default 1)"
    )
    group.add_argument(
        "--node-rank",
        type=at_least(0),
        default=0,
        metavar="R",
        help="this machine's number, 0 to K-1; 0 writes the outputs (default 0)",
    )
    group.add_argument(
        "--master-addr",
        default=None,
        metavar="A",
        help="address of machine 0, needed with --nnodes > 1 (default 127.0.0.1)",
    )
    group.add_argument(
        "--master-port",
        type=_port,
        default=None,
        metavar="P",
        help="a free TCP port on machine 0 (default: any free port on one machine, 29500 "
        "on several)",
    )
    group.add_argument(
        "--dist-timeout",
        type=positive,
        default=120.0,
        metavar="SECONDS",
        help="how long a process waits for the others in a collective before it gives up "
        "(default 120)",
    )
    group.add_argument(
        "--sync-batchnorm",
        action="store_true",
        help="normalise each BatchNorm layer with the statistics of every process's batch "
        "(torch.nn.SyncBatchNorm) rather than each process's own; needs CUDA and nccl "
        "(default off: each process normalises its own batch and takes rank 0's running "
        "statistics after each iteration)",
    )


def add_precision_argument(
    parser: argparse.ArgumentParser,
    choices: Sequence[str] = tuple(sorted(PRECISIONS)),
    help: str = "autocast precision of the forward passes (default fp32)",
) -> None:
    """``--precision``, default fp32: the updaters' autocast precision, one of
    ``choices`` in the order the method's help lists them.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_precision_argument(parser)
        >>> parser.parse_args(["--precision", "bf16"]).precision
        'bf16'
    """
    parser.add_argument("--precision", choices=choices, default="fp32", help=help)


def add_common_arguments(parser: argparse.ArgumentParser, epochs: int, batch_size: int) -> None:
    """The options every ``ignite-gen train METHOD`` shares."""
    parser.add_argument(
        "--epochs", type=at_least(1), default=epochs, help="epochs to train (default %(default)s)"
    )
    parser.add_argument(
        "--batch-size",
        type=at_least(1),
        default=batch_size,
        help=f"batch size (default {batch_size})",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("result"), help="output directory (default result)"
    )
    parser.add_argument(
        "--device",
        type=device_or_auto,
        default="auto",
        help="auto (CUDA when available), cpu or cuda[:N] (default auto)",
    )
    parser.add_argument(
        "--seed", type=random_seed, default=0, help="seed of every random generator (default 0)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from the newest snapshot in --out"
    )
    parser.add_argument(
        "--n-retains",
        type=at_least(1),
        default=None,
        metavar="K",
        help="keep only the newest K snapshots (default all)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_launch_arguments(parser)


def configure_parser(parser: argparse.ArgumentParser, method: Method) -> None:
    """Give ``parser`` the shared options and ``method``'s, with its defaults."""
    add_common_arguments(parser, epochs=method.epochs, batch_size=method.batch_size)
    method.add_arguments(parser)
    parser.set_defaults(method=method.name, **method.defaults)


def hparams_of(settings: argparse.Namespace) -> dict[str, Any]:
    """The settings as plain values, saved in snapshots as ``metadata["hparams"]``; not
    ``handler``, ``given`` (the options the command line gave) or ``resume``, which say
    what the command does rather than how the run trains.

    Example:
        >>> hparams_of(settings("gan", data_root=Path("mnist")))["data_root"]
        'mnist'
    """
    return {
        k: str(v) if isinstance(v, Path) else v
        for k, v in vars(settings).items()
        if k not in ("handler", "given", "resume")
    }


def prepare_process(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators, so every RNG state a snapshot
    holds is the same in two runs of the same command, and flush subnormal floats to zero.

    Adam's moments of rows that see no gradient for a while (the embeddings of rare
    words) decay into subnormals, which x86 CPUs handle slowly (benchmarks/RESULTS.md has
    the figure); values that small change no weight update.
    """
    _seed_generators(seed)
    torch.set_flush_denormal(True)


def seed_rank(seed: int) -> None:
    """Under ``torch.distributed``, reseed this process's generators with
    ``seed + rank``, once every process built its models from ``seed``: identical
    initial weights everywhere, different noise in each process. Nothing in a single
    process, whose draws stay those of a run without this call.

    Example:
        >>> prepare_process(0)  # the same seed in every process
        >>> run = get_method("gan").build(settings("gan", max_images=64), device)
        >>> seed_rank(0)
    """
    if idist.get_world_size() > 1:
        _seed_generators((seed + idist.get_rank()) % 2**32)


def _seed_generators(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    # Seeds CUDA's generators too.
    torch.manual_seed(seed)
