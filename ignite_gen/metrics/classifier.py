"""The digit classifiers behind the sample-quality metrics, trained once per machine:
one for MNIST and one, by the same recipe, for scikit-learn's 8x8 digits (DualGAN's
second domain, where it reads translated images).

No pretrained network can be downloaded here, so the project trains its own: a
two-convolution CNN fitted on 4,000 of the bundled 5,000 MNIST images (the first 400
of every digit; the file is sorted by class, so "the first 4,000" would hold out only
eights and nines) and tested on the other 1,000 (the last 100 of every digit). The
recipe is fixed (seed 0, 8 epochs, batch 64, one-cycle Adam peaking at 2e-3, one CPU
thread, about 20 s): the same weights for any thread count, not for any CPU (the held-out
accuracy and the FID floor differ slightly between CPU models). The
8x8 digits (1,797 scans, 174 to 183 per digit) are split the same way, the first 150 of
every digit for training and the rest (297) held out, and trained for more epochs on
randomly distorted copies (:func:`~ignite_gen.metrics.augmentation.random_affine`), so
that it reads digits of other writers, such as translated MNIST digits (:data:`DOMAINS`).

The weights are cached in ``$IGNITE_GEN_CACHE`` or ``~/.cache/ignite-gen/`` under a
name that carries :data:`RECIPE`, so changing the recipe retrains. A corrupt or
foreign cache file is silently replaced. Metrics are comparable only between runs
that used the same cache file; copy it to compare numbers across machines.
"""

from __future__ import annotations

import functools
import os
import pickle
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..argument_checks import choice
from ..data.digits import load_sklearn_digits
from ..data.mnist import load_mnist_subset, to_unit_range
from ..snapshot import atomic_save
from .augmentation import random_affine

__all__ = [
    "DOMAINS",
    "RECIPE",
    "DigitDomain",
    "MnistClassifier",
    "cache_path",
    "classifier_accuracy",
    "held_out_split",
    "load_classifier",
    "train_classifier",
]

#: Version tag of the MNIST classifier's recipe; part of its cache file's name.
RECIPE = "mnist-cnn-v1"
_BATCH = 64
_LR = 2e-3
_SEED = 0
_FORMAT = "ignite-gen-classifier/1"


class DigitDomain(NamedTuple):
    """A set of labelled 28x28 digits with a classifier: where the images come from,
    how many per digit train it (the rest are held out), for how many epochs, the
    recipe tag that names its cache file, and whether it trains on distorted copies.

    Example:
        >>> DOMAINS["digits8x8"].per_class_train
        150
    """

    name: str
    load: Callable[[], tuple[torch.Tensor, torch.Tensor]]
    per_class_train: int
    epochs: int
    recipe: str
    augment: bool = False


#: The digit domains by name: ``"mnist"`` (the bundled subset, 500 per digit) and
#: ``"digits8x8"`` (scikit-learn's scans). Their 1,500 training scans alone teach a few
#: writers' habits; 40 epochs of random affine copies teach digits, so the judge also
#: reads MNIST's.
#: MNIST's stays as it was: every FID in the project rests on it.
DOMAINS: dict[str, DigitDomain] = {
    "mnist": DigitDomain("MNIST", load_mnist_subset, 400, 8, RECIPE),
    "digits8x8": DigitDomain(
        "8x8 digits", load_sklearn_digits, 150, 40, "digits8x8-cnn-v2", augment=True
    ),
}


