"""Noise for generators: one rule shared by GAN updaters, ImageGrid and ``ignite-gen sample``."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import UserError

__all__ = ["sample_noise", "takes_noise"]


def sample_noise(
    gen: nn.Module,
    n: int,
    device: torch.device | str | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``n`` noise vectors for ``gen``: standard normal of shape ``(n, gen.z_dim)``.

    A generator with a different prior defines ``sample_noise(n, device=None,
    generator=None)`` and is called instead. Without ``generator`` the noise is drawn
    on ``device`` from the global RNG (no host-to-device copy while training); with one,
    it is drawn where that generator lives and then moved, so a seeded CPU generator
    gives the same noise on every device.

    Example:
        >>> gen = build_model("dcgan-article-generator", z_dim=64)
        >>> sample_noise(gen, 16, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([16, 64])
    """
    own_prior = getattr(gen, "sample_noise", None)
    if own_prior is not None:
        noise: torch.Tensor = own_prior(n, device=device, generator=generator)
        return noise
    z_dim = getattr(gen, "z_dim", None)
    if z_dim is None:
        raise UserError(
            f"{type(gen).__name__} needs a z_dim attribute or a "
            "sample_noise(n, device=None, generator=None) method"
        )
    if generator is None:
        return torch.randn(n, z_dim, device=device)
    noise = torch.randn(n, z_dim, generator=generator, device=generator.device)
    return noise if device is None else noise.to(device)


def takes_noise(model: nn.Module) -> bool:
    """Whether :func:`sample_noise` can draw noise for ``model``: it has its own
    ``sample_noise`` or a ``z_dim`` (a generator, not a discriminator or a translator).

    Example:
        >>> takes_noise(build_model("dcgan-generator"))
        True
    """
    return any(getattr(model, name, None) is not None for name in ("sample_noise", "z_dim"))
