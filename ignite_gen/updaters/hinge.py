"""HingeGANUpdater: the hinge loss of SNGAN and BigGAN (Miyato et al. 2018)."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F

from ..models.noise import sample_noise
from ..reporter import report
from .gan import GANUpdater, real_images

__all__ = ["HingeGANUpdater"]


class HingeGANUpdater(GANUpdater):
    """GAN with the hinge loss: D pushes its score of real images above 1 and of fakes
    below -1; G raises D's score of its fakes.

    ``L_D = mean(max(0, 1 - D(x))) + mean(max(0, 1 + D(G(z))))``,
    ``L_G = -mean(D(G(z)))``, on D's raw output (no sigmoid). Miyato et al. train it with
    a spectrally normalised discriminator (the DCGAN discriminators take
    ``spectral_norm=True``), which keeps the unbounded generator loss in check. Its
    options are :class:`GANUpdater`'s. Reports ``dis/loss`` and ``gen/loss``.

    Example:
        >>> gen = build_model("dcgan-generator")
        >>> dis = build_model("dcgan-discriminator", batch_norm=False, spectral_norm=True)
        >>> adam = lambda net: torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999))
        >>> updater = HingeGANUpdater(loader, gen, dis, adam(gen), adam(dis))
        >>> updater.n_dis, updater.dis_batch
        (1, 'separate')
    """

    def update_core(self, batch: Any) -> None:
        gen, dis = self.models["gen"], self.models["dis"]
        x = real_images(batch)
        with self.autocast():
            fake = gen(sample_noise(gen, len(x), self.device))
            d_real, d_fake = (d.float() for d in self.discriminate(x, fake.detach()))
            loss_dis = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        self.step("dis", loss_dis)
        report({"dis/loss": loss_dis})

        if self.generator_steps_now():
            with self.autocast():
                loss_gen = -dis(fake).float().mean()
            self.step("gen", loss_gen)
            report({"gen/loss": loss_gen})
