"""Updaters: one training iteration each; subclass :class:`Updater` for your own."""

from .base import Updater, move_to_device, resolve_device
from .gan import GANUpdater, sample_noise

__all__ = ["GANUpdater", "Updater", "move_to_device", "resolve_device", "sample_noise"]