class MnistClassifier(nn.Module):
    """Two 3x3 convolutions (32, 64 channels, each with 2x2 max-pooling) and an MLP head.

    Inputs are (N, 1, 28, 28) in [-1, 1]; :meth:`features` gives the 128-d penultimate
    pre-activations (FID's features) and ``forward`` the 10 class logits.

    Example:
        >>> model = MnistClassifier()
        >>> model(torch.zeros(2, 1, 28, 28)).shape, model.features(torch.zeros(2, 1, 28, 28)).shape
        (torch.Size([2, 10]), torch.Size([2, 128]))
    """

    num_features = 128

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 7 * 7, self.num_features)
        self.head = nn.Linear(self.num_features, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer before its ReLU, shape (N, 128).

        Before the ReLU because units that never fire would give FID a singular
        covariance (scipy's ``sqrtm`` then warns and loses accuracy).
        """
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        features: torch.Tensor = self.fc(x.flatten(1))
        return features

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """Class logits from :meth:`features` (so one pass yields both)."""
        logits: torch.Tensor = self.head(F.relu(features))
        return logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(self.features(x))


def held_out_split(
    domain: str = "mnist",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(train_x, train_y, held_x, held_y)`` of a :data:`DOMAINS` entry, split per digit:
    MNIST 4,000 / 1,000 (400 and 100 of each digit), the 8x8 digits 1,500 / 297.

    Images are float32 in [-1, 1]; both parts hold every digit.

    Example:
        >>> train_x, train_y, held_x, held_y = held_out_split()
        >>> len(train_x), len(held_x)
        (4000, 1000)
    """
    spec = DOMAINS[choice(domain, "domain", DOMAINS)]
    images, labels = spec.load()
    rank = torch.empty_like(labels)
    for digit in range(10):
        where = (labels == digit).nonzero().squeeze(1)
        rank[where] = torch.arange(len(where))
    train = rank < spec.per_class_train
    x = to_unit_range(images)
    return x[train], labels[train], x[~train], labels[~train]


def _accuracy(model: MnistClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).double().mean())


def train_classifier(domain: str = "mnist") -> tuple[MnistClassifier, float]:
    """Train ``domain``'s classifier by the fixed recipe on the CPU; returns it and its
    held-out accuracy.

    The global RNGs are left as they were (a forked RNG seeds the initialisation and a
    private generator shuffles), so training it mid-run cannot change a GAN's training.

    Example:
        >>> model, accuracy = train_classifier()  # about 20 s  # doctest: +SKIP
    """
    train_x, train_y, held_x, held_y = held_out_split(domain)
    spec = DOMAINS[domain]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_SEED)
        model = MnistClassifier()
    shuffle = torch.Generator().manual_seed(_SEED)
    optimizer = torch.optim.Adam(model.parameters(), lr=_LR)
    steps = spec.epochs * -(-len(train_x) // _BATCH)
    # One-cycle Adam: the held-out accuracy depends less on the seed than with a constant
    # learning rate.
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=_LR, total_steps=steps)
    threads = torch.get_num_threads()
    # CPU kernels sum in a thread-count-dependent order (weights differed by 0.04 between
    # 1 and 2 threads); one thread makes the weights the same on every machine's count.
    torch.set_num_threads(1)
    try:
        model.train()
        for _ in range(spec.epochs):
            order = torch.randperm(len(train_x), generator=shuffle)
            for start in range(0, len(order), _BATCH):
                index = order[start : start + _BATCH]
                x = random_affine(train_x[index], shuffle) if spec.augment else train_x[index]
                loss = F.cross_entropy(model(x), train_y[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
        model.eval()
        return model, _accuracy(model, held_x, held_y)
    finally:
        torch.set_num_threads(threads)


def cache_path(domain: str = "mnist") -> Path:
    """Where ``domain``'s trained weights live: ``$IGNITE_GEN_CACHE`` or
    ``~/.cache/ignite-gen/``, under the recipe's name.

    Example:
        >>> cache_path().name, cache_path("digits8x8").name
        ('mnist-cnn-v1.pt', 'digits8x8-cnn-v2.pt')
    """
    root = os.environ.get("IGNITE_GEN_CACHE") or Path.home() / ".cache" / "ignite-gen"
    recipe = DOMAINS[choice(domain, "domain", DOMAINS)].recipe
    return Path(root).expanduser() / f"{recipe}.pt"


def _read_cache(path: Path) -> dict[str, Any] | None:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (
        OSError,
        RuntimeError,
        EOFError,
        pickle.UnpicklingError,
        zipfile.BadZipFile,
        ValueError,
    ):
        return None
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        return None
    return payload


@functools.lru_cache(maxsize=4)
def _cached_payload(path: Path, domain: str = "mnist") -> dict[str, Any]:
    # One disk read per process and cache file: the metric extension asks every epoch.
    payload = _read_cache(path) if path.is_file() else None
    if payload is not None:
        try:
            _build(payload["state_dict"])
            return payload
        except (KeyError, RuntimeError):  # wrong keys or shapes: a foreign or stale file
            pass
    print(
        f"ignite-gen: training the {DOMAINS[domain].name} metric classifier once (under a "
        f"minute); cached in {path}",
        file=sys.stderr,
        flush=True,
    )
    start = time.perf_counter()
    model, accuracy = train_classifier(domain)
    payload = {
        "format": _FORMAT,
        "recipe": DOMAINS[domain].recipe,
        "state_dict": model.state_dict(),
        "accuracy": accuracy,
        "train_seconds": time.perf_counter() - start,
    }
    atomic_save(payload, path)
    return payload


def _build(state_dict: dict[str, torch.Tensor]) -> MnistClassifier:
    # Initialised under a forked RNG: building it must not advance the training's RNG.
    with torch.random.fork_rng(devices=[]):
        model = MnistClassifier()
    model.load_state_dict(state_dict)
    return model.eval()


def load_classifier(device: str | torch.device = "cpu", domain: str = "mnist") -> MnistClassifier:
    """``domain``'s trained classifier (:data:`DOMAINS`) on ``device``, in eval mode
    (trained and cached if needed).

    Each call returns a fresh module, so a caller that changes it affects no one else.

    Example:
        >>> classifier = load_classifier()
        >>> classifier(images[:8]).argmax(1)  # predicted digits of (N, 1, 28, 28) images
        tensor([0, 0, 0, 0, 0, 0, 0, 0])
    """
    payload = _cached_payload(cache_path(domain), domain)
    model = _build(payload["state_dict"])
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.to(device)


def classifier_accuracy(domain: str = "mnist") -> float:
    """Held-out accuracy (on the images not trained on) of ``domain``'s cached classifier.

    Example:
        >>> round(classifier_accuracy(), 2)
        0.97
    """
    return float(_cached_payload(cache_path(domain), domain)["accuracy"])
