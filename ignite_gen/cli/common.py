"""What every ``ignite-gen train METHOD`` shares: common options, recorded settings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_common_arguments", "hparams_of"]


def add_common_arguments(parser: argparse.ArgumentParser, epochs: int, batch_size: int) -> None:
    """The options every ``ignite-gen train METHOD`` shares."""
    parser.add_argument(
        "--epochs", type=int, default=epochs, help="epochs to train (default %(default)s)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=batch_size, help=f"batch size (default {batch_size})"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("result"), help="output directory (default result)"
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="auto (CUDA when available), cpu or cuda[:N] (default auto)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every random generator (default 0)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from the newest snapshot in --out"
    )
    parser.add_argument(
        "--n-retains",
        type=int,
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
