"""Integrity of the zip archives ``torch.save`` writes, which ``torch.load`` never checks.

Every member of the archive carries a CRC-32 in the zip's central directory, but the
reader in ``torch.load`` ignores it: a flipped byte in a tensor's data loads without a
word, as a changed weight. Python's :mod:`zipfile` checks the CRC of each member it
reads to the end, so reading the archive through it once finds such damage, in about
the time ``torch.load`` itself takes.
"""

from __future__ import annotations

import os
import zipfile

__all__ = ["archive_damage"]

_CHUNK = 1 << 22


def _is_storage(name: str) -> bool:
    # torch.save names tensor data "<archive>/data/<key>"; the pickle is "<archive>/data.pkl".
    return name.partition("/")[2].startswith("data/")


def archive_damage(path: str | os.PathLike[str], storages: bool = True) -> str | None:
    """Why the archive at ``path`` is damaged, or ``None`` when every CRC-32 matches.

    A file that cannot be opened for reading raises ``PermissionError``.
    ``storages=False`` checks only the small members (the pickle, the format records),
    which is what a metadata reader needs; tensor data is skipped.

    Example:
        >>> archive_damage("result/snapshot_epoch_0003.pt") is None
        True
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if storages or not _is_storage(info.filename):
                    with archive.open(info) as member:
                        while member.read(_CHUNK):
                            pass
    except PermissionError:
        raise  # the file may be fine; the caller says how to read it
    # A damaged archive can make zipfile raise almost anything (BadZipFile, zlib.error,
    # struct.error, NotImplementedError for a flipped compression method, RuntimeError
    # for a flipped encryption flag, OSError for a seek before the start, ...); each
    # one means the same: damaged.
    except Exception as error:
        text = str(error).splitlines()[0][:120] if str(error) else ""
        return text or type(error).__name__
    return None
