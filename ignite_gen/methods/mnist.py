"""MNIST for the image methods: the bundled subset or full MNIST, as a resumable loader."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..data import TensorLoader, load_mnist_dir, load_mnist_subset, to_unit_range
from ..errors import UserError
from ..metrics.classifier import held_out_split
from .option_types import at_least

__all__ = ["MNIST_DATA", "add_mnist_arguments", "mnist_loader"]

#: The MNIST option that names the training images: a resumed run may name a copy.
MNIST_DATA = ("data_root",)


def add_mnist_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data-root`` and ``--max-images``."""
    parser.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="a torchvision MNIST directory (MNIST/raw/...); default: the bundled subset",
    )
    parser.add_argument(
        "--max-images",
        type=at_least(1),
        default=None,
        metavar="N",
        help="train on the first N images only (quick trials)",
    )


def mnist_loader(
    settings: argparse.Namespace,
    device: torch.device,
    labels: bool = False,
    hold_out: bool = False,
) -> TensorLoader:
    """Shuffled, resumable batches of MNIST images in [-1, 1] (with their int64 labels
    when ``labels``), on ``device``, full batches only.

    With ``hold_out`` the bundled subset gives only the 4,000 images that the project's
    classifier trained on: methods whose metrics read held-out images (the predictor's
    accuracy, style transfer) must not train on those 1,000. Full MNIST is taken whole.

    Example:
        >>> images, digits = next(iter(mnist_loader(settings("cvae"), device, labels=True)))
    """
    if hold_out and settings.data_root is None:
        images, targets, _, _ = held_out_split()
    else:
        raw, targets = (
            load_mnist_dir(settings.data_root) if settings.data_root else load_mnist_subset()
        )
        images = to_unit_range(raw)
    if settings.max_images is not None:
        images, targets = images[: settings.max_images], targets[: settings.max_images]
    if len(images) < settings.batch_size:
        raise UserError(
            f"--batch-size {settings.batch_size} is larger than the {len(images)} training images"
        )
    tensors = (images, targets) if labels else (images,)
    return TensorLoader(
        *tensors,
        batch_size=settings.batch_size,
        shuffle=True,
        drop_last=True,
        seed=settings.seed,
        device=device,
    )
