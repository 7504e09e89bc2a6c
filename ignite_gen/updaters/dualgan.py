"""DualGANUpdater: unpaired translation between two image domains (Yi et al. 2017)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..argument_checks import choice, described, instance, integer, real
from ..errors import ArgumentError, ArgumentTypeError
from ..reporter import report
from .base import Updater
from .gan import real_images
from .options import UpdaterOptions, check_keywords
from .wgan import clip_parameters_

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ADVERSARIAL_LOSSES", "DualGANUpdater"]

#: ``adversarial`` choices: the paper's Wasserstein critics, or its code's cross-entropy.
ADVERSARIAL_LOSSES = ("wgan", "nonsaturating")

_GENERATORS = ("gen_uv", "gen_vu")
_CRITICS = ("dis_u", "dis_v")


def _check_networks(networks: dict[str, Any], opt_gen: Any, opt_dis: Any) -> None:
    for name, net in networks.items():
        instance(net, nn.Module, name, "an nn.Module")
    for label, optimizer in (("opt_gen", opt_gen), ("opt_dis", opt_dis)):
        instance(optimizer, torch.optim.Optimizer, label, "a torch.optim.Optimizer")
    names = list(networks)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            if networks[first] is networks[second]:
                raise ArgumentError(f"{first} and {second} are the same module; DualGAN has four")
    # One optimizer per pair, as the paper trains both generators on one joint loss (and
    # both critics on one): each must step all of its pair's parameters and none of the other's.
    for label, optimizer, own, other in (
        ("opt_gen", opt_gen, _GENERATORS, _CRITICS),
        ("opt_dis", opt_dis, _CRITICS, _GENERATORS),
    ):
        stepped = {id(p) for group in optimizer.param_groups for p in group["params"]}
        build = f"build it from {own[0]}'s and {own[1]}'s parameters"
        for name in other:
            if stepped & {id(p) for p in networks[name].parameters()}:
                raise ArgumentError(
                    f"{label} steps parameters of {name}; {build} "
                    "(are opt_gen and opt_dis swapped?)"
                )
        for name in own:
            trained = [p for p in networks[name].parameters() if p.requires_grad]
            missed = sum(id(p) not in stepped for p in trained)
            if missed:
                raise ArgumentError(
                    f"{label} misses {missed} of the {len(trained)} parameters of {name}; {build}"
                )


def _domains(batch: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ArgumentTypeError(
            f"batch: DualGANUpdater takes a pair (batch_u, batch_v), one batch per domain, got "
            f"{described(batch)}; data.UnpairedLoader(loader_u, loader_v) yields such pairs"
        )
    images = real_images(batch[0]), real_images(batch[1])
    for index, x in enumerate(images):
        if not x.is_floating_point() or x.dim() != 4:
            raise ArgumentTypeError(
                f"batch[{index}] (domain {'uv'[index]}) is a {x.dtype} tensor of shape "
                f"{tuple(x.shape)}, not float images (N, C, H, W); is batch one domain's "
                "(images, labels)? data.UnpairedLoader(loader_u, loader_v) pairs two domains"
            )
    return images


def _critic_loss(adversarial: str, real: Tensor, fake: Tensor) -> Tensor:
    if adversarial == "wgan":
        return fake.mean() - real.mean()
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def _fooling_loss(adversarial: str, fake: Tensor) -> Tensor:
    return -fake.mean() if adversarial == "wgan" else F.softplus(-fake).mean()


class DualGANUpdater(Updater):
    """DualGAN (Yi et al., "DualGAN: Unsupervised Dual Learning for Image-to-Image
    Translation", ICCV 2017): two translators trained on unpaired batches of two domains.

    Each batch is a pair ``(batch_u, batch_v)`` (tensors of images or ``(images,
    labels)`` pairs, as :class:`~ignite_gen.data.UnpairedLoader` yields). Models:
    ``gen_uv`` (G_A: U -> V), ``gen_vu`` (G_B: V -> U), ``dis_u`` (D_B of the paper:
    real ``u`` against ``G_B(v)``) and ``dis_v`` (D_A: real ``v`` against ``G_A(u)``).
    Optimizers: ``gen`` (``opt_gen``, over both generators) and ``dis`` (``opt_dis``,
    over both critics), each checked at construction to step all of its pair's
    parameters and none of the other pair's. With ``adversarial="wgan"`` (the paper's):

    - ``L_D = [D_u(G_B(v)) - D_u(u)] + [D_v(G_A(u)) - D_v(v)]``, fakes detached; one critic
      step every iteration, then every critic parameter clipped to ``[-clip, clip]``;
    - ``L_G = lambda_u |u - G_B(G_A(u))| + lambda_v |v - G_A(G_B(v))| - D_v(G_A(u))
      - D_u(G_B(v))`` every ``n_critic``-th iteration, from fresh critic forwards after
      the critic step (never a backward through weights a step has changed).

    Scores are batch means; ``|.|`` is the mean absolute error per pixel, as the
    authors' code computes it. The paper sets ``lambda_u = lambda_v`` in [100, 1000];
    the default 100 is the bottom of that range read with the per-pixel mean (the
    authors' code defaults to 20; pix2pix weighs its per-pixel L1 by 100). The
    generator step reuses this iteration's batch and fakes, where the paper's
    Algorithm 1 draws a fresh batch for it. ``adversarial="nonsaturating"`` is the
    sigmoid cross-entropy of the authors' code: per domain ``softplus(-D(real)) +
    softplus(D(fake))`` (batch means, summed over the two domains for ``L_D``) and
    ``softplus(-D(fake))`` in place of ``-D(fake)``. ``clip="auto"`` means 0.01 for
    ``"wgan"`` and no clipping for ``"nonsaturating"`` (``None``: off; a number clips
    in either mode); ``n_critic=None`` means 2 for ``"wgan"`` (the paper uses 2 to 4)
    and 1 for ``"nonsaturating"``. The other options are
    :class:`~ignite_gen.updaters.options.UpdaterOptions`; there is no EMA of the generators.

    Reports ``dis/loss``, ``dis_u/wasserstein`` and ``dis_v/wasserstein`` (``mean D(real)
    - mean D(fake)``; ``dis_u/loss`` and ``dis_v/loss`` instead when nonsaturating) and,
    on generator steps, ``gen/loss``, ``gen/rec_u`` and ``gen/rec_v`` (the unweighted L1s).
    The paper trains with RMSprop, lr 5e-5; Adam 2e-4, betas (0.5, 0.999), is DCGAN's
    choice for the cross-entropy loss.

    Example:
        >>> gens = [build_model("dualgan-translator") for _ in range(2)]
        >>> critics = [build_model("dcgan-discriminator") for _ in range(2)]
        >>> rmsprop = lambda a, b: torch.optim.RMSprop([*a.parameters(), *b.parameters()], lr=5e-5)
        >>> mnist_loader = TensorLoader(mnist_images, batch_size=16)
        >>> digits_loader = TensorLoader(digit_images, batch_size=16)
        >>> loader = UnpairedLoader(mnist_loader, digits_loader)
        >>> updater = DualGANUpdater(loader, *gens, *critics, rmsprop(*gens), rmsprop(*critics))
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        gen_uv: nn.Module,
        gen_vu: nn.Module,
        dis_u: nn.Module,
        dis_v: nn.Module,
        opt_gen: torch.optim.Optimizer,
        opt_dis: torch.optim.Optimizer,
        *,
        adversarial: str = "wgan",
        lambda_u: float = 100.0,
        lambda_v: float = 100.0,
        n_critic: int | None = None,
        clip: float | str | None = "auto",
        **options: Unpack[UpdaterOptions],
    ) -> None:
        check_keywords(self, options, UpdaterOptions)
        networks = {"gen_uv": gen_uv, "gen_vu": gen_vu, "dis_u": dis_u, "dis_v": dis_v}
        _check_networks(networks, opt_gen, opt_dis)
        self.adversarial = choice(adversarial, "adversarial", ADVERSARIAL_LOSSES)
        wgan = adversarial == "wgan"
        self.lambda_u = real(lambda_u, "lambda_u", lambda w: w >= 0, "at least 0")
        self.lambda_v = real(lambda_v, "lambda_v", lambda w: w >= 0, "at least 0")
        self.n_critic = integer((2 if wgan else 1) if n_critic is None else n_critic, "n_critic")
        if clip == "auto":
            clip = 0.01 if wgan else None
        if clip is not None:
            clip = real(clip, "clip", lambda c: c > 0, "positive, 'auto' or None (no clipping)")
        self.clip = clip
        super().__init__(iterator, networks, {"gen": opt_gen, "dis": opt_dis}, **options)
        self._critic_params: list[Tensor] = [p for n in _CRITICS for p in networks[n].parameters()]

    def generator_steps_now(self) -> bool:
        """Whether this iteration ends with a generator step (every ``n_critic``-th)."""
        return (self.iteration + 1) % self.n_critic == 0

    def update_core(self, batch: Any) -> None:
        u, v = _domains(batch)
        gen_uv, gen_vu = self.models["gen_uv"], self.models["gen_vu"]
        dis_u, dis_v = self.models["dis_u"], self.models["dis_v"]
        adversarial, step_gen = self.adversarial, self.generator_steps_now()
        with self.autocast():
            # Without a generator step this iteration, the generators' graphs would be discarded.
            with torch.set_grad_enabled(step_gen):
                fake_v, fake_u = gen_uv(u), gen_vu(v)  # G_A(u), G_B(v)
            score_u, score_fake_u = dis_u(u).float(), dis_u(fake_u.detach()).float()
            score_v, score_fake_v = dis_v(v).float(), dis_v(fake_v.detach()).float()
            loss_dis_u = _critic_loss(adversarial, score_u, score_fake_u)
            loss_dis_v = _critic_loss(adversarial, score_v, score_fake_v)
            loss_dis = loss_dis_u + loss_dis_v
        self.step("dis", loss_dis)
        if self.clip is not None:
            self.clip_critics()
        report({"dis/loss": loss_dis})
        if adversarial == "wgan":
            report({"dis_u/wasserstein": -loss_dis_u, "dis_v/wasserstein": -loss_dis_v})
        else:
            report({"dis_u/loss": loss_dis_u, "dis_v/loss": loss_dis_v})

        if step_gen:
            with self.autocast():
                rec_u = F.l1_loss(gen_vu(fake_v).float(), u.float())  # |u - G_B(G_A(u))|
                rec_v = F.l1_loss(gen_uv(fake_u).float(), v.float())  # |v - G_A(G_B(v))|
                # Fresh critic forwards: the critics' weights changed in the step above.
                fool_v = _fooling_loss(adversarial, dis_v(fake_v).float())
                fool_u = _fooling_loss(adversarial, dis_u(fake_u).float())
                loss_gen = self.lambda_u * rec_u + self.lambda_v * rec_v + fool_v + fool_u
            self.step("gen", loss_gen)
            report({"gen/loss": loss_gen, "gen/rec_u": rec_u, "gen/rec_v": rec_v})

    def clip_critics(self) -> None:
        """Clamp every parameter of both critics to ``[-clip, clip]`` in place, on the device."""
        if self.clip is not None:
            clip_parameters_(self._critic_params, self.clip)
