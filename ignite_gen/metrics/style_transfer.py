"""Style-transfer accuracy of a conditional encoder-generator pair (CVAE-GAN's use case):
keep an image's style, change its label, and ask a classifier which digit came out."""

from __future__ import annotations

import torch
from torch import nn

from ..argument_checks import described, instance, integer
from ..errors import ArgumentError
from .evaluating import check_labelled_images, evaluating, module_device

__all__ = ["style_transfer_accuracy", "transfer_labels"]


def transfer_labels(labels: torch.Tensor, n_classes: int = 10, seed: int = 0) -> torch.Tensor:
    """A new label for each of ``labels``, never its own: ``(y + k) mod n_classes`` with
    ``k`` uniform in ``1 .. n_classes - 1`` from a CPU generator seeded ``seed``, so every
    other label is equally likely and the draw is the same on every machine.

    Example:
        >>> new = transfer_labels(torch.tensor([0, 1, 2, 3]), seed=0)
        >>> bool((new != torch.tensor([0, 1, 2, 3])).all())
        True
    """
    generator = torch.Generator().manual_seed(seed)
    shifts = torch.randint(1, n_classes, (len(labels),), generator=generator)
    return (labels.cpu() + shifts) % n_classes


def style_transfer_accuracy(
    encoder: nn.Module,
    generator: nn.Module,
    classifier: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    seed: int = 0,
    device: str | torch.device | None = None,
    batch_size: int = 500,
) -> float:
    """How often ``classifier`` reads the new label in ``generator(mu, new_label)``, where
    ``mu`` is the posterior mean ``encoder(image, label)[0]`` of each real image and
    ``new_label`` comes from :func:`transfer_labels` (``seed``).

    ``classifier`` is the judge, normally the project's MNIST classifier
    (:func:`~ignite_gen.metrics.classifier.load_classifier`), not a network of the model
    being scored. The three networks run in eval mode under ``torch.no_grad()``, in
    batches of ``batch_size`` on ``device`` (default: the generator's), and get their
    train/eval modes back afterwards. Chance is about 1/n_classes; a generator that
    ignores its label and copies the image's digit scores 0.

    Example:
        >>> _, _, held_x, held_y = held_out_split()
        >>> style_transfer_accuracy(enc, gen, load_classifier(), held_x, held_y)  # doctest: +SKIP
        0.93
    """
    modules = (encoder, generator, classifier)
    for name, module in zip(("encoder", "generator", "classifier"), modules, strict=True):
        instance(module, nn.Module, name, "an nn.Module")
    check_labelled_images(images, labels)
    batch_size = integer(batch_size, "batch_size")
    n_classes = getattr(generator, "n_classes", None)
    if not isinstance(n_classes, int):
        raise ArgumentError(
            f"generator needs an int n_classes attribute, got {described(n_classes)}"
        )
    if device is None:
        device = module_device(generator)
    targets = transfer_labels(labels, n_classes, seed)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    with evaluating(*modules):
        batches = (t.split(batch_size) for t in (images, labels, targets))
        for x, y, target in zip(*batches, strict=True):
            target = target.to(device)
            mu, _ = encoder(x.to(device, torch.float32), y.to(device))
            read = classifier(generator(mu, target)).argmax(1)
            correct += (read == target).sum()
    return int(correct) / len(images)
