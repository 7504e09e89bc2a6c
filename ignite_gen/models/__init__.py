"""Reference networks, registered by name so snapshots can rebuild them."""

from .dcgan import ArticleDiscriminator, ArticleGenerator, dcgan_init_
from .noise import sample_noise
from .registry import build_model, model_spec, register_model, registered_models

__all__ = [
    "ArticleDiscriminator",
    "ArticleGenerator",
    "build_model",
    "dcgan_init_",
    "model_spec",
    "register_model",
    "registered_models",
    "sample_noise",
]
