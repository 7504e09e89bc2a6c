"""Reading snapshot files: integrity checks, one-line errors, the newest good one.

Every read checks the archive's CRC-32s first (see :mod:`ignite_gen.snapshot.integrity`),
so a damaged file is an error, never changed weights; :func:`latest_snapshot` skips
such a file with a warning when an older good one exists.
"""

from __future__ import annotations

import os
import pickle
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from ..errors import UserError
from .integrity import archive_damage

__all__ = [
    "FORMAT",
    "SnapshotWarning",
    "UnreadableSnapshot",
    "latest_snapshot",
    "list_snapshots",
    "read_snapshot",
    "require_snapshots",
]

FORMAT = "ignite-gen-snapshot/1"


class UnreadableSnapshot(UserError):
    """A snapshot file that cannot be loaded: missing, damaged, truncated or foreign.

    ``problem`` says what is wrong with ``path``; the message adds what to do.
    ``damaged`` tells a damaged or truncated file from a missing or foreign one.

    Example:
        >>> raise UnreadableSnapshot(Path("s.pt"), "truncated", "use an earlier snapshot")
        Traceback (most recent call last):
            ...
        ignite_gen.snapshot.read.UnreadableSnapshot: s.pt: truncated; use an earlier snapshot
    """

    def __init__(self, path: Path, problem: str, advice: str, damaged: bool = False) -> None:
        super().__init__(f"{path}: {problem}; {advice}")
        self.path = path
        self.problem = problem
        self.damaged = damaged


def _damaged(path: Path, reason: str) -> UnreadableSnapshot:
    return UnreadableSnapshot(
        path, f"truncated or corrupt snapshot ({reason})", "delete it and use an earlier one", True
    )


def _directory(path: Path) -> UnreadableSnapshot:
    # A result directory given where one of its files belongs: name a file to give.
    files = list_snapshots(path)
    advice = (
        f"give one of its snapshot files, e.g. {files[-1]}"
        if files
        else "it holds no snapshot*.pt files; give a snapshot file"
    )
    return UnreadableSnapshot(path, "is a directory, not a snapshot file", advice)


def _looks_like_archive(path: Path) -> bool:
    # A zip starts with a local header and ends with an end-of-directory record; a
    # file with neither (an image, a text file, a legacy pickle) is foreign, not damaged;
    # an empty one is a write that never finished.
    try:
        with open(path, "rb") as file:
            head = file.read(4)
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - (1 << 16) - 22))
            tail = file.read()
    except PermissionError:
        return True  # let the archive check say the file cannot be read
    return not head or head == b"PK\x03\x04" or b"PK\x05\x06" in tail


class SnapshotWarning(UserWarning):
    """A snapshot that :func:`latest_snapshot` skipped because it cannot be loaded.

    Example:
        >>> warnings.simplefilter("error", SnapshotWarning)  # refuse to skip any
    """


def read_snapshot(
    path: str | os.PathLike[str], map_location: Any = "cpu", mmap: bool = False, verify: bool = True
) -> dict[str, Any]:
    """Load a snapshot file; a missing, damaged, truncated or foreign file is an
    :class:`UnreadableSnapshot` (a :class:`UserError`).

    Every CRC-32 of the archive is checked first (``torch.load`` checks none), so a
    flipped byte is an error rather than a changed weight. ``mmap=True`` maps tensors
    lazily, for reading metadata of large files quickly; ``verify=False`` then skips
    the CRCs of the tensor data too, checking only what metadata readers use.

    Example:
        >>> read_snapshot("result/snapshot_epoch_0003.pt")["metadata"]["epoch"]
        3
    """
    path = Path(path)
    if path.is_dir():
        raise _directory(path)
    if not path.is_file():
        raise UnreadableSnapshot(path, "no such snapshot file", "check the path")
    if not _looks_like_archive(path):
        raise UnreadableSnapshot(
            path, "not an ignite-gen snapshot (not a PyTorch archive at all)", "use another file"
        )
    try:
        damage = archive_damage(path, storages=verify)
    except PermissionError as error:
        problem = f"cannot be read ({(error.strerror or 'permission denied').lower()})"
        raise UnreadableSnapshot(path, problem, "make it readable") from None
    if damage is not None:
        raise _damaged(path, damage)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as error:
        # The archive is intact, so the pickle is as written: it holds a type that
        # weights-only loading refuses (a foreign file, or an older ignite-gen's).
        found = re.search(r"GLOBAL (\S+)", str(error)) or re.search(
            r"WeightsUnpickler error: ([^\n]{1,100})", str(error)
        )
        refused = found.group(1) if found else type(error).__name__
        raise UnreadableSnapshot(
            path, f"holds {refused}, which a weights-only load refuses", "use another snapshot"
        ) from None
    except (OSError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as error:
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise _damaged(path, reason) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UnreadableSnapshot(
            path, "not an ignite-gen snapshot (written by something else)", "use another file"
        )
    return payload


def list_snapshots(directory: str | os.PathLike[str]) -> list[Path]:
    """Snapshot files (``snapshot*.pt``) in ``directory``, sorted by name."""
    return sorted(Path(directory).glob("snapshot*.pt"))


def require_snapshots(directory: str | os.PathLike[str]) -> list[Path]:
    """:func:`list_snapshots`, but an empty or missing directory is a :class:`UserError`."""
    files = list_snapshots(directory) if Path(directory).is_dir() else []
    if not files:
        raise UserError(
            f"{directory}: no snapshot*.pt files here; train with --out {directory} first"
        )
    return files


def latest_snapshot(directory: str | os.PathLike[str]) -> Path | None:
    """The readable snapshot in ``directory`` with the highest iteration, or ``None``
    when there is no ``snapshot*.pt`` file.

    Every candidate's metadata is read (lazily, with ``mmap``): file times change when
    a directory is copied, so they cannot tell which snapshot is the newest. The chosen
    one's tensor data is then checked too. A file that cannot be read is skipped with a
    :class:`SnapshotWarning` naming it; when none can be read, that is a :class:`UserError`.

    Example:
        >>> latest_snapshot("result")
        PosixPath('result/snapshot_epoch_0003.pt')
    """
    files = list_snapshots(directory) if Path(directory).is_dir() else []
    if not files:
        return None
    skipped: list[UnreadableSnapshot] = []
    ranked: list[tuple[int, Path]] = []
    for path in files:
        try:
            ranked.append(
                (read_snapshot(path, mmap=True, verify=False)["metadata"]["iteration"], path)
            )
        except UnreadableSnapshot as unreadable:
            skipped.append(unreadable)
    for _, path in sorted(ranked, reverse=True):
        damage = archive_damage(path)
        if damage is None:
            for error in skipped:
                warnings.warn(
                    f"{error.path}: {error.problem}; skipped, using {path.name}",
                    SnapshotWarning,
                    stacklevel=2,
                )
            return path
        skipped.append(_damaged(path, damage))
    if len(skipped) == 1:
        raise skipped[0]
    raise UserError(
        f"{directory}: none of its {len(skipped)} snapshot*.pt files can be loaded "
        f"({skipped[-1].path.name}: {skipped[-1].problem}); move them elsewhere to start afresh"
    )
