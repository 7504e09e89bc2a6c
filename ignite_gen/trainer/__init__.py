"""The trainer: one Ignite Engine driving an updater, with Chainer-style extensions.

:mod:`.trainer` holds :class:`Trainer`; :mod:`.resume` restores one from a snapshot
and :mod:`.run_limits` turns its stop trigger into ``Engine.run`` limits.
"""

from .resume import check_same_run, check_world_size, resume_trainer, saved_world_size
from .run_limits import run_limits
from .trainer import Trainer

__all__ = [
    "Trainer",
    "check_same_run",
    "check_world_size",
    "resume_trainer",
    "run_limits",
    "saved_world_size",
]
