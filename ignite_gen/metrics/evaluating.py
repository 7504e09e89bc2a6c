"""Scoring models mid-training: evaluation mode and no gradients, then back as they were;
and the check of the labelled images such scores read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from ..argument_checks import instance
from ..errors import ArgumentError, ArgumentTypeError

__all__ = ["check_labelled_images", "evaluating", "module_device"]


@contextlib.contextmanager
def evaluating(*modules: nn.Module) -> Iterator[None]:
    """``eval()`` and ``torch.no_grad()`` for the block; afterwards every submodule gets
    its own ``training`` flag back (``train(mode)`` would set them all alike), so a
    metric run between iterations leaves a partly frozen model as it found it.

    Example:
        >>> classifier = load_classifier()
        >>> with evaluating(gen, classifier):
        ...     digits = classifier(gen(torch.randn(8, gen.z_dim))).argmax(1)
        >>> gen.training  # as it was before
        True
    """
    modes = [(sub, sub.training) for module in modules for sub in module.modules()]
    try:
        for module in modules:
            module.eval()
        with torch.no_grad():
            yield
    finally:
        for sub, training in modes:
            sub.training = training


def module_device(module: nn.Module) -> torch.device:
    """The device of ``module``'s first parameter; the CPU for a module without any.

    Example:
        >>> module_device(torch.nn.Linear(2, 2))
        device(type='cpu')
    """
    parameter = next(module.parameters(), None)
    return torch.device("cpu") if parameter is None else parameter.device


def check_labelled_images(images: torch.Tensor, labels: torch.Tensor) -> None:
    """Refuse anything but a non-empty (N, C, H, W) image tensor with int64 labels (N,).

    Example:
        >>> check_labelled_images(torch.zeros(2, 1, 28, 28), torch.tensor([3, 7]))
    """
    instance(images, torch.Tensor, "images", "a tensor (N, channels, height, width)")
    instance(labels, torch.Tensor, "labels", "a tensor of int64 labels (N,)")
    if images.dim() != 4 or len(images) == 0:
        raise ArgumentError(
            f"images must be a non-empty (N, C, H, W) batch, got {tuple(images.shape)}"
        )
    if labels.dtype != torch.int64:
        raise ArgumentTypeError(f"labels must be int64 class indices, got {labels.dtype}")
    if labels.shape != (len(images),):
        raise ArgumentError(f"labels must have shape ({len(images)},), got {tuple(labels.shape)}")
