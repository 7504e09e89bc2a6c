"""DualGAN's translator for 28x28 images: a small U-Net (Yi et al. 2017, after pix2pix)."""

from __future__ import annotations

import torch
from torch import nn

from ..argument_checks import integer, real
from .dcgan import dcgan_init_
from .registry import register_model

__all__ = ["DualGANTranslator"]


@register_model("dualgan-translator")
class DualGANTranslator(nn.Module):
    """Images (N, channels, 28, 28) in [-1, 1] to images of the other domain, same shape.

    A U-Net as in the DualGAN authors' code (theirs is 8 levels deep for 256x256):
    strided convolutions 28x28 -> 14x14 (``hidden`` channels) -> 7x7 (``2 * hidden``),
    a 3x3 bottleneck at 7x7 that widens the receptive field to most of a digit, then
    the way back up, each decoder stage concatenating the encoder features of its size.
    BatchNorm with LeakyReLU 0.2 down and ReLU up, tanh out. Dropout with probability
    ``dropout`` after the two inner decoder stages is the network's only noise: DualGAN
    feeds no z, as pix2pix. Like any ``nn.Dropout`` it is off in ``eval()`` mode (the
    authors' TensorFlow code keeps it on when testing), so evaluation is deterministic.
    DCGAN initialisation (:func:`dcgan_init_`).

    Example:
        >>> net = DualGANTranslator(hidden=8)
        >>> net(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 1, 28, 28])
    """

    def __init__(self, hidden: int = 32, channels: int = 1, dropout: float = 0.5) -> None:
        super().__init__()
        hidden = integer(hidden, "hidden")
        channels = integer(channels, "channels")
        dropout = real(dropout, "dropout", lambda p: 0 <= p < 1, "in [0, 1)")
        h = hidden
        # No BatchNorm on the first layer (as pix2pix and the DualGAN code): normalising
        # the raw image's features would throw away its overall brightness.
        self.down1 = nn.Sequential(nn.Conv2d(channels, h, 4, 2, 1), nn.LeakyReLU(0.2))
        self.down2 = nn.Sequential(
            nn.Conv2d(h, 2 * h, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * h), nn.LeakyReLU(0.2)
        )
        self.bottleneck = nn.Sequential(
            nn.Conv2d(2 * h, 2 * h, 3, 1, 1, bias=False), nn.BatchNorm2d(2 * h), nn.LeakyReLU(0.2)
        )
        self.up3 = nn.Sequential(
            nn.Conv2d(2 * h, 2 * h, 3, 1, 1, bias=False),
            nn.BatchNorm2d(2 * h),
            nn.Dropout(dropout),
            nn.ReLU(),
        )
        self.up2 = nn.Sequential(
            nn.ConvTranspose2d(4 * h, h, 4, 2, 1, bias=False),
            nn.BatchNorm2d(h),
            nn.Dropout(dropout),
            nn.ReLU(),
        )
        self.up1 = nn.Sequential(nn.ConvTranspose2d(2 * h, channels, 4, 2, 1), nn.Tanh())
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.down1(x)  # 14x14
        e2 = self.down2(e1)  # 7x7
        d3 = self.up3(self.bottleneck(e2))  # 7x7
        d2 = self.up2(torch.cat([d3, e2], 1))  # 14x14
        images: torch.Tensor = self.up1(torch.cat([d2, e1], 1))  # 28x28
        return images
