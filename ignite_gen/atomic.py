"""Atomic file replacement: readers and killed writers never see a torn file."""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import UserError

__all__ = ["DiskError", "atomic_write", "disk_error", "remove_stale_temporaries"]

# Read once at import: os.umask can only be read by setting it.
_UMASK = os.umask(0)
os.umask(_UMASK)


def _fsync(path: str | os.PathLike[str], flags: int = os.O_RDONLY) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write(path: Path, write: Callable[[Path], object], suffix: str = ".tmp") -> Path:
    """Let ``write(tmp)`` fill a temporary file beside ``path``, then move it over ``path``.

    The temporary file is fsynced before ``os.replace`` and the directory after it, so
    a kill or a power cut at any instant leaves the old file or the new one, complete.
    ``suffix`` is the temporary name's extension, for writers that infer the format
    from it (PIL, for instance). A full disk or an unwritable directory is a one-line
    :class:`DiskError`; the temporary file is removed and the old ``path`` stays.

    Example:
        >>> atomic_write(Path("result/notes.txt"), lambda tmp: tmp.write_text("done"))
        PosixPath('result/notes.txt')
    """
    try:
        return _replace(path, write, suffix)
    except OSError as error:
        raise (disk_error(error, path) or error) from error


class DiskError(UserError):
    """A full disk or an unwritable directory stopped a write; the file written keeps
    its old content (or stays absent), so a writer that knows what else survived can
    add it to the message.

    Example:
        >>> raise DiskError("no space left on device while writing result/log.jsonl; ...")
        Traceback (most recent call last):
            ...
        ignite_gen.atomic.DiskError: no space left on device while writing result/log.jsonl; ...
    """


def disk_error(error: OSError, path: Path) -> DiskError | None:
    """The one-line :class:`DiskError` for a full disk or an unwritable directory met
    while writing ``path``; ``None`` for any other ``OSError``.

    Example:
        >>> disk_error(OSError(errno.ENOSPC, "No space left"), Path("result/log.jsonl"))
        DiskError('no space left on device while writing result/log.jsonl; free space ...')
    """
    code = error.errno or 0
    if code not in _TODO:
        return None
    return DiskError(
        f"{os.strerror(code).lower()} while writing {path}; {_TODO[code].format(path.parent)}"
    )


# What a user can do about the errors a full or read-only disk gives; every command
# writes through here, so the hint for a training run (--resume) is one case of it.
_TODO = {
    **dict.fromkeys(
        (errno.ENOSPC, errno.EDQUOT), "free space and rerun, with --resume for a training run"
    ),
    **dict.fromkeys(
        (errno.EACCES, errno.EPERM, errno.EROFS),
        "make {}/ writable or write elsewhere, then rerun (with --resume for a training run)",
    ),
}


def _replace(path: Path, write: Callable[[Path], object], suffix: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(descriptor)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp creates the file private (0600); give it the mode open() would have.
        os.chmod(tmp, 0o666 & ~_UMASK)
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync(path.parent)
    return path


# The names mkstemp gives in atomic_write: ".<target>.<8 random characters><suffix>".
_TEMPORARY = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}(?P<suffix>\.\w+)")


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Delete the temporary files that writers killed inside :func:`atomic_write` left
    in ``directory`` and below; returns them. Call it only while holding the run lock
    of ``directory``: then no live writer owns any of them.

    Example:
        >>> Path("result/.snapshot_epoch_0002.pt.k3v9x1qa.tmp").touch()
        >>> remove_stale_temporaries(Path("result"))
        [PosixPath('result/.snapshot_epoch_0002.pt.k3v9x1qa.tmp')]
    """
    stale = []
    for path in directory.rglob(".*"):
        found = _TEMPORARY.fullmatch(path.name)
        if found and path.is_file():
            suffix = found["suffix"]
            if suffix == ".tmp" or found["target"].endswith(suffix):
                path.unlink(missing_ok=True)
                stale.append(path)
    return stale
