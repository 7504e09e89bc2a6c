"""What every ``ignite-gen train METHOD`` shares: common options, recorded settings."""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..argtypes import at_least, device_or_auto
from ..errors import UserError
from ..snapshot import read_snapshot

__all__ = ["add_common_arguments", "check_same_run", "hparams_of", "prepare_process"]

#: Settings a resumed run shares with its snapshot: those that shape the networks, the
#: optimizers or the data (the split and vocabularies of seq2seq follow ``seed``). A
#: setting a method does not have is skipped.
SAME_RUN_SETTINGS = (
    "batch_size", "data_root", "max_images", "arch", "z_dim", "ema_decay", "gp",
    "seed", "data", "src", "tgt", "max_pairs", "max_len", "min_freq",
    "hidden", "embed", "layers", "attention", "tie_embeddings",
)  # fmt: skip


def _seed(text: str) -> int:
    """``--seed``: 0 to 2**32 - 1, the range every seeded generator (NumPy's too) takes."""
    value = int(at_least(0)(text))
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"{text} is out of range: it must be below 2**32")
    return value


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
        "--seed", type=_seed, default=0, help="seed of every random generator (default 0)"
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


def hparams_of(args: argparse.Namespace) -> dict[str, Any]:
    """The parsed options as plain values, saved in snapshots as ``metadata["hparams"]``."""
    return {
        k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "handler"
    }


def _shown(key: str, value: Any, absent: str = "no {}", present: str = "{}") -> str:
    flag = "--" + key.replace("_", "-")
    if isinstance(value, bool):
        return present.format(flag if value else f"--no-{flag[2:]}")
    return absent.format(flag) if value is None else present.format(f"{flag} {value}")


def check_same_run(args: argparse.Namespace, snapshot: Path) -> None:
    """Refuse to resume ``snapshot`` (the newest in ``--out``) with another method or
    settings that make it unusable (:data:`SAME_RUN_SETTINGS`), before anything loads.

    Example:
        >>> check_same_run(args, Path("result/snapshot_epoch_0003.pt"))  # doctest: +SKIP
    """
    recorded = read_snapshot(snapshot, mmap=True)["metadata"].get("hparams", {})
    current = hparams_of(args)
    method = recorded.get("method")
    if method is not None and method != current["method"]:
        raise UserError(
            f"--out {args.out}/ holds a {method!r} run; this is {current['method']!r}: "
            f"use another --out or train {method} --resume"
        )
    for key in SAME_RUN_SETTINGS:
        if key in recorded and key in current and recorded[key] != current[key]:
            raise UserError(
                f"--out {args.out}/ holds a run with {_shown(key, recorded[key])}; this one "
                f"has {_shown(key, current[key])}: resume "
                f"{_shown(key, recorded[key], 'without {}', 'with {}')} or use another --out"
            )


def prepare_process(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators, so every RNG state a snapshot
    holds is the same in two runs of the same command, and flush subnormal floats to zero.

    Adam's moments of rows that see no gradient for a while (the embeddings of rare
    words) decay into subnormals, which x86 CPUs handle slowly: flushed, seq2seq
    iterations late in a run were 10 % faster (6.9 against 6.3 a second, measured from
    the state of a 15-minute run). Values that small change no weight update.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_flush_denormal(True)
