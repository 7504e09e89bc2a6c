"""GANUpdater: the non-saturating GAN of Goodfellow et al., as trained in DCGAN."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..argument_checks import choice, described, instance, integer
from ..errors import ArgumentError, ArgumentTypeError
from ..models.noise import sample_noise
from ..reporter import report
from .arguments import check_optimizer_owners
from .base import Updater
from .ema import check_decay

__all__ = ["GANUpdater", "check_gan_arguments", "real_images"]


def check_gan_arguments(
    gen: nn.Module, dis: nn.Module, opt_gen: torch.optim.Optimizer, opt_dis: torch.optim.Optimizer
) -> None:
    """Refuse what is not a module or an optimizer, a generator without a noise size, and
    optimizers that step the other network (swapped ``opt_gen`` and ``opt_dis``).

    Example:
        >>> check_gan_arguments(gen, dis, opt_dis, opt_gen)
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentError: opt_gen steps parameters of dis, not of gen; ...
    """
    instance(gen, nn.Module, "gen", "an nn.Module (the generator)")
    instance(dis, nn.Module, "dis", "an nn.Module (the discriminator)")
    for name, optimizer in (("opt_gen", opt_gen), ("opt_dis", opt_dis)):
        instance(optimizer, torch.optim.Optimizer, name, "a torch.optim.Optimizer")
    if getattr(gen, "z_dim", None) is None and not callable(getattr(gen, "sample_noise", None)):
        raise ArgumentError(
            f"gen ({type(gen).__name__}) needs a z_dim attribute (its noise size) or a "
            "sample_noise(n, device=None, generator=None) method"
        )
    check_optimizer_owners(
        [("opt_gen", opt_gen, "gen"), ("opt_dis", opt_dis, "dis")], {"gen": gen, "dis": dis}
    )


def real_images(batch: Any) -> torch.Tensor:
    """The images of a batch that is either a tensor or an ``(images, labels)`` pair;
    anything else raises :class:`ArgumentTypeError` (a ``converter`` can make it so).

    Example:
        >>> real_images((torch.zeros(4, 1, 28, 28), torch.arange(4))).shape
        torch.Size([4, 1, 28, 28])
    """
    if isinstance(batch, torch.Tensor):
        return batch
    if isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], torch.Tensor):
        images: torch.Tensor = batch[0]
        return images
    raise ArgumentTypeError(
        f"batch: GAN updaters take a tensor of images or an (images, labels) pair, got "
        f"{described(batch)}; pass converter= to turn your batches into one"
    )


class GANUpdater(Updater):
    """Trains ``gen`` and ``dis`` with the non-saturating GAN losses (logits, BCE).

    ``L_D = (softplus(-D(x)) + softplus(D(G(z)))) / 2`` (BCE of real as 1, fake as 0),
    ``L_G = softplus(-D(G(z)))`` (BCE of fake as 1), each averaged over the batch.
    ``dis_batch="joint"`` feeds real and fake through D in one concatenated batch
    (shared BatchNorm statistics); ``"separate"`` uses two forwards. The generator
    steps once every ``n_dis`` iterations; the discriminator every iteration.
    ``ema_decay`` keeps an EMA of the generator as ``models["gen_ema"]``;
    ``precision``, ``grad_clip`` and ``sync_batchnorm`` are the base :class:`Updater`'s.
    The other GAN updaters subclass this one and override :meth:`update_core`. Arguments are checked
    at construction (:func:`check_gan_arguments`; ``n_dis`` an integer of at least 1,
    ``ema_decay`` in (0, 1)), naming the one at fault.

    Example:
        >>> updater = GANUpdater(loader, gen, dis, opt_gen, opt_dis, device="cpu")
        >>> trainer = Trainer(updater, (25, "epoch"))
    """

    def __init__(
        self,
        iterator: Iterable[Any],
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
        sync_batchnorm: bool = False,
    ) -> None:
        check_gan_arguments(gen, dis, opt_gen, opt_dis)
        dis_batch = choice(dis_batch, "dis_batch", ("separate", "joint"))
        n_dis = integer(n_dis, "n_dis")
        if ema_decay is not None:
            ema_decay = check_decay(ema_decay, "ema_decay")
        super().__init__(
            iterator,
            {"gen": gen, "dis": dis},
            {"gen": opt_gen, "dis": opt_dis},
            device=device,
            converter=converter,
            grad_clip=grad_clip,
            precision=precision,
            sync_batchnorm=sync_batchnorm,
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
