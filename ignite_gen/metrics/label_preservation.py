"""Label preservation of an image-to-image translator (DualGAN's use case): translate
labelled digits into the other domain and ask that domain's classifier which digit
came out."""

from __future__ import annotations

import torch
from torch import nn

from ..argument_checks import instance, integer
from .evaluating import check_labelled_images, evaluating, module_device

__all__ = ["label_preservation"]


def label_preservation(
    translator: nn.Module,
    classifier: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    device: str | torch.device | None = None,
    batch_size: int = 500,
) -> float:
    """The fraction of ``images`` whose translation ``classifier`` reads as their own
    ``labels``: how well ``translator`` keeps the digit while it changes the domain.

    ``classifier`` judges the target domain (for MNIST to 8x8 digits, the 8x8 digits'
    classifier: :func:`~ignite_gen.metrics.classifier.load_classifier` with
    ``domain="digits8x8"``); ``images`` are source-domain images the translator did not
    train on, in [-1, 1]. Both networks run in eval mode under ``torch.no_grad()``, in
    batches of ``batch_size`` on ``device`` (default: the translator's), and get their
    modes back. Chance is about 1/10; an identity "translator" scores the target
    classifier's accuracy on the source domain.

    Example:
        >>> _, _, held_x, held_y = held_out_split("mnist")
        >>> classifier = load_classifier(domain="digits8x8")
        >>> label_preservation(gen_uv, classifier, held_x, held_y)  # untrained: chance
        0.1
    """
    instance(translator, nn.Module, "translator", "an nn.Module: images -> images")
    instance(classifier, nn.Module, "classifier", "an nn.Module: images -> logits")
    check_labelled_images(images, labels)
    batch_size = integer(batch_size, "batch_size")
    if device is None:
        device = module_device(translator)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    with evaluating(translator, classifier):
        for x, y in zip(images.split(batch_size), labels.split(batch_size), strict=True):
            read = classifier(translator(x.to(device))).argmax(1)
            correct += (read == y.to(device)).sum()
    return int(correct) / len(images)
