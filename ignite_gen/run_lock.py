"""A lock on an output directory, so two runs never write into the same one.

Under ``torch.distributed`` only rank 0, the process that writes the outputs, creates,
locks and cleans the directory; the other processes leave it alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import ignite.distributed as idist

from .atomic import remove_stale_temporaries
from .errors import UserError

__all__ = ["RunLock", "make_output_dir", "output_dir"]


def make_output_dir(directory: str | os.PathLike[str], argument: str = "out") -> Path:
    """Create ``directory`` (and its parents) for a run's outputs; a path that is a file
    or cannot be written is a :class:`UserError` naming ``argument``. Only rank 0 does:
    in the other processes of a distributed run it returns the path untouched.

    Example:
        >>> make_output_dir("result", "--out")
        PosixPath('result')
    """
    path = Path(directory)
    if idist.get_rank() != 0:
        return path
    if path.exists() and not path.is_dir():
        raise UserError(f"{argument} {path} is a file, not a directory; choose another {argument}")
    try:
        path.mkdir(parents=True, exist_ok=True)
        # mkdir succeeds on an existing read-only directory; the first write would not.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UserError(
            f"{argument} {path}: cannot write there ({reason}); choose a writable {argument}"
        ) from None
    return path


@contextlib.contextmanager
def output_dir(directory: str | os.PathLike[str], argument: str = "out") -> Iterator[Path]:
    """:func:`make_output_dir` for a run in the ``with`` block: when the block fails and
    left nothing but the run lock in the directories this call created, they are
    removed again, so a refused run leaves nothing behind. A directory that existed
    before, or that holds anything else, is never removed.

    Example:
        >>> with output_dir("fresh", "--out") as out:
        ...     raise UserError("--batch-size 100000 is larger than the 5000 images")
        Traceback (most recent call last):
            ...
        ignite_gen.errors.UserError: --batch-size 100000 is larger than the 5000 images
        >>> Path("fresh").exists()
        False
    """
    path = Path(directory)
    # Innermost first: the directories make_output_dir creates (rank 0 alone does).
    missing = [d for d in (path, *path.parents) if not d.exists()]
    created = missing if idist.get_rank() == 0 else []
    make_output_dir(path, argument)
    try:
        yield path
    except BaseException:
        _remove_if_unused(created)
        raise


def _remove_if_unused(directories: list[Path]) -> None:
    with contextlib.suppress(OSError):  # what stays is harmless; the failure is the news
        for directory in directories:
            if {entry.name for entry in directory.iterdir()} - {".lock"}:
                return
            (directory / ".lock").unlink(missing_ok=True)
            directory.rmdir()


class RunLock:
    """Holds ``out/.lock`` for the duration of a run.

    The lock is an ``flock`` on an open file, so the kernel drops it when the process
    dies, even by SIGKILL: a killed run never leaves a stale lock behind. Taking it
    removes the temporary files of writes such a run did not finish. Under
    ``torch.distributed`` only rank 0 takes it; in the other processes it does nothing.

    Example:
        >>> with RunLock("result"):
        ...     pass
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / ".lock"
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        if idist.get_rank() != 0:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise UserError(
                f"{self.path.parent}/ is in use by another live run (pid {holder}); "
                "wait for it to finish or choose another output directory"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        # Whoever wrote these was killed mid-write: the lock was free.
        remove_stale_temporaries(self.path.parent)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
