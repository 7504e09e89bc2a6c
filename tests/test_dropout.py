"""MaskDropout is dropout: the kept fraction, the scale, the identity in evaluation."""

from __future__ import annotations

import pytest
import torch

from ignite_gen.errors import ArgumentError
from ignite_gen.models.dropout import MaskDropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_zeroes_a_fraction_p_and_scales_the_rest(p, dtype):
    torch.manual_seed(0)
    x = torch.full((200_000,), 3.0, dtype=dtype)
    y = MaskDropout(p).train()(x)
    zeroed = (y == 0).double().mean().item()
    # 200,000 Bernoulli(p) draws: the standard error is at most 0.0012.
    assert abs(zeroed - p) < 0.006
    kept = y[y != 0]
    assert torch.allclose(kept.float(), torch.tensor(3.0 / (1 - p)), rtol=1e-2)
    assert y.dtype == dtype
    assert abs(y.double().mean().item() - 3.0) < 0.05  # the expectation is unchanged


def test_gradient_flows_through_kept_elements_only():
    torch.manual_seed(0)
    x = torch.ones(1000, requires_grad=True)
    y = MaskDropout(0.5).train()(x)
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())  # 2 where kept, 0 where dropped


def test_identity_in_evaluation_at_zero_and_all_at_one():
    x = torch.randn(4, 5)
    assert MaskDropout(0.5).eval()(x) is x
    assert MaskDropout(0.0).train()(x) is x
    assert torch.equal(MaskDropout(1.0).train()(x), torch.zeros_like(x))


def test_draws_from_the_global_generator():
    x = torch.ones(64)
    torch.manual_seed(3)
    first = MaskDropout(0.5).train()(x)
    torch.manual_seed(3)
    assert torch.equal(MaskDropout(0.5).train()(x), first)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_bad_probability_names_p(p):
    with pytest.raises(ArgumentError, match="p"):
        MaskDropout(p)
