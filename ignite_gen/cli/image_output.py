"""The picture ``sample`` and ``montage`` write: its name checked before any work, the
file written atomically, a write that fails reported in one line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ..atomic import atomic_write
from ..errors import UserError

__all__ = ["check_image_path", "pillow_extensions", "write_image"]


def check_image_path(path: Path, extensions: Iterable[str], option: str = "-o") -> None:
    """Refuse ``path`` unless it names a file with one of ``extensions`` (lower case,
    without the dot): the writers pick the image format from it.

    Example:
        >>> check_image_path(Path("grid"), {"png", "jpg"})
        Traceback (most recent call last):
        ignite_gen.errors.UserError: -o grid: no image extension; name the file e.g. grid.png
    """
    if path.is_dir():
        raise UserError(
            f"{option} {path}: is a directory; give a file name such as {path / 'samples.png'}"
        )
    extension = path.suffix.lower().lstrip(".")
    if extension not in set(extensions):
        problem = f".{extension} is not an image format it can write" if extension else None
        raise UserError(
            f"{option} {path}: {problem or 'no image extension'}; "
            f"name the file e.g. {path.with_suffix('.png').name}"
        )


def pillow_extensions() -> set[str]:
    """The file extensions (lower case, without the dot) of every format Pillow writes.

    Example:
        >>> {"png", "jpg", "tiff"} <= pillow_extensions()
        True
    """
    from PIL import Image

    Image.init()  # registers every format plugin, not only the common ones
    formats = Image.registered_extensions()
    return {ext.lstrip(".") for ext, name in formats.items() if name in Image.SAVE}


def write_image(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` then move ``tmp`` over ``path`` (see :func:`~ignite_gen.atomic.atomic_write`);
    an ``OSError`` (no such directory, no permission, a full disk) becomes a one-line
    :class:`UserError` naming ``path``, and any earlier file at ``path`` stays as it was.

    Example:
        >>> write_image(Path("grid.png"), lambda tmp: save_image(images, tmp))
        PosixPath('grid.png')
    """
    try:
        return atomic_write(path, write, suffix=path.suffix)
    except OSError as error:
        reason = error.strerror or str(error)
        raise UserError(
            f"{path}: cannot write it ({reason}); choose a path you can write to"
        ) from None
