"""LRScheduler: step a PyTorch learning-rate scheduler from the trainer, resumably."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import torch
from torch.optim.lr_scheduler import LRScheduler as TorchLRScheduler

from ..errors import ArgumentTypeError, UserError
from ..extension import PRIORITY_WRITER, Extension
from ..reporter import report

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["LRScheduler"]


def _settings(scheduler: TorchLRScheduler) -> list[str]:
    """State keys a scheduler's constructor decides (T_max, milestones, eta_min, ...);
    the other keys (last_epoch, _step_count, _last_lr, base_lrs, ...) are progress."""
    parameters = inspect.signature(type(scheduler).__init__).parameters
    ignored = {"self", "optimizer", "last_epoch", "verbose"}
    state = scheduler.state_dict()
    return [name for name in parameters if name not in ignored and name in state]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return torch.equal(torch.as_tensor(a), torch.as_tensor(b))
    return bool(a == b)


class LRScheduler(Extension):
    """Calls ``scheduler.step()`` after every iteration (or whenever ``trigger`` fires)
    and reports the learning rate the iteration used as ``key`` (first parameter group),
    as Chainer's ``observe_lr`` does. The scheduler's state goes into snapshots, so a
    resumed run continues the schedule where it stopped.

    A run resumed with other schedule settings (a longer ``T_max`` because more epochs
    were asked for) keeps the settings it was built with and the snapshot's progress,
    and sets the learning rate to the schedule's closed form at that point: from there
    on it is the rate a run planned that long from the start would use, so a cosine is
    extended, never restarted. A scheduler without a closed form (``OneCycleLR``,
    ``ReduceLROnPlateau``, ...) cannot be extended: that resume is a ``UserError``.

    Example:
        >>> optimizer = updater.optimizers["gen"]
        >>> cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10_000)
        >>> trainer.extend(extensions.LRScheduler(cosine))
    """

    # A writer, so LogReport sees the learning rate in the same iteration's observation.
    priority = PRIORITY_WRITER

    def __init__(
        self, scheduler: TorchLRScheduler, trigger: TriggerLike = (1, "iteration"), key: str = "lr"
    ) -> None:
        if not all(hasattr(scheduler, a) for a in ("step", "state_dict", "optimizer")):
            raise ArgumentTypeError(
                f"LRScheduler: scheduler must be a torch LR scheduler, got {scheduler!r:.60}"
            )
        self.scheduler, self.trigger, self.key = scheduler, trigger, key

    def __call__(self, trainer: Trainer) -> None:
        report({self.key: self.scheduler.optimizer.param_groups[0]["lr"]})
        self.scheduler.step()

    def state_dict(self) -> dict[str, Any]:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        scheduler = self.scheduler
        own = scheduler.state_dict()
        settings = _settings(scheduler)
        changed = [k for k in settings if k in state and not _same(own[k], state[k])]
        if not changed:
            scheduler.load_state_dict(state)  # the same schedule: bit-exact continuation
            return
        name = type(scheduler).__name__
        differences = ", ".join(f"{k} {state[k]!r} -> {own[k]!r}" for k in changed)
        # torch evaluates a schedule at an arbitrary step only through this private
        # method (its step() is recursive); schedulers without it cannot be extended.
        closed_form = getattr(scheduler, "_get_closed_form_lr", None)
        if closed_form is None:
            raise UserError(
                f"LRScheduler: the snapshot's {name} differs from this run's ({differences}) "
                f"and {name} has no closed form to extend it with; resume with the settings "
                "the snapshot was taken with"
            )
        scheduler.load_state_dict({**state, **{k: own[k] for k in settings}})
        rates = closed_form()
        for group, rate in zip(scheduler.optimizer.param_groups, rates, strict=True):
            group["lr"] = rate
        scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]
