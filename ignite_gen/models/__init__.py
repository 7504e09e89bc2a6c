"""Reference networks, registered by name so snapshots can rebuild them."""

from .dcgan import (
    ArticleDiscriminator,
    ArticleGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    dcgan_init_,
)
from .ebgan import EBGANConvDiscriminator, EBGANMLPDiscriminator
from .noise import sample_noise
from .registry import build_model, model_spec, register_model, registered_models
from .seq2seq import Seq2Seq

__all__ = [
    "ArticleDiscriminator",
    "ArticleGenerator",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "EBGANConvDiscriminator",
    "EBGANMLPDiscriminator",
    "Seq2Seq",
    "build_model",
    "dcgan_init_",
    "model_spec",
    "register_model",
    "registered_models",
    "sample_noise",
]
