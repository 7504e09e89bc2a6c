"""The global random generators' states a snapshot holds: this process's, and under
``torch.distributed`` every process's, so that each one continues its own draws on resume.

Each process of a distributed run draws its own noise (its generators are seeded
``seed + rank`` once the models are built), so rank 0's state alone cannot continue
the others. :func:`share_rng` hands every state to rank 0 at the point where it writes
a snapshot, :func:`capture_rng` puts them in it, and :func:`restore_rng` gives each
process its own back.
"""

from __future__ import annotations

import io
import random
import warnings
from typing import Any, cast

import ignite.distributed as idist
import numpy as np
import torch

from ..argument_checks import counted
from ..errors import UserError

__all__ = ["capture_rng", "restore_rng", "share_rng"]

# What share_rng gathered on rank 0 for the snapshot it writes next; None when nothing
# is pending. Module state rather than an argument because Trainer.save, which users
# call too, writes the snapshot: sharing is an extra step only the collective caller
# (the snapshot extension) takes.
_shared: list[dict[str, Any]] | None = None


def _own_rng() -> dict[str, Any]:
    # The legacy form (a tuple) is what NumPy gives unless asked otherwise.
    numpy_state = cast(tuple[str, np.ndarray, int, int, float], np.random.get_state())
    kind, keys, pos, has_gauss, cached = numpy_state
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (kind, torch.from_numpy(keys.copy()), pos, has_gauss, cached),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def share_rng() -> None:
    """Hand every process's generator states to rank 0 for the trainer snapshot it
    writes next (see :func:`capture_rng`); nothing in a single process.

    A collective: under ``torch.distributed`` every process calls it at the same point
    of the run, just before rank 0 writes (the snapshot extension does, at the end of
    the iteration it writes in), and nothing may draw random numbers in between.

    Example:
        >>> share_rng()  # in every process; then, in rank 0, trainer.save(path)
    """
    global _shared
    if idist.get_world_size() == 1:
        return
    # As torch.save bytes: all_gather's pickling cannot rebuild tensors (torch 2.14).
    buffer = io.BytesIO()
    torch.save(_own_rng(), buffer)
    gathered = cast(list[bytes], idist.all_gather(buffer.getvalue()))
    if idist.get_rank() == 0:
        _shared = [torch.load(io.BytesIO(data), weights_only=True) for data in gathered]


def capture_rng() -> dict[str, Any]:
    """The state of Python's, NumPy's, torch's and CUDA's global generators; on rank 0
    after :func:`share_rng`, also every process's, as ``"ranks"`` (item ``r`` is rank
    ``r``'s).

    Example:
        >>> state = capture_rng()
        >>> sorted(state)[:3]
        ['numpy', 'python', 'torch']
    """
    global _shared
    state = _own_rng()
    if _shared is not None:
        state["ranks"], _shared = _shared, None
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Restore :func:`capture_rng`: under ``torch.distributed`` each process takes its own
    item of ``"ranks"``. CUDA states are skipped on a machine without CUDA.

    A state without ``"ranks"`` (a snapshot written by ``trainer.save`` rather than the
    snapshot extension) restores rank 0 only and warns: the other processes keep their
    own generators and draw other noise than the interrupted run. A state of another
    number of processes raises :class:`UserError`.

    Example:
        >>> restore_rng(capture_rng())
    """
    rank, world_size = idist.get_rank(), idist.get_world_size()
    ranks: list[dict[str, Any]] | None = state.get("ranks")
    own = state
    if world_size > 1 and ranks is not None:
        if len(ranks) != world_size:
            raise UserError(
                f"saved by {counted(len(ranks), 'process', 'processes')}, this run has "
                f"{world_size}; "
                f"resume with --nproc-per-node {len(ranks)}"
            )
        own = ranks[rank]
    elif world_size > 1:
        if rank != 0:
            return
        warnings.warn(
            f"this snapshot holds the random state of rank 0 only; the noise of the other "
            f"{counted(world_size - 1, 'process', 'processes')} differs from the interrupted run's",
            stacklevel=2,
        )
    random.setstate(own["python"])
    kind, keys, pos, has_gauss, cached = own["numpy"]
    np.random.set_state((kind, keys.numpy(), pos, has_gauss, cached))
    torch.set_rng_state(own["torch"])
    if "cuda" in own and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(own["cuda"])
