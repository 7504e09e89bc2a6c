"""EBGANUpdater: the energy-based GAN of Zhao, Mathieu and LeCun, with the pull-away term."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from ..argument_checks import real
from ..errors import ArgumentError, UserError
from ..models.noise import sample_noise
from ..reporter import report
from .gan import GANUpdater, real_images
from .options import GANOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["EBGANUpdater", "pullaway_term", "reconstruction_energy"]


def reconstruction_energy(images: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
    """Per-sample energy: the mean squared error over each image's pixels, shape (N,), fp32.

    Example:
        >>> x = torch.zeros(2, 1, 28, 28)
        >>> reconstruction_energy(x, x + 2)
        tensor([4., 4.])
    """
    if reconstructions.shape != images.shape:
        raise UserError(
            f"the EBGAN discriminator must rebuild its input: it returned shape "
            f"{tuple(reconstructions.shape)} for images of shape {tuple(images.shape)}"
        )
    return (reconstructions.float() - images.float()).square().flatten(1).mean(1)


def pullaway_term(codes: torch.Tensor) -> torch.Tensor:
    """The EBGAN paper's pull-away term of a batch of codes (N, ...), a scalar:
    ``1 / (N (N - 1)) * sum over i != j of cos(S_i, S_j) ** 2``, S the flattened codes.

    Computed in fp32 (also under autocast) from the Gram matrix of the normalised rows;
    the diagonal, where every code meets itself, is subtracted. A batch of one has no
    pairs and gives 0.

    Example:
        >>> pullaway_term(torch.eye(3))  # orthogonal codes
        tensor(0.)
        >>> pullaway_term(torch.ones(4, 5))  # identical codes
        tensor(1.)
    """
    with torch.autocast(codes.device.type, enabled=False):
        s = F.normalize(codes.flatten(1).float(), dim=1)
        cos_squared = (s @ s.T).square()
        n = len(s)
        return (cos_squared.sum() - cos_squared.diagonal().sum()) / max(n * (n - 1), 1)


class EBGANUpdater(GANUpdater):
    """Energy-based GAN: D is an autoencoder and its energy ``D(x)`` is the per-sample
    reconstruction error (:func:`reconstruction_energy`).

    ``L_D = mean(D(x)) + mean(max(0, m - D(G(z))))`` pulls real energies down and pushes
    fake ones up to the margin ``m``; ``L_G = mean(D(G(z))) + pt_weight * PT(S)``, with
    ``S = dis.encode(G(z))`` and ``PT`` the :func:`pullaway_term`, which spreads the codes
    of a batch apart against mode collapse (``pt_weight=0`` turns it off). The paper uses
    ``m = 10`` on MNIST and ``pt_weight = 0.1``; note that with this per-pixel mean energy
    the energies of MNIST images in [-1, 1] are of order 1, so ``m = 10`` keeps the hinge
    active for every fake and pushes the autoencoder far from reconstructing (in a short
    run here ``m = 1`` trained better; choose ``m`` by measurement). The other options
    are :class:`~ignite_gen.updaters.options.GANOptions`.
    Reports ``dis/loss``, ``dis/energy_real``, ``dis/energy_fake``, ``gen/loss`` and
    ``gen/pullaway``.

    Example:
        >>> gen = build_model("dcgan-generator")
        >>> dis = build_model("ebgan-conv-discriminator")
        >>> opt_gen, opt_dis = (torch.optim.Adam(m.parameters()) for m in (gen, dis))
        >>> updater = EBGANUpdater(loader, gen, dis, opt_gen, opt_dis, margin=10.0)
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        gen: nn.Module,
        dis: nn.Module,
        opt_gen: torch.optim.Optimizer,
        opt_dis: torch.optim.Optimizer,
        *,
        margin: float = 10.0,
        pt_weight: float = 0.1,
        **options: Unpack[GANOptions],
    ) -> None:
        self.margin = real(margin, "margin", lambda v: v > 0, "positive")
        self.pt_weight = real(pt_weight, "pt_weight", lambda v: v >= 0, "0 (off) or positive")
        super().__init__(iterator, gen, dis, opt_gen, opt_dis, **options)
        encode = getattr(dis, "encode", None)
        if self.pt_weight > 0 and not callable(encode):
            raise ArgumentError(
                "EBGANUpdater needs a discriminator with encode(x) (an autoencoder) for the "
                f"pull-away term, got {type(dis).__name__}; pt_weight=0 trains without it"
            )
        # dis.encode, held when the pull-away term needs it (typed by the model rather
        # than by nn.Module's __getattr__).
        self._encode: Callable[[torch.Tensor], torch.Tensor] | None = (
            encode if self.pt_weight > 0 else None
        )

    def update_core(self, batch: Any) -> None:
        gen, dis = self.models["gen"], self.models["dis"]
        x = real_images(batch)
        with self.autocast():
            fake = gen(sample_noise(gen, len(x), self.device))
            rebuilt_real, rebuilt_fake = self.discriminate(x, fake.detach())
            energy_real = reconstruction_energy(x, rebuilt_real)
            energy_fake = reconstruction_energy(fake.detach(), rebuilt_fake)
            loss_dis = energy_real.mean() + F.relu(self.margin - energy_fake).mean()
        self.step("dis", loss_dis)
        report(
            {
                "dis/loss": loss_dis,
                "dis/energy_real": energy_real.mean(),
                "dis/energy_fake": energy_fake.mean(),
            }
        )

        if self.generator_steps_now():
            with self.autocast():
                loss_gen = reconstruction_energy(fake, dis(fake)).mean()
                if self._encode is not None:
                    pullaway = pullaway_term(self._encode(fake))
                    loss_gen = loss_gen + self.pt_weight * pullaway
                    report({"gen/pullaway": pullaway})
            self.step("gen", loss_gen)
            report({"gen/loss": loss_gen})
