"""random_affine: per-image distortions drawn from the caller's generator only."""

from __future__ import annotations

import pytest
import torch

from ignite_gen.data import load_mnist_subset, to_unit_range
from ignite_gen.errors import ArgumentTypeError
from ignite_gen.metrics import random_affine

NONE = {"degrees": 0.0, "scale": 0.0, "translate": 0.0, "shear": 0.0}


def digits(n: int = 8) -> torch.Tensor:
    return to_unit_range(load_mnist_subset()[0][:n])


def test_no_distortion_is_the_identity():
    x = digits()
    out = random_affine(x, torch.Generator().manual_seed(0), **NONE)
    torch.testing.assert_close(out, x, rtol=0, atol=1e-5)


def test_a_translation_moves_the_ink_by_at_most_its_limit_and_keeps_the_background():
    x = digits(64)
    out = random_affine(x, torch.Generator().manual_seed(0), **{**NONE, "translate": 0.1})
    assert out.min() >= -1 - 1e-6 and out.max() <= 1 + 1e-6
    corner = out[:, :, :2, :2]
    torch.testing.assert_close(corner, torch.full_like(corner, -1.0))  # background stays -1

    def centre_of_ink(images: torch.Tensor) -> torch.Tensor:
        ink = (images + 1).flatten(2).squeeze(1)
        cols = torch.arange(28.0).repeat(28)
        return (ink * cols).sum(1) / ink.sum(1)

    shift = centre_of_ink(out) - centre_of_ink(x)
    assert shift.abs().max() <= 0.1 * 28 + 0.5  # up to 10% of the width, plus resampling
    assert shift.abs().max() > 1.0 and shift.std() > 0.5  # and not all the same shift


def test_draws_are_per_image_reproducible_and_leave_the_global_rng_alone():
    x = digits(1).repeat(4, 1, 1, 1)
    before = torch.get_rng_state()
    first = random_affine(x, torch.Generator().manual_seed(3))
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(first, random_affine(x, torch.Generator().manual_seed(3)))
    assert not torch.allclose(first[0], first[1])  # the same image, distorted differently
    assert not torch.equal(first, random_affine(x, torch.Generator().manual_seed(4)))


def test_images_must_be_a_tensor():
    with pytest.raises(ArgumentTypeError, match=r"^images must be a tensor"):
        random_affine([[0.0]], torch.Generator())  # type: ignore[arg-type]
