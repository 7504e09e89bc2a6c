"""Code purity: how well an InfoGAN generator's categorical code alone decides the digit.

The code's values carry no names: training may make value 3 draw sevens. So images are
generated for every value (the rest of the latent random), read by the project's MNIST
classifier, and counted in a confusion matrix of code value x digit; the purity is the
accuracy of the best one-to-one map from values to digits (Hungarian matching), the
unsupervised clustering accuracy of the InfoGAN paper's MNIST experiment.
"""

from __future__ import annotations

from typing import NamedTuple, cast

import torch

# SciPy ships no type stubs; setup.cfg has no mypy section for it.
from torch import nn

from ..argument_checks import described, instance, integer
from ..errors import ArgumentTypeError
from ..models.infogan import CodedGenerator
from ..updaters.base import resolve_device
from .classifier import load_classifier
from .evaluating import evaluating, module_device

__all__ = ["CodePurity", "code_purity"]


class CodePurity(NamedTuple):
    """What :func:`code_purity` measured: ``purity`` in [0, 1], ``mapping`` from each
    matched code value to its digit, and the ``confusion`` counts (code value x digit).

    Example:
        >>> result = code_purity(build_model("infogan-generator"), n_per_code=50)
        >>> result.purity, result.mapping[0]
        (0.1, 3)
    """

    purity: float
    mapping: dict[int, int]
    confusion: torch.Tensor


def code_purity(
    generator: nn.Module,
    classifier: nn.Module | None = None,
    *,
    n_per_code: int = 100,
    seed: int = 0,
    device: str | torch.device | None = None,
    batch_size: int = 500,
) -> CodePurity:
    """Generate ``n_per_code`` images for every value of ``generator``'s categorical code
    (noise and continuous codes from its prior, drawn from a CPU generator seeded
    ``seed``), classify them, and return the accuracy of the best one-to-one map from
    code values to digits, with that map and the confusion counts.

    ``generator`` needs ``n_categories``, ``sample_codes`` and ``latent`` (as
    :class:`~ignite_gen.models.infogan.InfoGANGenerator`); ``classifier`` maps images to
    class logits (default: the project's MNIST classifier, loaded on ``device``).
    ``device`` is where the generator runs (default: where its parameters are). Both
    networks run in eval mode without gradients, ``batch_size`` images at a time, and
    get their modes back. A code with more values than there are classes leaves the
    surplus values unmatched: their images count as wrong.

    Example:
        >>> result = code_purity(gen, n_per_code=100)
        >>> result.purity, result.mapping[0]  # e.g. 0.87 and 6  # doctest: +SKIP
    """
    instance(generator, nn.Module, "generator", "an nn.Module (an InfoGAN generator)")
    missing = [a for a in ("n_categories", "sample_codes", "latent") if not hasattr(generator, a)]
    if missing:
        raise ArgumentTypeError(
            f"generator ({type(generator).__name__}) has no {', '.join(missing)}; code purity "
            "needs a generator with a categorical code, like build_model('infogan-generator')"
        )
    if classifier is not None and not isinstance(classifier, nn.Module):
        raise ArgumentTypeError(
            f"classifier must be an nn.Module or None (the MNIST classifier), got "
            f"{described(classifier)}"
        )
    n_per_code = integer(n_per_code, "n_per_code")
    seed = integer(seed, "seed", minimum=None)
    batch_size = integer(batch_size, "batch_size")
    device = module_device(generator) if device is None else resolve_device(device)
    if classifier is None:
        classifier = load_classifier(device)
    coded = cast(CodedGenerator, generator)

    n_codes = coded.n_categories
    z, _, continuous = coded.sample_codes(
        n_codes * n_per_code, generator=torch.Generator().manual_seed(seed)
    )
    codes = torch.arange(n_codes).repeat_interleave(n_per_code)
    latent = coded.latent(z, codes, continuous)
    predicted, n_classes = [], 0
    with evaluating(generator, classifier):
        for chunk in latent.split(batch_size):
            images = coded(chunk.to(device))
            logits = classifier(images.float().to(module_device(classifier)))
            predicted.append(logits.argmax(1).cpu())
            n_classes = logits.shape[1]
    confusion = torch.zeros(n_codes, n_classes, dtype=torch.int64)
    confusion.index_put_(
        (codes, torch.cat(predicted)), torch.ones(len(codes), dtype=torch.int64), accumulate=True
    )

    # scipy.optimize takes most of a second to import; most runs never get here.
    from scipy.optimize import linear_sum_assignment

    rows, columns = linear_sum_assignment(confusion.numpy(), maximize=True)
    matched = int(confusion[torch.as_tensor(rows), torch.as_tensor(columns)].sum())
    mapping = {int(r): int(c) for r, c in zip(rows, columns, strict=True)}
    return CodePurity(matched / len(codes), mapping, confusion)
