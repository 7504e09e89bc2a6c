"""Sample quality of MNIST-like images: FID, Inception Score, class coverage, KL from uniform.

All four come from the project's :class:`~ignite_gen.metrics.classifier.MnistClassifier`,
run once per image: its 128-d penultimate features feed Ignite's ``FID`` and its class
probabilities feed Ignite's ``InceptionScore``; its predicted digits give the class
histogram. Samples are compared with the same number of real images (Ignite's FID
pairs them), taken from :func:`reference_images`: the classifier's 1,000 held-out
images first, in round-robin digit order so every prefix is balanced across digits,
then its training images. Held-out images come first because the classifier has never
seen them, like a generator's samples. Under ``torch.distributed`` each rank passes its
shard and the results are the same as one process with everything (Ignite reduces).

FID is biased upwards for small ``n``; compare numbers only at the same ``n``.
:func:`real_data_scores` gives the floor: real training images scored as samples.
"""

from __future__ import annotations

import functools
import math
from typing import cast

import ignite.distributed as idist
import torch
import torch.nn.functional as F
from ignite.metrics import FID, InceptionScore

from ..errors import UserError
from .classifier import MnistClassifier, held_out_split, load_classifier

__all__ = [
    "MAX_REFERENCE",
    "check_mnist_shaped",
    "check_sample_count",
    "class_counts",
    "class_coverage",
    "classify",
    "kl_uniform",
    "real_data_scores",
    "reference_images",
    "sample_quality",
    "scores_from_outputs",
]

#: The most samples a score can use: one real image is needed per sample.
MAX_REFERENCE = 5000
_HELD_OUT = 1000
# Images per classifier forward and per Ignite update: bounds memory for large n.
_CHUNK = 500


def check_mnist_shaped(images: torch.Tensor) -> None:
    """Raise a one-line :class:`UserError` unless ``images`` is (N, 1, 28, 28).

    Example:
        >>> check_mnist_shaped(torch.zeros(8, 3, 32, 32))
        Traceback (most recent call last):
            ...
        ignite_gen.errors.UserError: sample-quality metrics need MNIST-shaped samples ...
    """
    shape = tuple(images.shape)
    if len(shape) != 4 or shape[1:] != (1, 28, 28):
        raise UserError(
            f"sample-quality metrics need MNIST-shaped samples (N, 1, 28, 28), got {shape}"
        )


def _round_robin(labels: torch.Tensor) -> torch.Tensor:
    # Order: first image of each digit, then the second of each, ...: balanced prefixes.
    rank = torch.empty_like(labels)
    for digit in range(10):
        where = (labels == digit).nonzero().squeeze(1)
        rank[where] = torch.arange(len(where))
    return torch.argsort(rank * 10 + labels)


@functools.lru_cache(maxsize=1)
def _reference_pool() -> torch.Tensor:
    train_x, train_y, held_x, held_y = held_out_split()
    return torch.cat([held_x[_round_robin(held_y)], train_x[_round_robin(train_y)]])


def reference_images(n: int) -> torch.Tensor:
    """The ``n`` real images that ``n`` samples are compared with (float32, [-1, 1]).

    Example:
        >>> reference_images(1000).shape  # the classifier's held-out images
        torch.Size([1000, 1, 28, 28])
    """
    check_sample_count(n)
    return _reference_pool()[:n].clone()


def check_sample_count(n: int) -> None:
    """Raise a one-line :class:`UserError` unless ``2 <= n <= MAX_REFERENCE``.

    Example:
        >>> check_sample_count(1000)  # fine; 1 or 6000 raise
    """
    if not 2 <= n <= MAX_REFERENCE:
        raise UserError(
            f"sample-quality metrics use 2 to {MAX_REFERENCE} samples (one real MNIST image "
            f"of the bundled subset per sample), got {n}"
        )


