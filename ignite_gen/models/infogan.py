"""InfoGAN's networks for 28x28 MNIST (Chen et al. 2016, appendix C.1): a generator fed
noise plus latent codes, and a discriminator whose body also feeds the Q head that
estimates those codes back from an image."""

from __future__ import annotations

from typing import Protocol

import torch
from torch import nn

from ..argument_checks import integer
from ..errors import ArgumentError
from .cvae import one_hot_like
from .dcgan import dcgan_init_
from .registry import register_model

__all__ = ["CodedGenerator", "InfoGANDiscriminator", "InfoGANGenerator", "QDiscriminator"]


class CodedGenerator(Protocol):
    """What :class:`~ignite_gen.updaters.infogan.InfoGANUpdater` and
    :func:`~ignite_gen.metrics.code_purity.code_purity` need of a generator: code sizes,
    a prior to sample codes from, and a way to assemble them into its input.

    Example:
        >>> gen: CodedGenerator = build_model("infogan-generator")
        >>> z, categories, continuous = gen.sample_codes(4)
        >>> gen(gen.latent(z, categories, continuous)).shape
        torch.Size([4, 1, 28, 28])
    """

    z_dim: int
    n_categories: int
    n_continuous: int

    def sample_codes(
        self,
        n: int,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]: ...

    def latent(
        self, z: torch.Tensor, categories: torch.Tensor, continuous: torch.Tensor
    ) -> torch.Tensor: ...

    def __call__(self, latent: torch.Tensor) -> torch.Tensor: ...


class QDiscriminator(Protocol):
    """What :class:`~ignite_gen.updaters.infogan.InfoGANUpdater` needs of a discriminator:
    code sizes and one pass giving both heads.

    Example:
        >>> dis: QDiscriminator = build_model("infogan-discriminator")
        >>> logits, categorical_logits, continuous_mean = dis.forward_with_q(images)
    """

    n_categories: int
    n_continuous: int

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...

    def forward_with_q(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]: ...


