"""Autoencoder discriminators for EBGAN: the energy of an image is how badly they rebuild it.

Both expose ``encode(x)`` (the code that the pull-away term compares), ``decode(code)``
and ``forward(x) = decode(encode(x))`` with the input's shape. Their output is
unbounded (no tanh): with the energy measured as a per-pixel mean squared error, the
discriminator must be able to push the energy of fakes up to the margin ``m``, and images
in [-1, 1] rebuilt inside [-1, 1] can never be more than 4 apart.
"""

from __future__ import annotations

import torch
from torch import nn

from .registry import register_model

__all__ = ["EBGANConvDiscriminator", "EBGANMLPDiscriminator"]


@register_model("ebgan-mlp-discriminator")
class EBGANMLPDiscriminator(nn.Module):
    """The EBGAN paper's fully connected MNIST autoencoder: 784 -> ``hidden`` -> 784.

    The paper searches a grid of discriminator sizes {128, 256, 512, 1024} on MNIST; the
    default ``hidden=256`` is a two-layer member of that grid. The code is the hidden layer
    after LeakyReLU 0.2, shape (N, hidden); the reconstruction is linear (unbounded).

    Example:
        >>> dis = EBGANMLPDiscriminator(hidden=256)
        >>> x = torch.zeros(2, 1, 28, 28)
        >>> dis(x).shape, dis.encode(x).shape
        (torch.Size([2, 1, 28, 28]), torch.Size([2, 256]))
    """

    def __init__(self, channels: int = 1, size: int = 28, hidden: int = 256) -> None:
        super().__init__()
        self.shape = (channels, size, size)
        pixels = channels * size * size
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, hidden), nn.LeakyReLU(0.2))
        self.decoder = nn.Linear(hidden, pixels)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code of each image, (N, hidden)."""
        code: torch.Tensor = self.encoder(x)
        return code

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Images (N, channels, size, size) rebuilt from codes."""
        images: torch.Tensor = self.decoder(code)
        return images.view(len(code), *self.shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


@register_model("ebgan-conv-discriminator")
class EBGANConvDiscriminator(nn.Module):
    """A small convolutional autoencoder for 28x28 images.

    Encoder: strided convolutions 28x28 -> 14x14 (``hidden`` channels) -> 7x7
    (``2 * hidden``), LeakyReLU 0.2 after each; the code is that (N, 2 * hidden, 7, 7)
    map. Decoder: transposed convolutions back 7x7 -> 14x14 -> 28x28, LeakyReLU between,
    linear (unbounded) output. No BatchNorm, so real and fake batches do not interact.

    Example:
        >>> dis = EBGANConvDiscriminator(hidden=32)
        >>> x = torch.zeros(2, 1, 28, 28)
        >>> dis(x).shape, dis.encode(x).shape
        (torch.Size([2, 1, 28, 28]), torch.Size([2, 64, 7, 7]))
    """

    def __init__(self, channels: int = 1, hidden: int = 32) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, hidden, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(hidden, 2 * hidden, 4, 2, 1),
            nn.LeakyReLU(0.2),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * hidden, hidden, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(hidden, channels, 4, 2, 1),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code of each image, (N, 2 * hidden, 7, 7)."""
        code: torch.Tensor = self.encoder(x)
        return code

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Images (N, channels, 28, 28) rebuilt from codes."""
        images: torch.Tensor = self.decoder(code)
        return images

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
