"""GANUpdater: the non-saturating GAN of Goodfellow et al., as trained in DCGAN."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UserError
from ..models.noise import sample_noise
from ..reporter import report
from .base import Updater

__all__ = ["GANUpdater", "real_images"]


def real_images(batch: Any) -> torch.Tensor:
    """The images of a batch that is either a tensor or an ``(images, labels)`` pair."""
    return batch[0] if isinstance(batch, (tuple, list)) else batch


class GANUpdater(Updater):
    """Trains ``gen`` and ``dis`` with the non-saturating GAN losses (logits, BCE).

    ``L_D = (softplus(-D(x)) + softplus(D(G(z)))) / 2`` (BCE of real as 1, fake as 0),
    ``L_G = softplus(-D(G(z)))`` (BCE of fake as 1), each averaged over the batch.
    ``dis_batch="joint"`` feeds real and fake through D in one concatenated batch
    (shared BatchNorm statistics); ``"separate"`` uses two forwards. The generator
    steps once every ``n_dis`` iterations; the discriminator every iteration.
    ``ema_decay`` keeps an EMA of the generator as ``models["gen_ema"]``;
    ``precision`` and ``grad_clip`` are the base :class:`Updater`'s. The other GAN
    updaters subclass this one and override :meth:`update_core`.

    Example:
        >>> updater = GANUpdater(loader, gen, dis, opt_gen, opt_dis, device="cpu")
        >>> trainer = Trainer(updater, (25, "epoch"))
    """

    def __init__(
        self,
        iterator: Iterable,
        gen: nn.Module,
        dis: nn.Module,
        opt_gen: torch.optim.Optimizer,
        opt_dis: torch.optim.Optimizer,
        device: str | torch.device | None = "auto",
        dis_batch: str = "separate",
        n_dis: int = 1,
        converter: Callable[[Any, torch.device], Any] | None = None,
        grad_clip: float | None = None,
        precision: str = "fp32",
        ema_decay: float | None = None,
    ) -> None:
        if dis_batch not in ("separate", "joint"):
            raise UserError(f"dis_batch must be 'separate' or 'joint', got {dis_batch!r}")
        if n_dis < 1:
            raise UserError(f"n_dis must be at least 1, got {n_dis}")
        super().__init__(
            iterator,
            {"gen": gen, "dis": dis},
            {"gen": opt_gen, "dis": opt_dis},
            device=device,
            converter=converter,
            grad_clip=grad_clip,
            precision=precision,
            ema=None if ema_decay is None else {"gen": ema_decay},
        )
        self.dis_batch = dis_batch
        self.n_dis = n_dis

    def discriminate(
        self, x: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits of D on the real and the (detached) fake batch."""
        dis = self.models["dis"]
        if self.dis_batch == "joint":
            logits = dis(torch.cat([x, fake]))
            return logits[: len(x)], logits[len(x) :]
        return dis(x), dis(fake)

    def update_core(self, batch: Any) -> None:
        gen, dis = self.models["gen"], self.models["dis"]
        x = real_images(batch)
        with self.autocast():
            fake = gen(sample_noise(gen, len(x), self.device))
            y_real, y_fake = self.discriminate(x, fake.detach())
            loss_dis = (F.softplus(-y_real).mean() + F.softplus(y_fake).mean()) / 2
        self.step("dis", loss_dis)
        report({"dis/loss": loss_dis})

        if self.generator_steps_now():
            with self.autocast():
                loss_gen = F.softplus(-dis(fake)).mean()
            self.step("gen", loss_gen)
            report({"gen/loss": loss_gen})

    def generator_steps_now(self) -> bool:
        """Whether this iteration ends with a generator step (every ``n_dis``-th)."""
        return (self.iteration + 1) % self.n_dis == 0
