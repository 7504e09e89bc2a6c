"""The CVAE article's two conditional VAEs on MLPs: digit label to image, image to label.

Both infer ``q(z|x,y)``, a diagonal Gaussian whose mean and log-variance an MLP reads from
the flattened image and the one-hot label, under the prior ``p(z) = N(0, I)``. They differ
in what they generate: :class:`CVAE` decodes ``p(x|z,y)``, a Bernoulli per pixel (the
article's "generative model 1"); :class:`CVAEPredictor` decodes ``p(y|x,z)``, a
categorical over the digits ("generative model 2"). Both give ``encode`` and
``negative_log_likelihood``, all that :class:`~ignite_gen.updaters.cvae.CVAEUpdater` needs.
Images are (N, 1, 28, 28) in [-1, 1]; labels int64 in ``0 .. n_classes - 1``.
"""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from ..argument_checks import integer
from ..errors import ArgumentError
from .registry import register_model

__all__ = ["CVAE", "CVAEPredictor", "ConditionalVAE", "LabelPredictor", "one_hot_like"]

_IMAGE_SHAPE = (1, 28, 28)
_PIXELS = 28 * 28


class ConditionalVAE(Protocol):
    """What :class:`~ignite_gen.updaters.cvae.CVAEUpdater` needs of a model: the
    posterior ``q(z|x,y)`` and the per-sample negative log-likelihood of its decoder.

    Example:
        >>> model: ConditionalVAE = CVAE(z_dim=2)
        >>> mu, logvar = model.encode(images, labels)
    """

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...

    def negative_log_likelihood(
        self, z: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor: ...


class LabelPredictor(Protocol):
    """What :func:`~ignite_gen.metrics.conditional.predictor_accuracy` needs of a model:
    class probabilities (N, n_classes) of images, averaged over prior draws taken from
    ``generator``.

    Example:
        >>> model: LabelPredictor = CVAEPredictor(z_dim=2)
        >>> model.predict(images, samples=32, generator=None).shape
        torch.Size([64, 10])
    """

    def predict(
        self, x: torch.Tensor, samples: int = ..., generator: torch.Generator | None = ...
    ) -> torch.Tensor: ...


def _mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    # Two hidden layers, as the article's networks have.
    return nn.Sequential(
        nn.Linear(n_in, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, n_out),
    )


def _pixels(x: torch.Tensor) -> torch.Tensor:
    # A shape check reads no tensor values, so it costs no host sync.
    if tuple(x.shape[1:]) != _IMAGE_SHAPE:
        raise ArgumentError(f"images must be (N, 1, 28, 28), got {tuple(x.shape)}")
    return x.flatten(1)


def one_hot_like(labels: torch.Tensor, n_classes: int, like: torch.Tensor) -> torch.Tensor:
    """One-hot rows of ``labels`` in ``like``'s dtype, ready to concatenate with it: how
    the conditional networks feed a label to a layer.

    Example:
        >>> one_hot_like(torch.tensor([2]), 4, torch.zeros(1, 3, dtype=torch.float64))
        tensor([[0., 0., 1., 0.]], dtype=torch.float64)
    """
    return F.one_hot(labels, n_classes).to(like.dtype)


def _sizes(z_dim: int, hidden: int, n_classes: int) -> tuple[int, int, int]:
    return (
        integer(z_dim, "z_dim"),
        integer(hidden, "hidden"),
        integer(n_classes, "n_classes", minimum=2),
    )


class _Posterior(nn.Module):
    """q(z|x,y): returns the mean and the log-variance of a diagonal Gaussian."""

    def __init__(self, z_dim: int, hidden: int, n_classes: int) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.net = _mlp(_PIXELS + n_classes, hidden, 2 * z_dim)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pixels = _pixels(x)
        stats: torch.Tensor = self.net(
            torch.cat([pixels, one_hot_like(y, self.n_classes, pixels)], 1)
        )
        mu, logvar = stats.chunk(2, dim=1)
        return mu, logvar


@register_model("cvae-mlp")
class CVAE(nn.Module):
    """Conditional VAE that draws a digit: ``q(z|x,y)`` and a Bernoulli ``p(x|z,y)``.

    ``forward(z, y)`` is the conditional-generator interface: the Bernoulli mean of every
    pixel, mapped from [0, 1] to [-1, 1], for noise ``z`` (N, z_dim) and labels ``y``
    (N,). ``negative_log_likelihood(z, x, y)`` is ``-log p(x|z,y)`` per sample: the
    binary cross-entropy of the decoder's logits against the pixels of ``x`` mapped to
    [0, 1] (grey levels act as soft targets), summed over the 784 pixels. Sizes are
    checked here, naming the one at fault.

    The latent is small because with a large one (``z_dim=16``) prior draws land where no
    posterior lies and far fewer samples show the asked digit.

    Example:
        >>> cvae = CVAE(z_dim=2, hidden=256)
        >>> images = cvae(torch.randn(10, cvae.z_dim), torch.arange(10))  # one of each digit
        >>> images.shape
        torch.Size([10, 1, 28, 28])
    """

    def __init__(self, *, z_dim: int = 2, hidden: int = 256, n_classes: int = 10) -> None:
        super().__init__()
        self.z_dim, hidden, self.n_classes = _sizes(z_dim, hidden, n_classes)
        self.posterior = _Posterior(self.z_dim, hidden, self.n_classes)
        self.decoder = _mlp(self.z_dim + self.n_classes, hidden, _PIXELS)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of ``q(z|x,y)``, each (N, z_dim)."""
        mu, logvar = self.posterior(x, y)
        return mu, logvar

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits of ``p(x|z,y)``, shape (N, 1, 28, 28)."""
        logits: torch.Tensor = self.decoder(torch.cat([z, one_hot_like(y, self.n_classes, z)], 1))
        return logits.view(len(z), *_IMAGE_SHAPE)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decode(z, y)) * 2 - 1

    def negative_log_likelihood(
        self, z: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:
        """``-log p(x|z,y)`` per sample, shape (N,), in float32 also under autocast."""
        targets = (x.float() + 1) / 2
        pixel_nll = F.binary_cross_entropy_with_logits(
            self.decode(z, y).float(), targets, reduction="none"
        )
        return pixel_nll.flatten(1).sum(1)


@register_model("cvae-predictor-mlp")
class CVAEPredictor(nn.Module):
    """Conditional VAE that reads a digit: ``q(z|x,y)`` and a categorical ``p(y|x,z)``.

    ``negative_log_likelihood(z, x, y)`` is the cross-entropy ``-log p(y|x,z)`` per
    sample. :meth:`predict` never sees the true label: it averages ``p(y|x,z)`` over
    ``z`` drawn from the prior ``N(0, I)``, since ``z ~ q(z|x,y)`` would carry the
    answer in. Sizes are checked here, naming the one at fault.

    Example:
        >>> predictor = CVAEPredictor(z_dim=2, hidden=256)
        >>> probabilities = predictor.predict(images, samples=32)  # (N, 10), rows sum to 1
        >>> digits = probabilities.argmax(1)
    """

    def __init__(self, *, z_dim: int = 2, hidden: int = 256, n_classes: int = 10) -> None:
        super().__init__()
        self.z_dim, hidden, self.n_classes = _sizes(z_dim, hidden, n_classes)
        self.posterior = _Posterior(self.z_dim, hidden, self.n_classes)
        self.decoder = _mlp(_PIXELS + self.z_dim, hidden, self.n_classes)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of ``q(z|x,y)``, each (N, z_dim)."""
        mu, logvar = self.posterior(x, y)
        return mu, logvar

    def decode(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Class logits of ``p(y|x,z)``, shape (N, n_classes)."""
        pixels = _pixels(x)
        logits: torch.Tensor = self.decoder(torch.cat([pixels, z.to(pixels.dtype)], 1))
        return logits

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.decode(z, x)

    def negative_log_likelihood(
        self, z: torch.Tensor, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:
        """``-log p(y|x,z)`` per sample, shape (N,), in float32 also under autocast."""
        return F.cross_entropy(self.decode(z, x).float(), y, reduction="none")

    def predict(
        self, x: torch.Tensor, samples: int = 32, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Class probabilities (N, n_classes): ``softmax(decode(z, x))`` averaged over
        ``samples`` draws ``z ~ N(0, I)``.

        The draws are one ``randn(samples, N, z_dim)``, from ``generator`` where it lives
        (then moved to ``x``'s device) or else from the global RNG on ``x``'s device.
        Gradients flow unless the caller disables them.

        Example:
            >>> predictor.predict(images, generator=torch.Generator().manual_seed(0)).shape
            torch.Size([64, 10])
        """
        samples = integer(samples, "samples")
        shape = (samples, len(x), self.z_dim)
        if generator is None:
            z = torch.randn(shape, device=x.device)
        else:
            z = torch.randn(shape, generator=generator, device=generator.device).to(x.device)
        repeated = x.expand(samples, *x.shape).flatten(0, 1)
        logits = self.decode(z.flatten(0, 1), repeated)
        return F.softmax(logits.float(), dim=1).view(samples, len(x), -1).mean(0)
