"""scikit-learn's bundled 8x8 digits at MNIST's size: the second digit domain."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from ..errors import UserError

__all__ = ["load_sklearn_digits"]

# MNIST centres each digit's 20x20 bounding box in its 28x28 frame; the 8x8 scans fill
# their frame, so they are scaled to that box and padded by its margin.
_BOX, _MARGIN = 20, 4


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError:
        raise UserError("the 8x8 digits need scikit-learn; pip install scikit-learn") from None
    data = load_digits()
    scans = torch.as_tensor(data.images, dtype=torch.float32).unsqueeze(1) / 16
    box = F.interpolate(scans, size=(_BOX, _BOX), mode="bilinear", align_corners=False)
    framed = F.pad(box, (_MARGIN,) * 4)
    images = (framed.clamp(0, 1) * 255).round().to(torch.uint8)
    return images, torch.as_tensor(data.target, dtype=torch.int64)


def load_sklearn_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """The 1,797 scanned digits of ``sklearn.datasets.load_digits`` (8x8, ink 0..16, from
    a different source than MNIST), scaled bilinearly to a 20x20 box centred in 28x28 as
    MNIST's digits are: uint8 images (1797, 1, 28, 28) in 0..255 and int64 labels.
    Nothing is downloaded; the data ships with scikit-learn.

    Example:
        >>> images, labels = load_sklearn_digits()
        >>> images.shape, labels[:3].tolist()
        (torch.Size([1797, 1, 28, 28]), [0, 1, 2])
    """
    images, labels = _digits()
    return images.clone(), labels.clone()
