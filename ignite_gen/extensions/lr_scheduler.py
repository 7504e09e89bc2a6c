"""LRScheduler: step a PyTorch learning-rate scheduler from the trainer, resumably."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch.optim.lr_scheduler import LRScheduler as TorchLRScheduler

from ..extension import PRIORITY_WRITER, Extension
from ..reporter import report

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["LRScheduler"]


class LRScheduler(Extension):
    """Calls ``scheduler.step()`` after every iteration (or whenever ``trigger`` fires)
    and reports the learning rate the iteration used as ``key`` (first parameter group),
    as Chainer's ``observe_lr`` does. The scheduler's state goes into snapshots, so a
    resumed run continues the schedule where it stopped.

    Example:
        >>> optimizer = updater.optimizers["main"]
        >>> cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10_000)
        >>> trainer.extend(extensions.LRScheduler(cosine))
    """

    # A writer, so LogReport sees the learning rate in the same iteration's observation.
    priority = PRIORITY_WRITER

    def __init__(
        self, scheduler: TorchLRScheduler, trigger: TriggerLike = (1, "iteration"), key: str = "lr"
    ) -> None:
        self.scheduler, self.trigger, self.key = scheduler, trigger, key

    def __call__(self, trainer: Trainer) -> None:
        report({self.key: self.scheduler.optimizer.param_groups[0]["lr"]})
        self.scheduler.step()

    def state_dict(self) -> dict[str, Any]:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scheduler.load_state_dict(state)
