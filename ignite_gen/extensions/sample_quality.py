"""SampleQuality: FID, Inception Score and digit coverage of the generator, each epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ignite.distributed as idist
import torch
from torch import nn

from ..extension import PRIORITY_WRITER, Extension
from ..metrics.classifier import MnistClassifier, load_classifier
from ..metrics.quality import (
    check_mnist_shaped,
    check_sample_count,
    classify,
    reference_images,
    scores_from_outputs,
)
from ..reporter import report
from .image_grid import fixed_inputs, generate, resolve_generator

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["SampleQuality", "generator_samples", "load_classifier_once", "score_generator"]

# Generator forwards per call: bounds memory for large n; the same split everywhere
# keeps the extension's and ``ignite-gen evaluate``'s numbers identical.
_CHUNK = 500


def _shard(n: int) -> slice:
    # Rank r scores samples r, r + W, r + 2W, ...; Ignite's metrics sum the shards.
    return slice(idist.get_rank(), n, idist.get_world_size())


def generator_samples(model: nn.Module, n: int, seed: int) -> torch.Tensor:
    """This rank's share of the ``n`` images that the metrics score for ``seed``.

    The inputs are :func:`~ignite_gen.extensions.image_grid.fixed_inputs` (noise from a
    private generator, so the training's RNG is untouched, and for a conditional
    generator the labels ``i % n_classes``, so every class counts equally); the model
    runs in eval mode and every submodule's mode is restored. One process gets all
    ``n`` images.

    Example:
        >>> generator_samples(gen, 1000, seed=0).shape
        torch.Size([1000, 1, 28, 28])
    """
    inputs = [part[_shard(n)].split(_CHUNK) for part in fixed_inputs(model, n, seed)]
    return torch.cat([generate(model, *chunk) for chunk in zip(*inputs, strict=True)])


def load_classifier_once(device: torch.device, domain: str = "mnist") -> MnistClassifier:
    """``domain``'s metric classifier on ``device``; under ``torch.distributed`` rank 0
    trains and caches it (the first time on a machine) while the other ranks wait, then
    load it.

    Example:
        >>> classifier = load_classifier_once(torch.device("cpu"))
    """
    if idist.get_world_size() > 1 and idist.get_rank() != 0:
        idist.barrier()
    classifier = load_classifier(device, domain)
    if idist.get_world_size() > 1 and idist.get_rank() == 0:
        idist.barrier()
    return classifier


def score_generator(
    model: nn.Module,
    n: int = 1000,
    seed: int = 0,
    classifier: MnistClassifier | None = None,
    reference_features: torch.Tensor | None = None,
) -> dict[str, float]:
    """``{"fid", "is", "coverage", "kl_uniform"}`` of ``model``'s samples for ``seed``.

    The rule behind both :class:`SampleQuality` and ``ignite-gen evaluate``: the same
    ``n`` and ``seed`` give the same numbers for the same weights. Samples that are not
    (N, 1, 28, 28) raise a one-line :class:`UserError` before the classifier loads.
    ``reference_features`` (this rank's share of the real images' features) saves
    recomputing them; under ``torch.distributed`` every rank must call this.

    Example:
        >>> sorted(score_generator(load_snapshot("result/snapshot_epoch_0003.pt").model("gen")))
        ['coverage', 'fid', 'is', 'kl_uniform']
    """
    check_sample_count(n)
    samples = generator_samples(model, n, seed)
    check_mnist_shaped(samples)
    if classifier is None:
        classifier = load_classifier_once(samples.device)
    if reference_features is None:
        reference_features = classify(classifier, reference_images(n)[_shard(n)])[0]
    features, probabilities = classify(classifier, samples)
    return scores_from_outputs(features, probabilities, reference_features)


class SampleQuality(Extension):
    """Reports ``<key>/fid``, ``<key>/is``, ``<key>/coverage``, ``<key>/kl_uniform``.

    Every ``trigger`` it scores ``n`` samples of the generator from one fixed noise
    batch (``seed``) with :func:`score_generator`, and reports the numbers into the
    trainer's observation, so a ``LogReport`` firing at the same iteration records
    them (this is a writer: it runs before readers). ``generator`` is a module or the
    name of one in ``trainer.updater.models``; ``"<name>_ema"`` is preferred when it
    exists, as for ``ImageGrid``; a conditional generator (``n_classes``) draws sample
    ``i`` for label ``i % n_classes``. ``key`` defaults to the name (``"gen"``). The
    classifier (trained once per machine, about 20 s) and the real images' features
    are prepared in ``initialize``, after a one-image check of the output shape, so a
    non-MNIST generator fails before the first epoch. Under ``torch.distributed`` each
    rank scores its share of the samples and the metrics are reduced across ranks (all
    ranks must run it, as LogReport all-reduces the same keys everywhere). Its state
    records ``n`` and ``seed``; ``ignite-gen evaluate`` reads them from a snapshot.

    Example:
        >>> trainer.extend(SampleQuality("gen", n=1000))
        >>> trainer.extend(LogReport())  # records gen/fid, gen/is, gen/coverage each epoch
    """

    priority = PRIORITY_WRITER

    def __init__(
        self,
        generator: nn.Module | str = "gen",
        n: int = 1000,
        seed: int = 0,
        trigger: TriggerLike = (1, "epoch"),
        key: str | None = None,
    ) -> None:
        check_sample_count(n)  # now rather than after the first epoch
        self.generator = generator
        self.n = n
        self.seed = seed
        self.trigger = trigger
        self.key = key or (generator if isinstance(generator, str) else "gen")
        self._classifier: MnistClassifier | None = None
        self._reference: torch.Tensor | None = None

    def resolve(self, trainer: Trainer) -> nn.Module:
        """The generator module scored (``"<name>_ema"`` first, when present)."""
        return resolve_generator(trainer, self.generator, "SampleQuality")

    def initialize(self, trainer: Trainer) -> None:
        """Check the output shape, then load (or train once) the classifier."""
        model = self.resolve(trainer)
        probe = generate(model, *fixed_inputs(model, 1, self.seed))
        check_mnist_shaped(probe)
        self._classifier = load_classifier_once(probe.device)
        shard = reference_images(self.n)[_shard(self.n)]
        self._reference = classify(self._classifier, shard)[0]

    def state_dict(self) -> dict[str, Any]:
        """What was scored, so ``ignite-gen evaluate`` can repeat it from a snapshot."""
        name = self.generator if isinstance(self.generator, str) else None
        return {"sample_quality": {"generator": name, "n": self.n, "seed": self.seed}}

    def __call__(self, trainer: Trainer) -> None:
        scores = score_generator(
            self.resolve(trainer), self.n, self.seed, self._classifier, self._reference
        )
        report({f"{self.key}/{name}": value for name, value in scores.items()})
