"""DCGAN networks for 28x28 MNIST: a standard small pair (``dcgan-generator`` and
``dcgan-discriminator``) and the DCGAN article's (noise 64, widths 128 and 16)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrizations

from .registry import register_model

__all__ = [
    "ArticleDiscriminator",
    "ArticleGenerator",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "dcgan_init_",
]


def dcgan_init_(module: nn.Module) -> nn.Module:
    """DCGAN initialisation, in place: convolution and linear weights N(0, 0.02),
    BatchNorm (1d and 2d) scale N(1, 0.02).

    The article draws the BatchNorm scale from N(0, 0.02), which multiplies every
    normalised activation by about 0.02 and starves the signal; the DCGAN reference
    implementations use N(1, 0.02), and so do we. Biases start at zero.

    Example:
        >>> net = dcgan_init_(nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8)))
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)
    return module


def _up(c_in: int, c_out: int, kernel: int, stride: int) -> list[nn.Module]:
    return [nn.ConvTranspose2d(c_in, c_out, kernel, stride), nn.BatchNorm2d(c_out), nn.ReLU(True)]


def _down(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 4, 2), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True)]


@register_model("dcgan-article-generator")
class ArticleGenerator(nn.Module):
    """Noise (N, z_dim) to images (N, channels, 28, 28) in [-1, 1], by four transposed
    convolutions: 1x1 -> 3x3 -> 6x6 -> 13x13 -> 28x28.

    Example:
        >>> gen = ArticleGenerator(z_dim=64)
        >>> gen(torch.randn(2, 64)).shape
        torch.Size([2, 1, 28, 28])
    """

    def __init__(self, z_dim: int = 64, hidden: int = 128, channels: int = 1) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            *_up(z_dim, hidden * 4, 3, 2),
            *_up(hidden * 4, hidden * 2, 4, 1),
            *_up(hidden * 2, hidden, 3, 2),
            nn.ConvTranspose2d(hidden, channels, 4, 2),
            nn.Tanh(),
        )
        dcgan_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        images: torch.Tensor = self.net(z.view(len(z), self.z_dim, 1, 1))
        return images


@register_model("dcgan-article-discriminator")
class ArticleDiscriminator(nn.Module):
    """Images (N, channels, 28, 28) to real/fake logits (N, 1), by three strided
    convolutions: 28x28 -> 13x13 -> 5x5 -> 1x1.

    Example:
        >>> ArticleDiscriminator()(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 1])
    """

    def __init__(self, channels: int = 1, hidden: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            *_down(channels, hidden), *_down(hidden, hidden * 2), nn.Conv2d(hidden * 2, 1, 4, 2)
        )
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.net(x)
        return logits.view(len(x), -1)


@register_model("dcgan-generator")
class DCGANGenerator(nn.Module):
    """The standard small DCGAN generator: noise (N, z_dim) to images (N, channels, 28, 28)
    in [-1, 1].

    A linear layer to ``2 * hidden`` maps of 7x7, then transposed convolutions
    7x7 -> 14x14 (``hidden`` channels) -> 28x28, with BatchNorm and ReLU between
    and tanh at the end. Layers followed by BatchNorm have no bias (it would cancel).

    Example:
        >>> gen = DCGANGenerator(z_dim=64, hidden=64)
        >>> gen(torch.randn(2, 64)).shape
        torch.Size([2, 1, 28, 28])
    """

    def __init__(self, z_dim: int = 64, hidden: int = 64, channels: int = 1) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.project = nn.Linear(z_dim, 2 * hidden * 7 * 7, bias=False)
        self.net = nn.Sequential(
            nn.BatchNorm2d(2 * hidden),
            nn.ReLU(True),
            nn.ConvTranspose2d(2 * hidden, hidden, 4, 2, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(True),
            nn.ConvTranspose2d(hidden, channels, 4, 2, 1),
            nn.Tanh(),
        )
        dcgan_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        images: torch.Tensor = self.net(self.project(z).view(len(z), -1, 7, 7))
        return images


@register_model("dcgan-discriminator")
class DCGANDiscriminator(nn.Module):
    """The standard small DCGAN discriminator: images (N, channels, 28, 28) to logits (N, 1).

    Strided convolutions 28x28 -> 14x14 (``hidden`` channels) -> 7x7 (``2 * hidden``)
    with LeakyReLU 0.2, BatchNorm on the second only, and a linear head.
    ``batch_norm=False`` leaves the normalisation out: a WGAN-GP critic needs that,
    since its gradient penalty is per sample and BatchNorm mixes the samples of a batch.
    ``spectral_norm=True`` divides every weight by its largest singular value
    (:func:`torch.nn.utils.parametrizations.spectral_norm`, Miyato et al. 2018), which
    bounds the discriminator's Lipschitz constant, as the hinge loss of SNGAN expects.
    The raw output also serves as the critic of WGAN and the regression target of LSGAN.

    Example:
        >>> DCGANDiscriminator(hidden=8)(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 1])
    """

    def __init__(
        self,
        channels: int = 1,
        hidden: int = 64,
        batch_norm: bool = True,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, hidden, 4, 2, 1),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(hidden, 2 * hidden, 4, 2, 1, bias=not batch_norm),
            *([nn.BatchNorm2d(2 * hidden)] if batch_norm else []),
            nn.LeakyReLU(0.2, True),
            nn.Flatten(),
            nn.Linear(2 * hidden * 7 * 7, 1),
        )
        dcgan_init_(self)
        if spectral_norm:
            for layer in self.net:
                if isinstance(layer, (nn.Conv2d, nn.Linear)):
                    parametrizations.spectral_norm(layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.net(x)
        return logits
