"""What ``ignite-gen train --resume`` checks before it continues a run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..methods import METHODS, hparams_of
from ..methods.options import COMMON_SAME_RUN
from ..resume import saved_world_size
from ..snapshot import read_snapshot

__all__ = ["check_same_run"]


def _shown(key: str, value: Any, absent: str = "no {}", present: str = "{}") -> str:
    flag = "--" + key.replace("_", "-")
    if isinstance(value, bool):
        return present.format(flag if value else f"--no-{flag[2:]}")
    return absent.format(flag) if value is None else present.format(f"{flag} {value}")


def check_same_run(args: argparse.Namespace, snapshot: Path, world_size: int = 1) -> None:
    """Refuse to resume ``snapshot`` (the newest in ``--out``) with another method,
    settings that make it unusable (``same_run`` of the method) or another number of
    processes than ``world_size``, before anything loads or any process starts.

    Example:
        >>> check_same_run(args, Path("result/snapshot_epoch_0003.pt"))  # doctest: +SKIP
    """
    payload = read_snapshot(snapshot, mmap=True)
    recorded = payload["metadata"].get("hparams", {})
    current = hparams_of(args)
    method = recorded.get("method")
    if method is not None and method != current["method"]:
        raise UserError(
            f"--out {args.out}/ holds a {method!r} run; this is {current['method']!r}: "
            f"use another --out or train {method} --resume"
        )
    for key in (*COMMON_SAME_RUN, *METHODS[current["method"]].same_run):
        if key in recorded and key in current and recorded[key] != current[key]:
            raise UserError(
                f"--out {args.out}/ holds a run with {_shown(key, recorded[key])}; this one "
                f"has {_shown(key, current[key])}: resume "
                f"{_shown(key, recorded[key], 'without {}', 'with {}')} or use another --out"
            )
    # Before the count was recorded, the command line trained in one process.
    saved = saved_world_size(payload) or 1
    if saved != world_size:
        raise UserError(
            f"--out {args.out}/ holds a run saved by {saved} processes; this one has "
            f"{world_size}: resume with --nproc-per-node {saved} or use another --out"
        )
