"""Metrics of conditional models, read by the project's MNIST classifier or against labels.

*Conditional accuracy*: how often the classifier reads digit ``y`` in images a
label-to-image generator made for ``y``. *Predictor accuracy*: how often an
image-to-label model names the digit of held-out images. Both run batched, in eval mode
and without gradients, and put every model back in the train/eval mode it was in.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from ..argument_checks import instance, integer
from ..errors import ArgumentError, ArgumentTypeError
from ..models.cvae import LabelPredictor
from ..models.noise import sample_noise
from .classifier import held_out_split, load_classifier
from .evaluating import evaluating, module_device

__all__ = ["conditional_accuracy", "conditional_accuracy_per_class", "predictor_accuracy"]

# Images per forward pass: bounds memory for large counts.
_CHUNK = 500


def conditional_accuracy_per_class(
    generator: nn.Module,
    classifier: nn.Module | None = None,
    n_per_class: int = 100,
    seed: int = 0,
) -> torch.Tensor:
    """For each label ``y``, the fraction of ``n_per_class`` images ``generator(z, y)``
    that ``classifier`` reads as ``y``; float64 on the CPU, shape (n_classes,).

    ``z`` comes from :func:`~ignite_gen.models.noise.sample_noise` with a CPU generator
    seeded ``seed``, so a given seed shows every model the same noise. ``classifier``
    (logits over the digits) defaults to
    :func:`~ignite_gen.metrics.classifier.load_classifier` on the generator's device.
    The generator needs ``z_dim`` (or ``sample_noise``); ``n_classes`` defaults to 10.

    Example:
        >>> conditional_accuracy_per_class(cvae).shape  # one accuracy per digit
        torch.Size([10])
    """
    instance(generator, nn.Module, "generator", "an nn.Module: forward(z, labels) -> images")
    if getattr(generator, "z_dim", None) is None and not hasattr(generator, "sample_noise"):
        raise ArgumentTypeError(
            f"generator ({type(generator).__name__}) needs a z_dim attribute or a "
            "sample_noise(n, device=None, generator=None) method"
        )
    n_classes = integer(getattr(generator, "n_classes", 10), "generator.n_classes", minimum=2)
    n_per_class = integer(n_per_class, "n_per_class")
    seed = integer(seed, "seed", minimum=None)
    device = module_device(generator)
    if classifier is None:
        classifier = load_classifier(device)
    instance(classifier, nn.Module, "classifier", "an nn.Module: forward(images) -> logits")
    labels = torch.arange(n_classes).repeat_interleave(n_per_class)
    noise = sample_noise(generator, len(labels), generator=torch.Generator().manual_seed(seed))
    hits = torch.zeros(n_classes, dtype=torch.float64)
    with evaluating(generator, classifier):
        for z, y in zip(noise.split(_CHUNK), labels.split(_CHUNK), strict=True):
            images = generator(z.to(device), y.to(device))
            read = classifier(images.float().to(module_device(classifier))).argmax(1).cpu()
            hits.index_add_(0, y, (read == y).double())
    return hits / n_per_class


def conditional_accuracy(
    generator: nn.Module,
    classifier: nn.Module | None = None,
    n_per_class: int = 100,
    seed: int = 0,
) -> float:
    """The fraction of generated images that ``classifier`` reads as the label they were
    made for: the mean of :func:`conditional_accuracy_per_class` (equal counts per label).

    Example:
        >>> round(conditional_accuracy(build_model("cvae-mlp")), 1)  # untrained: chance
        0.1
    """
    return float(conditional_accuracy_per_class(generator, classifier, n_per_class, seed).mean())


def _labelled_images(
    images: torch.Tensor | None, labels: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    if images is None and labels is None:
        _, _, held_x, held_y = held_out_split()
        return held_x, held_y
    if images is None or labels is None:
        raise ArgumentError("images and labels go together: pass both or neither")
    instance(images, torch.Tensor, "images", "a tensor (N, 1, 28, 28) in [-1, 1]")
    instance(labels, torch.Tensor, "labels", "an int64 tensor (N,)")
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28) or not len(images):
        raise ArgumentError(f"images must be (N, 1, 28, 28), N >= 1, got {tuple(images.shape)}")
    if labels.dtype != torch.int64 or labels.shape != (len(images),):
        raise ArgumentError(
            f"labels must be int64 of shape ({len(images)},), one per image, got "
            f"{labels.dtype} of shape {tuple(labels.shape)}"
        )
    return images, labels


def predictor_accuracy(
    predictor: nn.Module,
    images: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    samples: int = 32,
    seed: int = 0,
) -> float:
    """The fraction of ``images`` whose most probable class under
    ``predictor.predict(images, samples=samples, generator=...)`` is their label.

    ``images`` and ``labels`` default to the 1,000 held-out images of
    :func:`~ignite_gen.metrics.classifier.held_out_split` (train on its other part). The
    predictor's prior draws come from one CPU generator seeded ``seed``.

    Example:
        >>> round(predictor_accuracy(build_model("cvae-predictor-mlp")), 1)  # untrained: chance
        0.1
    """
    instance(predictor, nn.Module, "predictor", "an nn.Module with predict(images, ...)")
    if not callable(getattr(predictor, "predict", None)):
        raise ArgumentTypeError(
            f"predictor ({type(predictor).__name__}) has no predict(images, samples=..., "
            "generator=...) method, as cvae-predictor-mlp has"
        )
    images, labels = _labelled_images(images, labels)
    samples = integer(samples, "samples")
    generator = torch.Generator().manual_seed(integer(seed, "seed", minimum=None))
    device = module_device(predictor)
    predict = cast(LabelPredictor, predictor).predict
    correct = 0
    with evaluating(predictor):
        for x, y in zip(images.split(_CHUNK), labels.split(_CHUNK), strict=True):
            probabilities = predict(x.to(device), samples=samples, generator=generator)
            correct += int((probabilities.argmax(1).cpu() == y).sum())
    return correct / len(labels)
