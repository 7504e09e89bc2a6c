"""Reference networks and the registry that lets snapshots rebuild them."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ignite_gen import UserError
from ignite_gen.models import (
    ArticleDiscriminator,
    ArticleGenerator,
    build_model,
    dcgan_init_,
    model_spec,
    register_model,
    registered_models,
    sample_noise,
)


def test_article_networks_shapes_and_sizes():
    gen, dis = ArticleGenerator(z_dim=64), ArticleDiscriminator()
    images = gen(sample_noise(gen, 5))
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    assert dis(images).shape == (5, 1)
    widths = [m.out_channels for m in gen.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert widths == [512, 256, 128, 1]  # hidden 128
    widths = [m.out_channels for m in dis.modules() if isinstance(m, nn.Conv2d)]
    assert widths == [16, 32, 1]  # hidden 16


def test_dcgan_init_statistics():
    torch.manual_seed(0)
    net = dcgan_init_(nn.Sequential(nn.Conv2d(64, 256, 5), nn.BatchNorm2d(4096)))
    conv, norm = net[0], net[1]
    assert abs(conv.weight.mean()) < 1e-3 and abs(conv.weight.std() - 0.02) < 1e-3
    assert abs(norm.weight.mean() - 1) < 2e-3 and abs(norm.weight.std() - 0.02) < 2e-3
    assert conv.bias.abs().max() == 0 and norm.bias.abs().max() == 0


def test_registry_round_trip():
    gen = build_model("dcgan-article-generator", z_dim=32, hidden=8)
    spec = model_spec(gen)
    assert spec == {"name": "dcgan-article-generator", "kwargs": {"z_dim": 32, "hidden": 8}}
    rebuilt = build_model(spec["name"], **spec["kwargs"])
    rebuilt.load_state_dict(gen.state_dict())
    assert "dcgan-article-discriminator" in registered_models()
    assert model_spec(nn.Linear(2, 2)) is None


def test_registry_errors():
    with pytest.raises(UserError, match="unknown model 'nope'; known models: "):
        build_model("nope")

    @register_model("test-tiny")
    class Tiny(nn.Module):
        def __init__(self, width: int = 2) -> None:
            super().__init__()
            self.fc = nn.Linear(width, 1)

    with pytest.raises(TypeError, match="keyword arguments only"):
        Tiny(3)
    with pytest.raises(ValueError, match="already registered"):
        register_model("test-tiny")(nn.Linear)
