"""Updaters: one training iteration each; subclass :class:`Updater` for your own."""

from .base import PRECISIONS, Updater, move_to_device, resolve_device
from .ema import ExponentialMovingAverage
from .gan import GANUpdater

__all__ = [
    "PRECISIONS",
    "ExponentialMovingAverage",
    "GANUpdater",
    "Updater",
    "move_to_device",
    "resolve_device",
]
