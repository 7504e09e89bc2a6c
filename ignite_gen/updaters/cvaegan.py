"""CVAEGANUpdater: CVAE-GAN's four networks, each stepped on its own terms (Bao et al. 2017)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..argument_checks import choice, instance, integer, real
from ..errors import ArgumentError
from ..models.noise import sample_noise
from ..reporter import report
from .arguments import check_optimizer_owners
from .base import Updater
from .cvae import gaussian_kl, labelled_batch, reparameterize
from .ema import generator_ema
from .options import UpdaterOptions, check_keywords

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DEFAULT_WEIGHTS",
    "CVAEGANUpdater",
    "classwise_feature_matching",
    "discriminator_loss",
    "kl_divergence",
    "mean_feature_matching",
    "pairwise_matching",
    "reconstruction_terms",
]

#: lambda1..4 of Bao et al. 2017 (Section 3): ``kl``, ``rec`` (L_G), ``gd`` (L_GD), ``gc`` (L_GC).
DEFAULT_WEIGHTS: dict[str, float] = {"kl": 3.0, "rec": 1.0, "gd": 1e-3, "gc": 1e-3}


def _wide(t: Tensor) -> Tensor:
    # Losses are summed in float32 (or the float64 of a float64 model), never in bf16/fp16.
    return t if t.dtype in (torch.float32, torch.float64) else t.float()


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """L_KL: ``KL(N(mu, exp(logvar)) || N(0, I))``, summed over the code, averaged over
    the batch: ``mean_i 1/2 sum_j (mu_ij^2 + exp(logvar_ij) - logvar_ij - 1)``.

    Example:
        >>> kl_divergence(torch.zeros(4, 8), torch.zeros(4, 8))  # the prior itself
        tensor(0.)
    """
    return gaussian_kl(_wide(mu), _wide(logvar)).mean()


def pairwise_matching(a: Tensor, b: Tensor) -> Tensor:
    """``mean_i 1/2 ||a_i - b_i||^2``: each sample's squared distance to its own partner,
    summed over its elements, averaged over the batch.

    Example:
        >>> pairwise_matching(torch.zeros(2, 3), torch.ones(2, 3))
        tensor(1.5000)
    """
    return 0.5 * (_wide(a) - _wide(b)).square().flatten(1).sum(1).mean()


def reconstruction_terms(
    x: Tensor, x_rec: Tensor, fd_x: Tensor, fd_rec: Tensor, fc_x: Tensor, fc_rec: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """L_G's three parts: :func:`pairwise_matching` of the images and of D's features
    ``fd``, and of C's features ``fc`` divided by their number (a mean over features).

    C learns its real images to certainty and its features grow without bound: their sum
    outweighed L_KL and E put the digit into z, so style transfer failed.

    Example:
        >>> parts = reconstruction_terms(x, x_rec, *dis_features, *cls_features)  # doctest: +SKIP
        >>> loss_rec = sum(parts)  # L_G  # doctest: +SKIP
    """
    cls_part = pairwise_matching(fc_x, fc_rec) / fc_x.shape[1]
    return pairwise_matching(x, x_rec), pairwise_matching(fd_x, fd_rec), cls_part


def mean_feature_matching(real: Tensor, fake: Tensor) -> Tensor:
    """L_GD: ``1/2 ||mean_i real_i - mean_i fake_i||^2``, the batch means of features.

    Example:
        >>> mean_feature_matching(torch.tensor([[0.0], [2.0]]), torch.tensor([[3.0], [3.0]]))
        tensor(2.)
    """
    return 0.5 * (_wide(real).mean(0) - _wide(fake).mean(0)).square().sum()


def _class_means(features: Tensor, labels: Tensor, n_classes: int) -> tuple[Tensor, Tensor]:
    # One-hot sums instead of a loop over classes: no Python branch, no host sync.
    one_hot = F.one_hot(labels, n_classes).to(features.dtype)
    counts = one_hot.sum(0)
    return one_hot.T @ features / counts.clamp(min=1).unsqueeze(1), counts


def classwise_feature_matching(
    real: Tensor, real_labels: Tensor, fake: Tensor, fake_labels: Tensor, n_classes: int
) -> Tensor:
    """L_GC: ``1/2 sum_c ||mean real_c - mean fake_c||^2`` over the classes ``c`` that
    both batches hold, each mean over that class's samples (features (N, F), labels (N,)).

    Example:
        >>> real, fake = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [0.0]])
        >>> classwise_feature_matching(real, torch.tensor([0, 1]), fake, torch.tensor([0, 1]), 2)
        tensor(5.)
    """
    real_means, real_counts = _class_means(_wide(real), real_labels, n_classes)
    fake_means, fake_counts = _class_means(_wide(fake), fake_labels, n_classes)
    both = ((real_counts > 0) & (fake_counts > 0)).to(real_means.dtype)
    return 0.5 * ((real_means - fake_means).square().sum(1) * both).sum()


def discriminator_loss(real: Tensor, reconstructed: Tensor, prior: Tensor) -> Tensor:
    """L_D: ``-E log D(x) - E log(1 - D(x')) - E log(1 - D(x_p))`` from D's logits, as
    softplus terms (numerically stable: no log of a sigmoid that rounded to 0 or 1).

    Example:
        >>> discriminator_loss(torch.zeros(2), torch.zeros(2), torch.zeros(2))  # 3 log 2
        tensor(2.0794)
    """
    real, reconstructed, prior = _wide(real), _wide(reconstructed), _wide(prior)
    return F.softplus(-real).mean() + F.softplus(reconstructed).mean() + F.softplus(prior).mean()


def _check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    given = instance(weights or {}, Mapping, "weights", f"a dict of {sorted(DEFAULT_WEIGHTS)}")
    checked = dict(DEFAULT_WEIGHTS)
    for key, value in given.items():
        choice(key, "weights keys", DEFAULT_WEIGHTS)
        checked[key] = real(value, f"weights[{key!r}]", lambda v: v >= 0, "at least 0")
    return checked


_NAMES = ("enc", "gen", "dis", "cls")
_ARGUMENTS = ("encoder", "generator", "discriminator", "classifier")


def _check_networks(networks: tuple[Any, ...], optimizers: tuple[Any, ...]) -> None:
    named = dict(zip(_ARGUMENTS, networks, strict=True))
    labels = [f"opt_{name}" for name in _NAMES]
    for name, module in named.items():
        instance(module, nn.Module, name, "an nn.Module")
    for label, optimizer in zip(labels, optimizers, strict=True):
        instance(optimizer, torch.optim.Optimizer, label, "a torch.optim.Optimizer")
    gen = named["generator"]
    if getattr(gen, "z_dim", None) is None or getattr(gen, "n_classes", None) is None:
        raise ArgumentError(
            f"generator ({type(gen).__name__}) needs z_dim and n_classes attributes: it is "
            "called as generator(z, labels), z of shape (N, z_dim), labels below n_classes"
        )
    for name in ("discriminator", "classifier"):
        net = named[name]
        if not all(callable(getattr(net, m, None)) for m in ("forward_with_features", "features")):
            raise ArgumentError(
                f"{name} ({type(net).__name__}) needs forward_with_features(x) -> (output, "
                f"features) and features(x) methods, as build_model('cvaegan-{name}') has"
            )
    check_optimizer_owners(list(zip(labels, optimizers, _ARGUMENTS, strict=True)), named)


class CVAEGANUpdater(Updater):
    """CVAE-GAN (Bao et al., "CVAE-GAN: Fine-Grained Image Generation through Asymmetric
    Training", ICCV 2017): a conditional VAE whose decoder is also a GAN generator.

    Models and optimizers are named ``enc``, ``gen``, ``dis``, ``cls``: E gives q(z|x, c)
    as ``(mu, logvar)``, G(z, c) images, D logits and features f_D, C class logits and
    features f_C. For images ``x`` with labels ``c``: ``x' = G(z, c)``, ``z = mu + sigma *
    eps``, and ``x_p = G(z_p, c)``, ``z_p ~ N(0, I)`` (the batch's labels: a draw from the
    label prior, as the paper's, that gives L_GC the same classes on both sides).

    - L_KL = KL(q(z|x, c) || N(0, I))                           :func:`kl_divergence`
    - L_G  = 1/2 (||x - x'||^2 + ||f_D(x) - f_D(x')||^2 + ||f_C(x) - f_C(x')||^2 / F_C)
    - L_GD = 1/2 ||mean f_D(x) - mean f_D(x_p)||^2              :func:`mean_feature_matching`
    - L_GC = 1/2 sum_c ||mean f_C^c(x) - mean f_C^c(x_p)||^2    :func:`classwise_feature_matching`
    - L_D  = -E log D(x) - E log(1 - D(x')) - E log(1 - D(x_p)) :func:`discriminator_loss`
    - L_C  = -E log P(c|x), real images only

    Squared norms sum over a sample's pixels or features; expectations are batch means,
    so L_G is on the per-sample scale of a log-likelihood, as the paper's weights for it
    against L_KL assume, except C's features, averaged (:func:`reconstruction_terms`
    says why). As the paper's Algorithm 1 assigns
    them, E minimises ``kl * L_KL + rec * L_G``, G ``rec * L_G + gd * L_GD + gc * L_GC``,
    D L_D and C L_C, all four gradients taken at this iteration's weights; D and C see
    the fakes detached. ``weights`` overrides some of :data:`DEFAULT_WEIGHTS`.

    Reports ``enc/loss``, ``enc/kl``, ``gen/loss``, ``gen/rec`` (L_G) and ``gen/rec_pixel``,
    ``gen/rec_dis``, ``gen/rec_cls``, ``gen/gd``, ``gen/gc``, ``dis/loss``, ``cls/loss``,
    ``cls/accuracy``. The other options, ``ema_decay`` (an EMA of G as
    ``models["gen_ema"]``) among them, are :class:`~ignite_gen.updaters.options.GeneratorOptions`.

    Example:
        >>> kinds = ("encoder", "generator", "discriminator", "classifier")
        >>> nets = [build_model(f"cvaegan-{kind}") for kind in kinds]
        >>> adam = lambda m: torch.optim.Adam(m.parameters(), lr=2e-3, betas=(0.5, 0.999))
        >>> updater = CVAEGANUpdater(loader, *nets, *map(adam, nets), device="cpu")
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        encoder: nn.Module,
        generator: nn.Module,
        discriminator: nn.Module,
        classifier: nn.Module,
        opt_enc: torch.optim.Optimizer,
        opt_gen: torch.optim.Optimizer,
        opt_dis: torch.optim.Optimizer,
        opt_cls: torch.optim.Optimizer,
        *,
        weights: Mapping[str, float] | None = None,
        ema_decay: float | None = None,
        **options: Unpack[UpdaterOptions],
    ) -> None:
        check_keywords(self, options, UpdaterOptions)
        networks = (encoder, generator, discriminator, classifier)
        optimizers = (opt_enc, opt_gen, opt_dis, opt_cls)
        _check_networks(networks, optimizers)
        self.weights = _check_weights(weights)
        super().__init__(
            iterator,
            dict(zip(_NAMES, networks, strict=True)),
            dict(zip(_NAMES, optimizers, strict=True)),
            ema=generator_ema(ema_decay),
            **options,
        )
        self.n_classes = integer(getattr(generator, "n_classes", None), "generator.n_classes")

    def update_core(self, batch: Any) -> None:
        x, c = labelled_batch(batch)
        enc, gen = self.models["enc"], self.models["gen"]
        dis: Any = self.models["dis"]  # Any: forward_with_features is its own method
        cls: Any = self.models["cls"]
        w = self.weights
        with self.autocast():
            mu, logvar = enc(x, c)
            z = reparameterize(mu, logvar)
            z_p = sample_noise(gen, len(x), self.device)
            x_rec = gen(z, c)  # E's reconstruction: L_G's way back to E
            # G's own copy starts from the detached code: G's backward stops there and
            # never crosses E's weights, which E's step (before G's) has changed.
            x_rec_g, x_p = gen(torch.cat([z.detach(), z_p]), torch.cat([c, c])).chunk(2)
            # D and C on real images and detached fakes: their own losses, and the real
            # features that E's and G's terms aim at (constants for those terms).
            fakes = torch.cat([x_rec.detach(), x_p.detach()])
            dis_logits, dis_features = dis.forward_with_features(torch.cat([x, fakes]))
            cls_logits, fc_x = cls.forward_with_features(x)
            fd_x, fc_x = dis_features[: len(x)].detach(), fc_x.detach()
            fd_rec, fc_rec = dis.features(x_rec), cls.features(x_rec)
            fd_rec_g, fd_p = dis.features(torch.cat([x_rec_g, x_p])).chunk(2)
            fc_rec_g, fc_p = cls.features(torch.cat([x_rec_g, x_p])).chunk(2)

        loss_kl = kl_divergence(mu, logvar)
        rec_pixel, rec_dis, rec_cls = reconstruction_terms(x, x_rec, fd_x, fd_rec, fc_x, fc_rec)
        loss_rec = rec_pixel + rec_dis + rec_cls  # L_G through E's code; below, through G's
        parts_g = reconstruction_terms(x, x_rec_g, fd_x, fd_rec_g, fc_x, fc_rec_g)
        loss_rec_g = parts_g[0] + parts_g[1] + parts_g[2]
        loss_gd = mean_feature_matching(fd_x, fd_p)
        loss_gc = classwise_feature_matching(fc_x, c, fc_p, c, self.n_classes)
        loss_enc = w["kl"] * loss_kl + w["rec"] * loss_rec
        loss_gen = w["rec"] * loss_rec_g + w["gd"] * loss_gd + w["gc"] * loss_gc
        loss_dis = discriminator_loss(*dis_logits.chunk(3))
        loss_cls = F.cross_entropy(_wide(cls_logits), c)

        # Every loss above was computed before any step. E's backward passes through G, D
        # and C; G's through D and C; D's and C's through themselves only: in this order
        # no backward crosses weights that an earlier step has changed in place.
        self.step("enc", loss_enc)
        self.step("gen", loss_gen)
        self.step("dis", loss_dis)
        self.step("cls", loss_cls)
        report({"enc/loss": loss_enc, "enc/kl": loss_kl, "dis/loss": loss_dis})
        report({"loss": loss_gen, "rec": loss_rec, "gd": loss_gd, "gc": loss_gc}, prefix="gen")
        report({"rec_pixel": rec_pixel, "rec_dis": rec_dis, "rec_cls": rec_cls}, prefix="gen")
        report({"cls/loss": loss_cls, "cls/accuracy": (cls_logits.argmax(1) == c).float().mean()})
