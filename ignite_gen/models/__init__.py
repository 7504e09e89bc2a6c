"""Reference networks, registered by name so snapshots can rebuild them."""

from .cvae import CVAE, ConditionalVAE, CVAEPredictor, LabelPredictor
from .cvaegan import (
    CVAEGANClassifier,
    CVAEGANDiscriminator,
    CVAEGANEncoder,
    CVAEGANGenerator,
)
from .dcgan import (
    ArticleDiscriminator,
    ArticleGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    dcgan_init_,
)
from .decoding import beam_search, decode, greedy_decode
from .dualgan import DualGANTranslator
from .ebgan import EBGANConvDiscriminator, EBGANMLPDiscriminator
from .infogan import InfoGANDiscriminator, InfoGANGenerator
from .noise import sample_noise
from .registry import build_model, model_spec, register_model, registered_models
from .seq2seq import Seq2Seq

__all__ = [
    "CVAE",
    "ArticleDiscriminator",
    "ArticleGenerator",
    "CVAEGANClassifier",
    "CVAEGANDiscriminator",
    "CVAEGANEncoder",
    "CVAEGANGenerator",
    "CVAEPredictor",
    "ConditionalVAE",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DualGANTranslator",
    "EBGANConvDiscriminator",
    "EBGANMLPDiscriminator",
    "InfoGANDiscriminator",
    "InfoGANGenerator",
    "LabelPredictor",
    "Seq2Seq",
    "beam_search",
    "build_model",
    "dcgan_init_",
    "decode",
    "greedy_decode",
    "model_spec",
    "register_model",
    "registered_models",
    "sample_noise",
]
