"""Random affine distortions of digit images, for training a metric classifier that reads
digits written by other hands than its training set's."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..argument_checks import instance

__all__ = ["random_affine"]


def random_affine(
    images: torch.Tensor,
    generator: torch.Generator,
    *,
    degrees: float = 15.0,
    scale: float = 0.15,
    translate: float = 0.1,
    shear: float = 10.0,
) -> torch.Tensor:
    """Each image of ``images`` (N, C, H, W) in [-1, 1] rotated by up to ``degrees``,
    scaled by a factor in ``1 +- scale``, sheared by up to ``shear`` degrees and shifted
    by up to ``translate`` of its size, every draw uniform and independent per image;
    the background (-1) fills what moves in.

    The draws come from ``generator`` alone, so the result is the same on every machine
    and the global RNGs are not touched. (torchvision's ``v2.RandomAffine`` draws one
    transform per call from the global RNG; one call per image would be both slower and
    a change to the caller's random stream.)

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> random_affine(torch.zeros(4, 1, 28, 28), g).shape
        torch.Size([4, 1, 28, 28])
    """
    instance(images, torch.Tensor, "images", "a tensor (N, C, H, W)")
    n = len(images)

    def uniform(limit: float, *shape: int) -> torch.Tensor:
        return (torch.rand(n, *shape, generator=generator) * 2 - 1) * limit

    angle, shear_angle = uniform(math.radians(degrees)), uniform(math.radians(shear))
    zoom = 1 + uniform(scale)
    # affine_grid maps output coordinates to input ones, hence the inverse zoom.
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = angle.cos() / zoom
    theta[:, 0, 1] = (shear_angle.tan() - angle.sin()) / zoom
    theta[:, 1, 0] = angle.sin() / zoom
    theta[:, 1, 1] = angle.cos() / zoom
    theta[:, :, 2] = uniform(2 * translate, 2)  # grid coordinates span 2 per image side
    grid = F.affine_grid(theta.to(images.device), list(images.shape), align_corners=False)
    # Zero padding of the shifted images (ink 0 + 1): the background stays -1.
    return F.grid_sample(images + 1, grid, align_corners=False) - 1
