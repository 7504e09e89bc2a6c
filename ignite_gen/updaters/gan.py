"""GANUpdater: the non-saturating GAN of Goodfellow et al., as trained in DCGAN."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from ..argument_checks import choice, described, instance, integer
from ..errors import ArgumentError, ArgumentTypeError
from ..models.noise import sample_noise
from ..reporter import report
from .arguments import check_optimizer_owners
from .base import Updater
from .ema import generator_ema
from .options import UpdaterOptions, check_keywords

if TYPE_CHECKING:
    from typing_extensions import Unpack

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
    Its options (``dis_batch``, ``n_dis``, ``ema_decay``) and the base :class:`Updater`'s
    are :class:`~ignite_gen.updaters.options.GANOptions`. The other GAN updaters subclass
    this one, override :meth:`update_core` and pass ``**options`` on: the networks
    (:func:`check_gan_arguments`) and these options are checked here, once, at
    construction, naming the argument at fault.

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
        *,
        dis_batch: str = "separate",
        n_dis: int = 1,
        ema_decay: float | None = None,
        **options: Unpack[UpdaterOptions],
    ) -> None:
        check_keywords(self, options, UpdaterOptions)
        check_gan_arguments(gen, dis, opt_gen, opt_dis)
        self.dis_batch = choice(dis_batch, "dis_batch", ("separate", "joint"))
        self.n_dis = integer(n_dis, "n_dis")
        super().__init__(
            iterator,
            {"gen": gen, "dis": dis},
            {"gen": opt_gen, "dis": opt_dis},
            ema=generator_ema(ema_decay),
            **options,
        )

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
