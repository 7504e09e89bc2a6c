"""Image files read as they are: grey levels scaled by the value range of the file's
mode (8-bit, 16-bit, 32-bit integer or float), the digits that ``ignite-gen predict``
and ``ignite-gen translate`` read."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..errors import ArgumentError, UserError

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["DIGIT_SIZE", "grey_levels", "read_digit"]

#: (width, height) of the digits the predictors and translators take, as MNIST's.
DIGIT_SIZE = (28, 28)

_SIXTEEN_BIT = 65535.0


def grey_levels(image: Image) -> np.ndarray:
    """The grey levels of a Pillow ``image`` as a float32 (H, W) array in [0, 1], each
    mode scaled by its own value range, so a pixel at half range reads 0.5 in any mode:

    - 16-bit greyscale (``I;16``, ``I;16B``, ``I;16L``, ``I;16N``): by 65,535;
    - ``I``, 32-bit integers (how Pillow opens 16-bit PGM, PPM and TIFF files): by
      65,535, and values outside 0..65535 are an :class:`ArgumentError`;
    - ``F``, 32-bit floats: as they are, and values outside [0, 1] (or not finite) are
      an :class:`ArgumentError`, since no file says which range its floats use;
    - every other mode (bilevel, 8-bit grey, palette, RGB, CMYK, ... with or without
      alpha) through Pillow's conversion to RGBA, colour as ITU-R 601-2 luma, and
      composited on black: a transparent pixel is background, black as in MNIST.

    Pillow's own ``convert("L")`` clips 16- and 32-bit values at 255, so a 16-bit image
    would read nearly white wherever it is not black.

    Example:
        >>> grey_levels(Image.fromarray(np.array([[0, 32768, 65535]], np.uint16)))
        array([[0.       , 0.5000076, 1.       ]], dtype=float32)
    """
    if image.mode.startswith("I;16"):
        return np.asarray(image).astype(np.float32) / _SIXTEEN_BIT
    if image.mode == "I":
        return _checked(np.asarray(image), 0, 65535, "32-bit integer") / _SIXTEEN_BIT
    if image.mode == "F":
        return _checked(np.asarray(image), 0, 1, "32-bit float")
    # Premultiplied grey and alpha: Pillow converts it to RGBA only through LA.
    rgba = (image.convert("LA") if image.mode == "La" else image).convert("RGBA")
    levels = np.asarray(rgba.convert("L"), dtype=np.float32) / 255.0
    alpha = np.asarray(rgba.getchannel("A"))
    return levels if alpha.min() == 255 else levels * (alpha / np.float32(255.0))


def _checked(pixels: np.ndarray, low: float, high: float, kind: str) -> np.ndarray:
    values = pixels.astype(np.float32)
    if not np.isfinite(values).all() or values.min() < low or values.max() > high:
        finite = values[np.isfinite(values)]
        found = f"{finite.min():g} to {finite.max():g}" if finite.size else "none finite"
        raise ArgumentError(
            f"image: its {kind} pixels hold values {found}"
            f"{'' if finite.size == values.size else ' and non-finite ones'}, "
            f"outside the {low:g} to {high:g} this mode is read in"
        )
    return values


def read_digit(path: Path) -> torch.Tensor:
    """``path`` as a (1, 28, 28) float32 image in [-1, 1], its :func:`grey_levels`
    (after any EXIF rotation, as a viewer shows it). A missing, unreadable or wrongly
    sized file, a directory, or pixels outside their mode's range are a one-line
    :class:`UserError` naming ``path``.

    Example:
        >>> read_digit(Path("seven.png")).shape  # doctest: +SKIP
        torch.Size([1, 28, 28])
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if path.is_dir():
        raise UserError(
            f"{path}: is a directory, not an image; give image files, e.g. "
            f"{path / '*.png'} for every PNG in it"
        )
    if not path.is_file():
        raise UserError(f"{path}: no such image file; check the path")
    try:
        with Image.open(path) as image:
            _check_size(path, image.size)
            levels = grey_levels(ImageOps.exif_transpose(image))
    except ArgumentError as error:
        raise UserError(
            f"{path}: {str(error).removeprefix('image: ')}; save it as 8- or 16-bit greyscale"
        ) from None
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        reason = str(error).splitlines()[0][:100] if str(error) else type(error).__name__
        raise UserError(
            f"{path}: cannot read it as an image ({reason}); give a PNG or JPEG file"
        ) from None
    return torch.from_numpy(levels * 2 - 1).unsqueeze(0)


def _check_size(path: Path, size: tuple[int, int]) -> None:
    # Before decoding: a wrongly sized file, however large, is never read.
    if size != DIGIT_SIZE:
        width, height = size
        raise UserError(
            f"{path}: image is {width}x{height} pixels; 28x28 digits are expected "
            "(white on black, as MNIST): resize it first"
        )
