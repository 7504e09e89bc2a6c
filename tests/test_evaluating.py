"""evaluating(): eval mode and no gradients inside, each submodule's own flag after."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ignite_gen.metrics.evaluating import evaluating, module_device


def test_every_submodule_gets_its_own_flag_back_even_after_an_error():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.BatchNorm1d(2))
    model.train()
    model[2].eval()  # a frozen BatchNorm inside a training model
    with pytest.raises(RuntimeError, match="inside"), evaluating(model):
        assert not any(m.training for m in model.modules())
        assert not torch.is_grad_enabled()
        raise RuntimeError("inside")
    assert [m.training for m in model.modules()] == [True, True, True, False]
    assert torch.is_grad_enabled()


def test_module_device_is_the_first_parameters_or_the_cpu():
    assert module_device(nn.Linear(2, 2)) == torch.device("cpu")
    assert module_device(nn.ReLU()) == torch.device("cpu")
