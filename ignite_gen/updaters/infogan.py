"""InfoGANUpdater: a GAN whose generator must keep its latent codes readable from its
images (Chen et al. 2016), by a lower bound on their mutual information."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from ..argument_checks import real
from ..errors import ArgumentError
from ..models.infogan import CodedGenerator, QDiscriminator
from ..reporter import report
from .gan import GANUpdater, real_images
from .options import GeneratorOptions, check_keywords

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "InfoGANUpdater",
    "categorical_log_likelihood",
    "check_infogan_pair",
    "gaussian_log_likelihood",
]


def categorical_log_likelihood(logits: torch.Tensor, categories: torch.Tensor) -> torch.Tensor:
    """``E[log Q(c|x)]`` of a categorical code: the batch mean of the log-softmax of
    ``logits`` (N, K) at ``categories`` (N,), i.e. minus the cross-entropy, in float32.

    Example:
        >>> categorical_log_likelihood(torch.zeros(2, 10), torch.tensor([3, 7]))
        tensor(-2.3026)
    """
    return -F.cross_entropy(logits.float(), categories)


def gaussian_log_likelihood(
    mean: torch.Tensor, values: torch.Tensor, std: float = 1.0
) -> torch.Tensor:
    """``E[log Q(c|x)]`` of continuous codes under a factored Gaussian: the log-density
    of ``values`` (N, C) under N(``mean``, ``std``^2), summed over the C codes and
    averaged over the batch, in float32.

    Example:
        >>> gaussian_log_likelihood(torch.zeros(1, 2), torch.zeros(1, 2))  # -log(2 pi)
        tensor(-1.8379)
    """
    z = (values.float() - mean.float()) / std
    log_density = -0.5 * z.square() - math.log(std) - 0.5 * math.log(2 * math.pi)
    return log_density.sum(1).mean()


class InfoGANUpdater(GANUpdater):
    """InfoGAN: the non-saturating GAN plus ``lambda * L_I`` for both players.

    Each iteration draws codes ``c`` (a category and continuous values) and noise ``z``
    from the generator's prior (``gen.sample_codes``) and computes, with
    ``L_I = lambda_cat * E[log Q(c_cat|x)] + lambda_cont * E[log Q(c_cont|x)]`` on the
    fakes ``x = G(z, c)``:

    - ``L_D = (softplus(-D(real)) + softplus(D(x))) / 2 - L_I``, stepped by ``opt_dis``
      on fakes detached from G: D's body and its Q head (which live in ``dis``) learn to
      tell real from fake and to read the codes back;
    - ``L_G = softplus(-D(x)) - L_I``, stepped by ``opt_gen`` through D and Q: G learns
      to fool D and to write its codes so that Q can read them.

    So the MI term's gradient reaches Q (through ``L_D``) and G (through ``L_G``), as in
    the paper's reference code. ``categorical_weight`` (lambda_cat, 1 in the paper) and
    ``continuous_weight`` (lambda_cont; the paper makes it smaller so that the terms
    share a scale) weight the log-likelihoods, which are the cross-entropy of Q's logits
    at the drawn category and the Gaussian log-density of the drawn continuous values
    around Q's means with standard deviation 1. Both losses come from the same weights:
    they are computed before either step, G steps first (its backward runs through D,
    whose weights must not have changed yet), then D (whose loss does not reach G).

    Reports ``dis/loss``, ``gen/loss`` and the lower bounds on the mutual information
    in nats, ``gen/mi_categorical = log K + E[log Q(c_cat|x)]`` (at most log K) and
    ``gen/mi_continuous = C log 2 + E[log Q(c_cont|x)]`` (the entropy of C uniform
    codes on [-1, 1] plus the log-likelihood). The other options are
    :class:`~ignite_gen.updaters.options.GeneratorOptions`.

    Example:
        >>> gen = build_model("infogan-generator")
        >>> dis = build_model("infogan-discriminator")
        >>> opt_gen = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
        >>> opt_dis = torch.optim.Adam(dis.parameters(), lr=2e-4, betas=(0.5, 0.999))
        >>> updater = InfoGANUpdater(loader, gen, dis, opt_gen, opt_dis)
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        gen: nn.Module,
        dis: nn.Module,
        opt_gen: torch.optim.Optimizer,
        opt_dis: torch.optim.Optimizer,
        *,
        categorical_weight: float = 1.0,
        continuous_weight: float = 0.1,
        **options: Unpack[GeneratorOptions],
    ) -> None:
        check_keywords(self, options, GeneratorOptions)
        self.categorical_weight, self.continuous_weight = (
            real(weight, name, lambda v: v >= 0, "at least 0")
            for weight, name in (
                (categorical_weight, "categorical_weight"),
                (continuous_weight, "continuous_weight"),
            )
        )
        super().__init__(iterator, gen, dis, opt_gen, opt_dis, **options)
        check_infogan_pair(gen, dis)

    def information(
        self,
        categorical_logits: torch.Tensor,
        continuous_mean: torch.Tensor,
        categories: torch.Tensor,
        continuous: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(L_I, categorical log-likelihood, continuous log-likelihood)`` of the drawn
        codes under Q's outputs; ``L_I`` is their weighted sum."""
        log_q_cat = categorical_log_likelihood(categorical_logits, categories)
        log_q_cont = gaussian_log_likelihood(continuous_mean, continuous)
        weighted = self.categorical_weight * log_q_cat + self.continuous_weight * log_q_cont
        return weighted, log_q_cat, log_q_cont

    def update_core(self, batch: Any) -> None:
        gen = cast(CodedGenerator, self.models["gen"])
        dis = cast(QDiscriminator, self.models["dis"])
        x = real_images(batch)
        z, categories, continuous = gen.sample_codes(len(x), self.device)
        with self.autocast():
            fake = gen(gen.latent(z, categories, continuous))

            d_real = dis(x).float()
            d_fake, q_logits, q_mean = dis.forward_with_q(fake.detach())
            info_dis, _, _ = self.information(q_logits, q_mean, categories, continuous)
            d_fake = d_fake.float()
            loss_dis = (F.softplus(-d_real).mean() + F.softplus(d_fake).mean()) / 2 - info_dis

            d_gen, q_logits, q_mean = dis.forward_with_q(fake)
            info_gen, log_q_cat, log_q_cont = self.information(
                q_logits, q_mean, categories, continuous
            )
            loss_gen = F.softplus(-d_gen.float()).mean() - info_gen
        # G first: its backward runs through D, whose weights D's step would change in
        # place. It also leaves gradients on D's parameters, which step("dis") clears.
        self.step("gen", loss_gen)
        self.step("dis", loss_dis)
        report(
            {
                "dis/loss": loss_dis,
                "gen/loss": loss_gen,
                "gen/mi_categorical": math.log(gen.n_categories) + log_q_cat,
                "gen/mi_continuous": gen.n_continuous * math.log(2) + log_q_cont,
            }
        )


def check_infogan_pair(gen: nn.Module, dis: nn.Module) -> None:
    """Refuse a generator without InfoGAN's code interface, a discriminator without a Q
    head, and code sizes that differ between the two.

    Example:
        >>> check_infogan_pair(build_model("dcgan-generator"), dis)
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentError: gen (DCGANGenerator) has no n_categories, ...
    """
    needs = (
        ("gen", gen, "generator", ("n_categories", "n_continuous", "sample_codes", "latent")),
        ("dis", dis, "discriminator", ("n_categories", "n_continuous", "forward_with_q")),
    )
    for name, module, role, attributes in needs:
        missing = [a for a in attributes if not hasattr(module, a)]
        if missing:
            raise ArgumentError(
                f"{name} ({type(module).__name__}) has no {', '.join(missing)}; InfoGAN "
                f"needs a {role} like build_model('infogan-{role}')"
            )
    for size in ("n_categories", "n_continuous"):
        if getattr(gen, size) != getattr(dis, size):
            raise ArgumentError(
                f"dis.{size} is {getattr(dis, size)} but gen.{size} is {getattr(gen, size)}; "
                "Q must estimate the codes the generator draws"
            )