@register_model("infogan-generator")
class InfoGANGenerator(nn.Module):
    """Latent ``[z, one-hot category, continuous codes]`` (N, z_dim + n_categories +
    n_continuous) to images (N, channels, 28, 28) in [-1, 1].

    The paper's MNIST generator: FC ``fc`` -> FC ``2 * hidden`` maps of 7x7 -> transposed
    convolutions to 14x14 (``hidden`` channels) and 28x28, BatchNorm and ReLU between,
    tanh at the end (the paper's 1024, 128 and 64 are ``fc=1024, hidden=64``). The prior
    is the paper's: z ~ N(0, I), the category uniform over ``n_categories`` values, each
    continuous code uniform in [-1, 1]. :meth:`sample_noise` draws a whole latent, so
    ``ImageGrid``, ``ignite-gen sample`` and the sample-quality metrics use it unchanged.

    Example:
        >>> gen = InfoGANGenerator(hidden=8, fc=32)
        >>> gen(gen.sample_noise(4)).shape
        torch.Size([4, 1, 28, 28])
        >>> sevens = gen.latent(torch.randn(3, 62), torch.full((3,), 7), torch.zeros(3, 2))
    """

    def __init__(
        self,
        *,
        z_dim: int = 62,
        n_categories: int = 10,
        n_continuous: int = 2,
        hidden: int = 64,
        fc: int = 1024,
        channels: int = 1,
    ) -> None:
        super().__init__()
        self.z_dim = integer(z_dim, "z_dim", minimum=0)
        self.n_categories = integer(n_categories, "n_categories")
        self.n_continuous = integer(n_continuous, "n_continuous", minimum=0)
        self.latent_dim = self.z_dim + self.n_categories + self.n_continuous
        hidden, fc = integer(hidden, "hidden"), integer(fc, "fc")
        # No bias before BatchNorm: its shift would cancel it.
        self.net = nn.Sequential(
            nn.Linear(self.latent_dim, fc, bias=False),
            nn.BatchNorm1d(fc),
            nn.ReLU(True),
            nn.Linear(fc, 2 * hidden * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * hidden * 7 * 7),
            nn.ReLU(True),
            nn.Unflatten(1, (2 * hidden, 7, 7)),
            nn.ConvTranspose2d(2 * hidden, hidden, 4, 2, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(True),
            nn.ConvTranspose2d(hidden, integer(channels, "channels"), 4, 2, 1),
            nn.Tanh(),
        )
        dcgan_init_(self)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        if latent.dim() != 2 or latent.shape[1] != self.latent_dim:
            raise ArgumentError(
                f"latent must be (N, {self.latent_dim}) = z {self.z_dim} + one-hot "
                f"{self.n_categories} + continuous {self.n_continuous}, got "
                f"{tuple(latent.shape)}; build it with latent(z, categories, continuous)"
            )
        images: torch.Tensor = self.net(latent)
        return images

    def sample_codes(
        self,
        n: int,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(z, categories, continuous)`` drawn from the prior: shapes (n, z_dim),
        (n,) int64 and (n, n_continuous).

        As :func:`~ignite_gen.models.noise.sample_noise`: without ``generator`` they
        are drawn on ``device`` from the global RNG; with one, where it lives, then moved.

        Example:
            >>> z, categories, continuous = gen.sample_codes(8, generator=torch.Generator())
        """
        where = device if generator is None else generator.device
        z = torch.randn(n, self.z_dim, generator=generator, device=where)
        categories = torch.randint(self.n_categories, (n,), generator=generator, device=where)
        continuous = torch.rand(n, self.n_continuous, generator=generator, device=where) * 2 - 1
        if generator is None or device is None:
            return z, categories, continuous
        return z.to(device), categories.to(device), continuous.to(device)

    def latent(
        self, z: torch.Tensor, categories: torch.Tensor, continuous: torch.Tensor
    ) -> torch.Tensor:
        """The generator's input from its parts: ``z`` (N, z_dim), ``categories`` (N,)
        int64 in [0, n_categories), ``continuous`` (N, n_continuous).

        Example:
            >>> gen.latent(torch.zeros(1, 62), torch.tensor([3]), torch.zeros(1, 2))[0, 62:]
            tensor([0., 0., 0., 1., 0., 0., 0., 0., 0., 0., 0., 0.])
        """
        one_hot = one_hot_like(categories, self.n_categories, z)
        return torch.cat([z, one_hot, continuous.to(z.dtype)], dim=1)

    def sample_noise(
        self,
        n: int,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """``n`` whole latents from the prior (the rule every sampler of the project uses).

        Example:
            >>> gen.sample_noise(16).shape
            torch.Size([16, 74])
        """
        return self.latent(*self.sample_codes(n, device, generator))


@register_model("infogan-discriminator")
class InfoGANDiscriminator(nn.Module):
    """Images (N, channels, 28, 28) to real/fake logits (N,), and through the same body
    to Q's estimate of the codes.

    The paper's MNIST discriminator: strided convolutions to 14x14 (``hidden`` channels)
    and 7x7 (``2 * hidden``), FC ``fc``, with LeakyReLU (slope 0.1) after each and
    BatchNorm after all but the first; the D head is one linear unit, the Q head FC
    ``q_hidden`` (BatchNorm, LeakyReLU) then the categorical logits (``n_categories``)
    and the means of the continuous codes (``n_continuous``). Q models each continuous
    code as a Gaussian of fixed standard deviation 1 around that mean, as the paper's
    reference code does for MNIST: a learned deviation would let the log-likelihood grow
    without bound as it shrinks.
    :meth:`forward_with_q` runs the body once for both heads.

    Example:
        >>> dis = InfoGANDiscriminator(hidden=8, fc=32)
        >>> logits, categorical_logits, continuous_mean = dis.forward_with_q(images[:4])
        >>> logits.shape, categorical_logits.shape, continuous_mean.shape
        (torch.Size([4]), torch.Size([4, 10]), torch.Size([4, 2]))
    """

    def __init__(
        self,
        *,
        n_categories: int = 10,
        n_continuous: int = 2,
        hidden: int = 64,
        fc: int = 1024,
        q_hidden: int = 128,
        channels: int = 1,
    ) -> None:
        super().__init__()
        self.n_categories = integer(n_categories, "n_categories")
        self.n_continuous = integer(n_continuous, "n_continuous", minimum=0)
        hidden, fc = integer(hidden, "hidden"), integer(fc, "fc")
        q_hidden = integer(q_hidden, "q_hidden")
        self.body = nn.Sequential(
            nn.Conv2d(integer(channels, "channels"), hidden, 4, 2, 1),
            nn.LeakyReLU(0.1, True),
            nn.Conv2d(hidden, 2 * hidden, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * hidden),
            nn.LeakyReLU(0.1, True),
            nn.Flatten(),
            nn.Linear(2 * hidden * 7 * 7, fc, bias=False),
            nn.BatchNorm1d(fc),
            nn.LeakyReLU(0.1, True),
        )
        self.d_head = nn.Linear(fc, 1)
        self.q_head = nn.Sequential(
            nn.Linear(fc, q_hidden, bias=False),
            nn.BatchNorm1d(q_hidden),
            nn.LeakyReLU(0.1, True),
            nn.Linear(q_hidden, self.n_categories + self.n_continuous),
        )
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.d_head(self.body(x)).squeeze(1)
        return logits

    def q(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Q alone: ``(categorical logits (N, n_categories), continuous means (N,
        n_continuous))``.

        Example:
            >>> categorical_logits, continuous_mean = dis.q(images)
        """
        return self._q_head(self.body(x))

    def forward_with_q(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(D's logits (N,), categorical logits, continuous means)`` from one body pass.

        Example:
            >>> logits, categorical_logits, continuous_mean = dis.forward_with_q(images)
        """
        features = self.body(x)
        logits: torch.Tensor = self.d_head(features).squeeze(1)
        return (logits, *self._q_head(features))

    def _q_head(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out: torch.Tensor = self.q_head(features)
        return out[:, : self.n_categories], out[:, self.n_categories :]
