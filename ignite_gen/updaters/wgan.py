"""WGANUpdater: the Wasserstein GAN, with weight clipping (WGAN) or a gradient penalty (WGAN-GP)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ..argument_checks import integer, real
from ..errors import ArgumentError
from ..models.noise import sample_noise
from ..reporter import report
from .gan import GANUpdater, real_images
from .options import DiscriminatorOptions, check_keywords

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["WGANUpdater", "clip_parameters_", "gradient_penalty"]

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


@torch.no_grad()
def clip_parameters_(parameters: list[torch.Tensor], clip: float) -> None:
    """Clamp every tensor of ``parameters`` to ``[-clip, clip]`` in place, on its device
    (WGAN's weight clipping; no value is read back to the host).

    Example:
        >>> critic = build_model("dcgan-discriminator")
        >>> clip_parameters_(list(critic.parameters()), 0.01)
    """
    torch._foreach_clamp_min_(parameters, -clip)
    torch._foreach_clamp_max_(parameters, clip)


def gradient_penalty(
    critic: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP's penalty ``mean((||grad critic(x_hat)||_2 - 1) ** 2)``, unweighted.

    ``x_hat = eps * real + (1 - eps) * fake`` with one ``eps ~ U[0, 1]`` per sample (from
    ``generator`` when given, else the global RNG on ``real``'s device); each sample's
    gradient is that of ``critic(x_hat).sum()`` with respect to its own ``x_hat``, which
    is the per-sample gradient as long as the critic treats samples independently (no
    BatchNorm). ``real`` and ``fake`` are detached: the penalty trains the critic only.
    The graph is kept (``create_graph=True``) so the penalty can be back-propagated.

    Example:
        >>> critic = build_model("dcgan-discriminator", batch_norm=False)
        >>> real, fake = images[:8], gen(torch.randn(8, gen.z_dim)).detach()
        >>> loss_dis = critic(fake).mean() - critic(real).mean()
        >>> loss_dis = loss_dis + 10.0 * gradient_penalty(critic, real, fake)
    """
    shape = (len(real),) + (1,) * (real.dim() - 1)
    if generator is None:
        eps = torch.rand(shape, device=real.device)
    else:
        eps = torch.rand(shape, generator=generator, device=generator.device).to(real.device)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores: torch.Tensor = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.float().sum(), x_hat, create_graph=True)
    norms: torch.Tensor = grad.float().flatten(1).norm(2, dim=1)
    return (norms - 1).square().mean()


class WGANUpdater(GANUpdater):
    """Wasserstein GAN: D is a critic whose mean score gap estimates the Wasserstein distance.

    Critic loss ``mean(D(G(z))) - mean(D(x))``, one critic step per iteration; every
    ``n_critic``-th iteration the generator also steps, on ``-mean(D(G(z)))`` from a fresh
    critic forward. After every critic step each critic parameter is clipped to
    ``[-clip, clip]`` on the device. ``gradient_penalty=lam`` adds
    ``lam * gradient_penalty(...)`` to the critic loss (WGAN-GP); ``clip="auto"`` means
    0.01 without a penalty and no clipping with one (``clip=None`` turns clipping off;
    an explicit number clips also with a penalty). The papers use RMSprop 5e-5 (WGAN)
    and Adam 1e-4, betas (0.5, 0.9), ``lam = 10`` (WGAN-GP); a WGAN-GP critic must not use
    BatchNorm. The other options are
    :class:`~ignite_gen.updaters.options.DiscriminatorOptions` (``n_critic`` is
    :class:`GANUpdater`'s ``n_dis``). Reports ``dis/loss``,
    ``dis/wasserstein`` (``mean(D(x)) - mean(D(G(z)))``), ``dis/gp`` (the unweighted
    penalty, with one) and ``gen/loss``.

    Example:
        >>> gen, critic = build_model("dcgan-generator"), build_model("dcgan-discriminator")
        >>> rmsprop = lambda m: torch.optim.RMSprop(m.parameters(), lr=5e-5)
        >>> updater = WGANUpdater(loader, gen, critic, rmsprop(gen), rmsprop(critic))
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        gen: nn.Module,
        dis: nn.Module,
        opt_gen: torch.optim.Optimizer,
        opt_dis: torch.optim.Optimizer,
        *,
        n_critic: int = 5,
        clip: float | str | None = "auto",
        gradient_penalty: float | None = None,
        **options: Unpack[DiscriminatorOptions],
    ) -> None:
        check_keywords(self, options, DiscriminatorOptions)
        self.n_critic = integer(n_critic, "n_critic")
        if gradient_penalty is not None:
            gradient_penalty = real(
                gradient_penalty, "gradient_penalty", lambda v: v > 0, "positive (None: off)"
            )
        if clip == "auto":
            clip = 0.01 if gradient_penalty is None else None
        if clip is not None:
            clip = real(clip, "clip", lambda v: v > 0, "positive, 'auto' or None (no clipping)")
        self.clip, self.gradient_penalty = clip, gradient_penalty
        super().__init__(iterator, gen, dis, opt_gen, opt_dis, n_dis=self.n_critic, **options)
        norms = [n for n, m in dis.named_modules() if isinstance(m, _BATCH_NORMS)]
        if norms and gradient_penalty is not None:
            raise ArgumentError(
                f"gradient_penalty needs a critic without BatchNorm (dis has it at "
                f"{norms[0] or 'its top'}): the penalty is per sample and BatchNorm mixes "
                "the samples of a batch; build dis without it"
            )
        self._critic_params: list[torch.Tensor] = list(dis.parameters())

    def update_core(self, batch: Any) -> None:
        gen, critic = self.models["gen"], self.models["dis"]
        x = real_images(batch)
        step_gen = self.generator_steps_now()
        with self.autocast():
            # Without a generator step this iteration, G's graph would only be discarded.
            with torch.set_grad_enabled(step_gen):
                fake = gen(sample_noise(gen, len(x), self.device))
            score_real, score_fake = (s.float() for s in self.discriminate(x, fake.detach()))
            loss_dis = score_fake.mean() - score_real.mean()
            if self.gradient_penalty is not None:
                penalty = gradient_penalty(critic, x, fake)
                loss_dis = loss_dis + self.gradient_penalty * penalty
                report({"dis/gp": penalty})
        self.step("dis", loss_dis)
        if self.clip is not None:
            self.clip_critic()
        report({"dis/loss": loss_dis, "dis/wasserstein": score_real.mean() - score_fake.mean()})

        if step_gen:
            with self.autocast():
                loss_gen = -critic(fake).float().mean()
            self.step("gen", loss_gen)
            report({"gen/loss": loss_gen})

    def clip_critic(self) -> None:
        """Clamp every critic parameter to ``[-clip, clip]`` in place, on the device."""
        if self.clip is not None:
            clip_parameters_(self._critic_params, self.clip)