def classify(
    classifier: MnistClassifier, images: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features, probabilities)`` of ``images`` on the classifier's device, in chunks.

    Example:
        >>> features, probabilities = classify(load_classifier(), reference_images(100))
        >>> features.shape, probabilities.shape
        (torch.Size([100, 128]), torch.Size([100, 10]))
    """
    device = next(classifier.parameters()).device
    features, probabilities = [], []
    with torch.no_grad():
        for chunk in images.split(_CHUNK):
            feature = classifier.features(chunk.to(device, torch.float32))
            features.append(feature)
            probabilities.append(F.softmax(classifier.logits(feature), dim=1))
    return torch.cat(features), torch.cat(probabilities)


def class_counts(probabilities: torch.Tensor) -> torch.Tensor:
    """How many samples the classifier assigns to each digit (argmax), shape (10,).

    Example:
        >>> class_counts(torch.eye(10)[[3, 3, 7]]).tolist()
        [0, 0, 0, 2, 0, 0, 0, 1, 0, 0]
    """
    return torch.bincount(probabilities.argmax(1), minlength=probabilities.shape[1])


def class_coverage(counts: torch.Tensor, min_fraction: float = 0.01) -> int:
    """Digits predicted for at least ``max(1, ceil(min_fraction * N))`` of the N samples.

    The 1% floor keeps a handful of stray predictions of a collapsed generator from
    counting as covering a digit.

    Example:
        >>> class_coverage(torch.tensor([500, 500, 3, 0, 0, 0, 0, 0, 0, 0]))  # 3 < 1% of 1003
        2
    """
    threshold = max(1, math.ceil(min_fraction * int(counts.sum())))
    return int((counts >= threshold).sum())


def kl_uniform(counts: torch.Tensor) -> float:
    """KL divergence (nats) of the predicted-class histogram from the uniform one.

    0 when every digit is predicted equally often; ``log(10)`` when all samples are one.

    Example:
        >>> round(kl_uniform(torch.tensor([7, 0, 0, 0, 0, 0, 0, 0, 0, 0])), 4)  # log 10
        2.3026
    """
    p = counts.double() / counts.sum()
    p = p[p > 0]
    return float((p * (p * len(counts)).log()).sum())


def scores_from_outputs(
    sample_features: torch.Tensor,
    sample_probabilities: torch.Tensor,
    reference_features: torch.Tensor,
) -> dict[str, float]:
    """``{"fid", "is", "coverage", "kl_uniform"}`` from classifier outputs.

    ``reference_features`` must have as many rows as the samples. Under
    ``torch.distributed`` every rank must call this with its shard (collective calls).

    Example:
        >>> classifier, samples = load_classifier(), gen(torch.randn(1000, gen.z_dim))
        >>> features, probabilities = classify(classifier, samples)
        >>> real = classify(classifier, reference_images(1000))[0]
        >>> sorted(scores_from_outputs(features, probabilities, real))
        ['coverage', 'fid', 'is', 'kl_uniform']
    """
    if sample_features.shape != reference_features.shape:
        raise ValueError(
            f"FID pairs samples with as many real images: {tuple(sample_features.shape)} "
            f"vs {tuple(reference_features.shape)}"
        )
    device = sample_features.device
    fid = FID(num_features=sample_features.shape[1], device=device)
    inception = InceptionScore(num_features=sample_probabilities.shape[1], device=device)
    for real, fake, probabilities in zip(
        reference_features.split(_CHUNK),
        sample_features.split(_CHUNK),
        sample_probabilities.split(_CHUNK),
        strict=True,
    ):
        fid.update((real, fake))
        inception.update(probabilities)
    # Ignite annotates all_reduce as tensor-or-float; given a tensor it returns one.
    counts = cast(torch.Tensor, idist.all_reduce(class_counts(sample_probabilities)))
    return {
        "fid": float(fid.compute()),
        "is": float(inception.compute()),
        "coverage": class_coverage(counts),
        "kl_uniform": kl_uniform(counts),
    }


def sample_quality(
    samples: torch.Tensor,
    classifier: MnistClassifier | None = None,
    reference: torch.Tensor | None = None,
) -> dict[str, float]:
    """Score ``samples`` (N, 1, 28, 28) in [-1, 1] against ``reference`` real images.

    ``reference`` defaults to ``reference_images(N)``; ``classifier`` to
    :func:`~ignite_gen.metrics.classifier.load_classifier` on the samples' device.

    Example:
        >>> scores = sample_quality(gen(torch.randn(1000, gen.z_dim)))
        >>> sorted(scores)
        ['coverage', 'fid', 'is', 'kl_uniform']
    """
    check_mnist_shaped(samples)
    if reference is None:
        reference = reference_images(len(samples))  # also checks 2 <= N <= 5000
    check_mnist_shaped(reference)
    if len(samples) < 2:  # a covariance needs two samples
        raise UserError(f"sample-quality metrics need at least 2 samples, got {len(samples)}")
    if classifier is None:
        classifier = load_classifier(samples.device)
    features, probabilities = classify(classifier, samples)
    return scores_from_outputs(features, probabilities, classify(classifier, reference)[0])


def real_data_scores(
    n: int = _HELD_OUT, classifier: MnistClassifier | None = None
) -> dict[str, float]:
    """Scores of ``n`` real training images as if they were samples: the best to hope for.

    Its ``"fid"`` is the FID floor at this ``n``: the classifier's training images
    against its held-out ones (``n`` at most 1,000, the held-out count).

    Example:
        >>> round(real_data_scores(1000)["fid"])
        27
    """
    if not 2 <= n <= _HELD_OUT:
        raise UserError(f"the real-data floor uses 2 to {_HELD_OUT} images, got {n}")
    training = _reference_pool()[_HELD_OUT : _HELD_OUT + n]
    return sample_quality(training, classifier, reference_images(n))
