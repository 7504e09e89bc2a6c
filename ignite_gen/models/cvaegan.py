"""CVAE-GAN's four networks for 28x28 MNIST (Bao et al. 2017): encoder, generator,
discriminator and classifier.

Labels enter the encoder and the generator as one-hot vectors. The discriminator and the
classifier share one convolutional body design and return, from a single forward, both
their output and the intermediate features that CVAE-GAN matches
(:meth:`forward_with_features`). None of the four uses BatchNorm: every output depends on
its own sample only, so batching images together (as the updater does) changes nothing,
and feature matching compares images, not batch statistics.
"""

from __future__ import annotations

import torch
from torch import nn

from .cvae import one_hot_like
from .registry import register_model

__all__ = [
    "CVAEGANClassifier",
    "CVAEGANDiscriminator",
    "CVAEGANEncoder",
    "CVAEGANGenerator",
]


def _conv_body(channels: int, hidden: int) -> nn.Sequential:
    # 28x28 -> 14x14 (hidden channels) -> 7x7 (2 * hidden), flattened.
    return nn.Sequential(
        nn.Conv2d(channels, hidden, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(hidden, 2 * hidden, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
    )


@register_model("cvaegan-encoder")
class CVAEGANEncoder(nn.Module):
    """q(z|x, y): images (N, channels, 28, 28) and labels (N,) to ``(mu, logvar)``, each
    (N, z_dim), the mean and log-variance of a diagonal Gaussian.

    Two strided convolutions read the image; the label joins as a one-hot vector before
    the two-layer head (``width`` units).

    Example:
        >>> enc = CVAEGANEncoder(z_dim=16, hidden=8)
        >>> mu, logvar = enc(torch.zeros(2, 1, 28, 28), torch.tensor([3, 7]))
        >>> mu.shape, logvar.shape
        (torch.Size([2, 16]), torch.Size([2, 16]))
    """

    def __init__(
        self,
        *,
        z_dim: int = 16,
        n_classes: int = 10,
        hidden: int = 16,
        width: int = 128,
        channels: int = 1,
    ) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.n_classes = n_classes
        self.body = _conv_body(channels, hidden)
        self.head = nn.Sequential(
            nn.Linear(2 * hidden * 7 * 7 + n_classes, width),
            nn.LeakyReLU(0.2),
            nn.Linear(width, 2 * z_dim),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        out: torch.Tensor = self.head(torch.cat([h, one_hot_like(y, self.n_classes, h)], 1))
        mu, logvar = out.chunk(2, dim=1)
        return mu, logvar


@register_model("cvaegan-generator")
class CVAEGANGenerator(nn.Module):
    """p(x|z, y): codes (N, z_dim) and labels (N,) to images (N, channels, 28, 28) in [-1, 1].

    The code and the one-hot label go through a linear layer to ``2 * hidden`` maps of
    7x7, which the label joins again as ``n_classes`` constant maps (so it learns to follow
    the label sooner); then transposed convolutions 7x7 -> 14x14 -> 28x28 with
    ReLU, tanh at the end.
    ``z_dim`` and ``n_classes`` are the conditional-generator interface: samples for
    digit ``d`` are ``gen(torch.randn(n, gen.z_dim), torch.full((n,), d))``.

    Example:
        >>> gen = CVAEGANGenerator(z_dim=16, hidden=8)
        >>> gen(torch.randn(2, 16), torch.tensor([0, 9])).shape
        torch.Size([2, 1, 28, 28])
    """

    def __init__(
        self, *, z_dim: int = 16, n_classes: int = 10, hidden: int = 16, channels: int = 1
    ) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.n_classes = n_classes
        self.project = nn.Sequential(nn.Linear(z_dim + n_classes, 2 * hidden * 7 * 7), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * hidden + n_classes, hidden, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(hidden, channels, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        one_hot = one_hot_like(y, self.n_classes, z)
        h = self.project(torch.cat([z, one_hot], 1)).view(len(z), -1, 7, 7)
        label_maps = one_hot[:, :, None, None].expand(-1, -1, 7, 7).to(h.dtype)
        images: torch.Tensor = self.net(torch.cat([h, label_maps], 1))
        return images


class _FeatureNet(nn.Module):
    # A convolutional body, a feature layer and a linear head: one forward gives both the
    # head's output and the features, so a batch never runs twice for the two.
    def __init__(self, channels: int, hidden: int, features: int, outputs: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv_body(channels, hidden), nn.Linear(2 * hidden * 7 * 7, features), nn.LeakyReLU(0.2)
        )
        self.head = nn.Linear(features, outputs)

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(output, features)`` of images ``x``, the features of shape (N, features)."""
        features: torch.Tensor = self.body(x)
        return self.head(features), features

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The features alone (the layer before the head), (N, features)."""
        features: torch.Tensor = self.body(x)
        return features


@register_model("cvaegan-discriminator")
class CVAEGANDiscriminator(_FeatureNet):
    """D: images (N, channels, 28, 28) to real/fake logits (N,); its ``features`` (N,
    ``features``) are the layer that CVAE-GAN's reconstruction and mean feature matching
    compare (the last hidden layer, after LeakyReLU 0.2).

    Example:
        >>> dis = CVAEGANDiscriminator(hidden=8, features=32)
        >>> logits, features = dis.forward_with_features(torch.zeros(2, 1, 28, 28))
        >>> logits.shape, features.shape
        (torch.Size([2]), torch.Size([2, 32]))
    """

    def __init__(self, *, hidden: int = 16, features: int = 128, channels: int = 1) -> None:
        super().__init__(channels, hidden, features, 1)

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits (N,), features (N, F))`` from one forward."""
        logits, features = super().forward_with_features(x)
        return logits.squeeze(1), features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_features(x)[0]


@register_model("cvaegan-classifier")
class CVAEGANClassifier(_FeatureNet):
    """C: images (N, channels, 28, 28) to class logits (N, n_classes); its ``features``
    (N, ``features``) are the layer that CVAE-GAN matches per class.

    Example:
        >>> cls = CVAEGANClassifier(hidden=8, features=32)
        >>> logits, features = cls.forward_with_features(torch.zeros(2, 1, 28, 28))
        >>> logits.shape, features.shape
        (torch.Size([2, 10]), torch.Size([2, 32]))
    """

    def __init__(
        self, *, n_classes: int = 10, hidden: int = 16, features: int = 128, channels: int = 1
    ) -> None:
        super().__init__(channels, hidden, features, n_classes)
        self.n_classes = n_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_features(x)[0]
