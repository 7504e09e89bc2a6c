"""Updaters: one training iteration each; subclass :class:`Updater` for your own."""

from .base import PRECISIONS, Updater, move_to_device, resolve_device
from .cvae import CVAEUpdater, gaussian_kl, labelled_batch, reparameterize
from .cvaegan import CVAEGANUpdater
from .dualgan import ADVERSARIAL_LOSSES, DualGANUpdater
from .ebgan import EBGANUpdater, pullaway_term, reconstruction_energy
from .ema import ExponentialMovingAverage
from .fdivergence import DIVERGENCES, Divergence, divergence
from .fgan import GENERATOR_OBJECTIVES, FGANUpdater
from .gan import GANUpdater
from .hinge import HingeGANUpdater
from .infogan import (
    InfoGANUpdater,
    categorical_log_likelihood,
    check_infogan_pair,
    gaussian_log_likelihood,
)
from .lsgan import LSGANUpdater
from .replicas import ReplicaSync, convert_sync_batchnorm
from .seq2seq import Seq2SeqUpdater
from .wgan import WGANUpdater, clip_parameters_, gradient_penalty

__all__ = [
    "ADVERSARIAL_LOSSES",
    "DIVERGENCES",
    "GENERATOR_OBJECTIVES",
    "PRECISIONS",
    "CVAEGANUpdater",
    "CVAEUpdater",
    "Divergence",
    "DualGANUpdater",
    "EBGANUpdater",
    "ExponentialMovingAverage",
    "FGANUpdater",
    "GANUpdater",
    "HingeGANUpdater",
    "InfoGANUpdater",
    "LSGANUpdater",
    "ReplicaSync",
    "Seq2SeqUpdater",
    "Updater",
    "WGANUpdater",
    "categorical_log_likelihood",
    "check_infogan_pair",
    "clip_parameters_",
    "convert_sync_batchnorm",
    "divergence",
    "gaussian_kl",
    "gaussian_log_likelihood",
    "gradient_penalty",
    "labelled_batch",
    "move_to_device",
    "pullaway_term",
    "reconstruction_energy",
    "reparameterize",
    "resolve_device",
]
