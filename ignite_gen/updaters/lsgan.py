"""LSGANUpdater: the least-squares GAN of Mao et al."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ..argument_checks import choice, real
from ..errors import ArgumentError
from ..models.noise import sample_noise
from ..reporter import report
from .gan import GANUpdater, real_images
from .options import GANOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["CODINGS", "LSGANUpdater"]

#: The LSGAN paper's two target codings, as ``(a, b, c)``: the fake target of D, the real
#: target of D, and the target G wants D to give its fakes. ``"symmetric"`` meets the
#: paper's condition ``b - c = 1, b - a = 2`` (G then minimises a Pearson chi-squared
#: divergence); ``"binary"`` is the 0-1 coding the paper uses in its experiments.
CODINGS: dict[str, tuple[float, float, float]] = {
    "symmetric": (-1.0, 1.0, 0.0),
    "binary": (0.0, 1.0, 1.0),
}


class LSGANUpdater(GANUpdater):
    """Least-squares GAN: D regresses real images to ``b`` and fakes to ``a``; G pulls its
    fakes' scores to ``c``.

    ``L_D = 1/2 mean((D(x) - b) ** 2) + 1/2 mean((D(G(z)) - a) ** 2)``,
    ``L_G = 1/2 mean((D(G(z)) - c) ** 2)``, on D's raw output (no sigmoid).
    ``coding`` picks ``(a, b, c)`` from :data:`CODINGS` (``"symmetric"``: -1, 1, 0, the
    default; ``"binary"``: 0, 1, 1); ``a``, ``b`` or ``c`` given explicitly override it.
    The other options are :class:`~ignite_gen.updaters.options.GANOptions`. Reports
    ``dis/loss`` and ``gen/loss``.

    Example:
        >>> gen, dis = build_model("dcgan-generator"), build_model("dcgan-discriminator")
        >>> opt_gen, opt_dis = (torch.optim.Adam(m.parameters()) for m in (gen, dis))
        >>> updater = LSGANUpdater(loader, gen, dis, opt_gen, opt_dis, coding="binary")
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        gen: nn.Module,
        dis: nn.Module,
        opt_gen: torch.optim.Optimizer,
        opt_dis: torch.optim.Optimizer,
        *,
        coding: str = "symmetric",
        a: float | None = None,
        b: float | None = None,
        c: float | None = None,
        **options: Unpack[GANOptions],
    ) -> None:
        coding = choice(coding, "coding", CODINGS)
        targets = [
            default if value is None else real(value, name, lambda v: True, "finite")
            for name, value, default in zip("abc", (a, b, c), CODINGS[coding], strict=True)
        ]
        if targets[0] == targets[1]:
            raise ArgumentError(
                f"a (the fake target) and b (the real target) must differ, both are {targets[0]}"
            )
        self.a, self.b, self.c = targets
        super().__init__(iterator, gen, dis, opt_gen, opt_dis, **options)

    def update_core(self, batch: Any) -> None:
        gen, dis = self.models["gen"], self.models["dis"]
        x = real_images(batch)
        a, b, c = self.a, self.b, self.c
        with self.autocast():
            fake = gen(sample_noise(gen, len(x), self.device))
            d_real, d_fake = (d.float() for d in self.discriminate(x, fake.detach()))
            loss_dis = 0.5 * (d_real - b).square().mean() + 0.5 * (d_fake - a).square().mean()
        self.step("dis", loss_dis)
        report({"dis/loss": loss_dis})

        if self.generator_steps_now():
            with self.autocast():
                loss_gen = 0.5 * (dis(fake).float() - c).square().mean()
            self.step("gen", loss_gen)
            report({"gen/loss": loss_gen})
