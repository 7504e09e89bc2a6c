"""CVAEUpdater: the negative ELBO of a conditional VAE, reparameterised."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn

from ..argument_checks import described, instance, real
from ..errors import ArgumentTypeError
from ..models.cvae import ConditionalVAE
from ..reporter import report
from .arguments import check_optimizer_owners
from .base import Updater
from .options import UpdaterOptions, check_keywords

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["CVAEUpdater", "gaussian_kl", "labelled_batch", "reparameterize"]

_MODEL_METHODS = ("encode", "negative_log_likelihood")


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, exp(logvar)) || N(0, I))`` per sample, summed over the last dimension.

    Example:
        >>> gaussian_kl(torch.zeros(2, 8), torch.zeros(2, 8))  # the prior itself
        tensor([0., 0.])
    """
    return 0.5 * (mu.square() + logvar.exp() - 1 - logvar).sum(-1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """A draw ``z = mu + exp(logvar / 2) * eps``, ``eps ~ N(0, I)`` from the global RNG
    on ``mu``'s device, differentiable in ``mu`` and ``logvar``.

    Example:
        >>> cvae = build_model("cvae-mlp")
        >>> z = reparameterize(*cvae.encode(images, labels))
        >>> z.shape
        torch.Size([64, 2])
    """
    return mu + torch.exp(logvar / 2) * torch.randn_like(mu)


def labelled_batch(batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)`` of a batch that is such a pair; anything else raises
    :class:`ArgumentTypeError` (a ``converter`` can make it one).

    Example:
        >>> x, y = labelled_batch((torch.zeros(4, 1, 28, 28), torch.arange(4)))
    """
    if (
        isinstance(batch, (tuple, list))
        and len(batch) == 2
        and all(isinstance(part, torch.Tensor) for part in batch)
    ):
        images: torch.Tensor = batch[0]
        labels: torch.Tensor = batch[1]
        return images, labels
    raise ArgumentTypeError(
        f"batch: conditional models take (images, labels) pairs of tensors, got "
        f"{described(batch)}; pass converter= to turn your batches into one"
    )


class CVAEUpdater(Updater):
    """Trains a conditional VAE on the negative ELBO, one optimizer step per iteration.

    For a batch ``(x, y)``: ``mu, logvar = encode(x, y)``; ``z = mu + sigma * eps``;
    ``kl = KL(q(z|x,y) || N(0, I))`` summed over the latent dimensions; ``rec =
    negative_log_likelihood(z, x, y)`` (one draw of ``z``); ``loss = mean(rec +
    kl_weight * kl)``. The same update trains both models of the CVAE article:
    :class:`~ignite_gen.models.cvae.CVAE` (``rec = -log p(x|z,y)``, Bernoulli) and
    :class:`~ignite_gen.models.cvae.CVAEPredictor` (``rec = -log p(y|x,z)``,
    categorical). The model is ``models["main"]``, stepped by optimizer ``"main"``.
    Reports ``main/loss``, ``main/rec`` and ``main/kl`` (batch means).

    Arguments are checked here, naming the one at fault: ``model`` needs ``encode`` and
    ``negative_log_likelihood`` methods, ``optimizer`` must step ``model``'s parameters,
    ``kl_weight`` is a number >= 0 (1: the ELBO). The other options are
    :class:`~ignite_gen.updaters.options.UpdaterOptions`.

    Example:
        >>> cvae = build_model("cvae-mlp", z_dim=2, hidden=256)
        >>> updater = CVAEUpdater(loader, cvae, torch.optim.Adam(cvae.parameters(), lr=1e-3))
        >>> trainer = Trainer(updater, (100, "epoch"))  # z_dim 2 learns slowly
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        *,
        kl_weight: float = 1.0,
        **options: Unpack[UpdaterOptions],
    ) -> None:
        check_keywords(self, options, UpdaterOptions)
        instance(model, nn.Module, "model", "an nn.Module (a conditional VAE)")
        for method in _MODEL_METHODS:
            if not callable(getattr(model, method, None)):
                raise ArgumentTypeError(
                    f"model ({type(model).__name__}) has no {method}() method; CVAEUpdater "
                    "needs encode(x, y) -> (mu, logvar) and negative_log_likelihood(z, x, y) "
                    "-> per-sample losses, as the cvae-mlp and cvae-predictor-mlp models have"
                )
        instance(optimizer, torch.optim.Optimizer, "optimizer", "a torch.optim.Optimizer")
        check_optimizer_owners([("optimizer", optimizer, "model")], {"model": model})
        self.kl_weight = real(kl_weight, "kl_weight", lambda v: v >= 0, "at least 0")
        super().__init__(iterator, {"main": model}, {"main": optimizer}, **options)

    def update_core(self, batch: Any) -> None:
        model = cast(ConditionalVAE, self.models["main"])
        x, y = labelled_batch(batch)
        with self.autocast():
            mu, logvar = model.encode(x, y)
            z = reparameterize(mu, logvar)
            rec = model.negative_log_likelihood(z, x, y)
        kl = gaussian_kl(mu.float(), logvar.float())
        loss = (rec.float() + self.kl_weight * kl).mean()
        self.step("main", loss)
        report({"main/loss": loss, "main/rec": rec.mean(), "main/kl": kl.mean()})
