"""Snapshots on disk: writing (:mod:`.write`), reading with integrity checks
(:mod:`.read`, :mod:`.integrity`), what they can store (:mod:`.storable`), the random
generators they carry (:mod:`.rng`) and opening one to sample from (:mod:`.loaded`).

A snapshot file is a ``torch.save`` of plain containers and tensors (no pickled
classes), so it loads with ``weights_only=True`` on any machine, including one
without a GPU or without the training data.
"""

from .loaded import Snapshot, load_snapshot
from .read import (
    FORMAT,
    SnapshotWarning,
    UnreadableSnapshot,
    latest_snapshot,
    list_snapshots,
    read_snapshot,
    require_snapshots,
)
from .rng import capture_rng, restore_rng, share_rng
from .write import atomic_save, check_storable, run_metadata, write_trainer_snapshot

__all__ = [
    "FORMAT",
    "Snapshot",
    "SnapshotWarning",
    "UnreadableSnapshot",
    "atomic_save",
    "capture_rng",
    "check_storable",
    "latest_snapshot",
    "list_snapshots",
    "load_snapshot",
    "read_snapshot",
    "require_snapshots",
    "restore_rng",
    "run_metadata",
    "share_rng",
    "write_trainer_snapshot",
]
