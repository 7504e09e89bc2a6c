"""Extensions: code the trainer runs after iterations whose trigger fires."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .trainer import Trainer
    from .triggers import TriggerLike

__all__ = [
    "PRIORITY_EDITOR",
    "PRIORITY_READER",
    "PRIORITY_WRITER",
    "Extension",
    "make_extension",
]

#: Extensions that write into the observation (for example an evaluator) run first.
PRIORITY_WRITER = 300
#: Extensions that change the observation written by writers.
PRIORITY_EDITOR = 200
#: Extensions that only read the observation (logging, printing, snapshots) run last.
PRIORITY_READER = 100


class Extension:
    """Base class of trainer extensions, as in Chainer.

    Subclasses override ``__call__(trainer)`` and, where needed, ``initialize``,
    ``finalize``, ``on_error``, ``state_dict`` and ``load_state_dict``. Class attributes
    give the defaults that :meth:`Trainer.extend` uses.

    Example:
        >>> class CountEpochs(Extension):
        ...     trigger = (1, "epoch")
        ...     def __init__(self):
        ...         self.count = 0
        ...     def __call__(self, trainer):
        ...         self.count += 1
        ...     def state_dict(self):
        ...         return {"count": self.count}
        ...     def load_state_dict(self, state):
        ...         self.count = state["count"]
    """

    trigger: TriggerLike = (1, "iteration")
    priority: int = PRIORITY_READER
    name: str | None = None

    @property
    def default_name(self) -> str:
        """The name used when neither ``extend(name=...)`` nor ``self.name`` is set."""
        return type(self).__name__

    def __call__(self, trainer: Trainer) -> None:
        raise NotImplementedError

    def initialize(self, trainer: Trainer) -> None:
        """Called once before the first iteration (also when resuming)."""

    def finalize(self, trainer: Trainer) -> None:
        """Called once when training ends, normally or not (close files, bars)."""

    def on_resume(self, trainer: Trainer) -> None:
        """Called once after the trainer restored a snapshot, before ``initialize``, and
        also when the run the snapshot holds is already complete: for housekeeping a
        killed run left undone (deleting snapshots past ``n_retains``)."""

    def on_error(self, trainer: Trainer, exc: BaseException, tb: TracebackType | None) -> None:
        """Called when an iteration or an extension raises, before ``finalize``."""

    def state_dict(self) -> dict[str, Any]:
        """What a snapshot must hold to resume this extension exactly."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""


class _FunctionExtension(Extension):
    def __init__(
        self,
        func: Callable[[Trainer], Any],
        initializer: Callable[[Trainer], Any] | None = None,
        finalizer: Callable[[Trainer], Any] | None = None,
    ) -> None:
        self._func = func
        self._initializer = initializer
        self._finalizer = finalizer

    @property
    def default_name(self) -> str:
        return getattr(self._func, "__name__", type(self._func).__name__)

    def __call__(self, trainer: Trainer) -> None:
        self._func(trainer)

    def initialize(self, trainer: Trainer) -> None:
        if self._initializer is not None:
            self._initializer(trainer)

    def finalize(self, trainer: Trainer) -> None:
        if self._finalizer is not None:
            self._finalizer(trainer)


def make_extension(
    trigger: TriggerLike = (1, "iteration"),
    priority: int = PRIORITY_READER,
    name: str | None = None,
    initializer: Callable[[Trainer], Any] | None = None,
    finalizer: Callable[[Trainer], Any] | None = None,
) -> Callable[[Callable[[Trainer], Any]], Extension]:
    """Turn a function of the trainer into an extension.

    Example:
        >>> @make_extension(trigger=(1, "epoch"))
        ... def save_images(trainer):
        ...     print("epoch", trainer.epoch)
        >>> # trainer.extend(save_images)
    """

    def decorator(func: Callable[[Trainer], Any]) -> Extension:
        extension = _FunctionExtension(func, initializer, finalizer)
        extension.trigger = trigger
        extension.priority = priority
        extension.name = name
        return extension

    return decorator
