"""Updaters: one training iteration each; subclass :class:`Updater` for your own."""

from .base import Updater, move_to_device, resolve_device
from .gan import GANUpdater

__all__ = ["GANUpdater", "Updater", "move_to_device", "resolve_device"]
