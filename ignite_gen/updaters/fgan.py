"""FGANUpdater: variational divergence minimisation, f-GAN (Nowozin et al. 2016)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ..argument_checks import choice
from ..models.noise import sample_noise
from ..reporter import report
from . import fdivergence
from .gan import GANUpdater, real_images
from .options import GANOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["GENERATOR_OBJECTIVES", "FGANUpdater"]

#: ``"activation"``: G maximises ``E_Q[g_f(V(G(z)))]``, the paper's section 3.2 choice
#: (for the GAN divergence it is the usual non-saturating loss); ``"saddle"``: G
#: minimises the critic's bound itself, ``-E_Q[f*(g_f(V(G(z))))]`` (its equation 6).
GENERATOR_OBJECTIVES = ("activation", "saddle")


class FGANUpdater(GANUpdater):
    """f-GAN: the critic ``V`` raises a variational lower bound of ``D_f(P || Q)``, the
    generator lowers the divergence it estimates.

    With ``T = g_f(V(x))`` the bound is ``F = E_P[g_f(V(x))] - E_Q[f*(g_f(V(G(z))))]``
    (:class:`~ignite_gen.updaters.fdivergence.Divergence`; ``divergence`` is one of
    ``"kl"``, ``"reverse-kl"``, ``"pearson"``, ``"hellinger"``, ``"js"``, ``"gan"``):

    - ``L_V = -F`` on fakes detached from G;
    - ``L_G = -E_Q[g_f(V(G(z)))]`` (``generator_objective="activation"``, the paper's
      section 3.2) or ``L_G = -E_Q[f*(g_f(V(G(z))))]`` (``"saddle"``, equation 6).

    The critic steps every iteration and the generator every ``n_dis``-th, one after
    the other (the paper's algorithm 1 updates both from one batch at once; alternating
    steps are what every other updater here does). Reports ``dis/loss``, ``gen/loss``
    and ``dis/divergence`` (``F``: the critic's current lower bound, in nats). The other
    options are :class:`~ignite_gen.updaters.options.GANOptions`.

    Example:
        >>> gen, dis = build_model("dcgan-generator"), build_model("dcgan-discriminator")
        >>> opt_gen, opt_dis = (torch.optim.Adam(m.parameters()) for m in (gen, dis))
        >>> updater = FGANUpdater(loader, gen, dis, opt_gen, opt_dis, divergence="pearson")
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        gen: nn.Module,
        dis: nn.Module,
        opt_gen: torch.optim.Optimizer,
        opt_dis: torch.optim.Optimizer,
        *,
        divergence: str = "gan",
        generator_objective: str = "activation",
        **options: Unpack[GANOptions],
    ) -> None:
        self.divergence = fdivergence.divergence(divergence)
        self.generator_objective = choice(
            generator_objective, "generator_objective", GENERATOR_OBJECTIVES
        )
        super().__init__(iterator, gen, dis, opt_gen, opt_dis, **options)

    def update_core(self, batch: Any) -> None:
        gen, dis = self.models["gen"], self.models["dis"]
        f = self.divergence
        x = real_images(batch)
        with self.autocast():
            fake = gen(sample_noise(gen, len(x), self.device))
            v_real, v_fake = (v.float() for v in self.discriminate(x, fake.detach()))
            bound = f.activation(v_real).mean() - f.conjugate_of_activation(v_fake).mean()
        self.step("dis", -bound)
        report({"dis/loss": -bound, "dis/divergence": bound})

        if self.generator_steps_now():
            with self.autocast():
                v_gen = dis(fake).float()
                if self.generator_objective == "activation":
                    loss_gen = -f.activation(v_gen).mean()
                else:
                    loss_gen = -f.conjugate_of_activation(v_gen).mean()
            self.step("gen", loss_gen)
            report({"gen/loss": loss_gen})
