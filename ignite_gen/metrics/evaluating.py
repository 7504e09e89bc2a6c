"""Scoring models mid-training: evaluation mode and no gradients, then back as they were."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

__all__ = ["evaluating", "module_device"]


@contextlib.contextmanager
def evaluating(*modules: nn.Module) -> Iterator[None]:
    """``eval()`` and ``torch.no_grad()`` for the block; afterwards every submodule gets
    its own ``training`` flag back (``train(mode)`` would set them all alike), so a
    metric run between iterations leaves a partly frozen model as it found it.

    Example:
        >>> with evaluating(generator, classifier):
        ...     digits = classifier(generator(z)).argmax(1)
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
