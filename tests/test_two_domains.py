"""The second digit domain (scikit-learn's 8x8 digits at 28x28) and the loader that
draws unpaired batches from two domains and resumes both exactly."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import torch

from ignite_gen import UserError
from ignite_gen.data import TensorLoader, UnpairedLoader, load_mnist_subset, load_sklearn_digits


def test_sklearn_digits_look_like_mnist_frames():
    images, labels = load_sklearn_digits()
    assert images.shape == (1797, 1, 28, 28) and images.dtype == torch.uint8
    assert labels.tolist()[:10] == list(range(10)) and set(labels.tolist()) == set(range(10))
    # The 4-pixel margin of MNIST's frame stays empty; the ink fills the 20x20 box.
    assert images[..., :4, :].max() == 0 and images[..., -4:, :].max() == 0
    assert images[..., 4:24, 4:24].max() == 255
    # Not MNIST: no image equals one of the bundled subset.
    mnist = {bytes(img.numpy().tobytes()) for img in load_mnist_subset()[0][:500]}
    assert not any(bytes(img.numpy().tobytes()) in mnist for img in images)
    images[0] = 0
    assert load_sklearn_digits()[0][0].max() > 0, "the cached copy must not change"


def numbered_loaders(seed_u: int = 0, seed_v: int = 7) -> UnpairedLoader:
    u = TensorLoader(torch.arange(20), batch_size=4, drop_last=True, seed=seed_u)
    v = TensorLoader(torch.arange(100, 107), batch_size=3, drop_last=True, seed=seed_v)
    return UnpairedLoader(u, v)


def take(loader: UnpairedLoader, epochs: int) -> list[tuple[list[int], list[int]]]:
    return [(a.tolist(), b.tolist()) for _ in range(epochs) for a, b in loader]


def test_each_domain_keeps_its_own_shuffle_and_epochs():
    batches = take(numbered_loaders(), 3)
    assert len(batches) == 15  # 3 epochs of u's 5 batches
    us = [x for a, _ in batches[:5] for x in a]
    assert sorted(us) == list(range(20))
    vs = [b for _, b in batches]
    # v has 2 batches per epoch: each pair of its batches is one pass without repeats.
    for first, second in zip(vs[0::2], vs[1::2], strict=False):
        assert not set(first) & set(second)
    assert vs[0] != vs[2] or vs[1] != vs[3], "v should reshuffle per its own epoch"


def stream(loader: UnpairedLoader) -> Iterator[tuple[list[int], list[int]]]:
    while True:
        for a, b in loader:
            yield a.tolist(), b.tolist()


@pytest.mark.parametrize("stop", [1, 2, 5, 6, 9])
def test_resume_restores_both_positions(stop):
    expected = list(itertools.islice(stream(numbered_loaders()), 15))
    first = numbered_loaders()
    seen = list(itertools.islice(stream(first), stop))
    resumed = numbered_loaders()
    resumed.load_state_dict(first.state_dict())
    assert seen + list(itertools.islice(stream(resumed), 15 - stop)) == expected


def test_bad_arguments_name_themselves():
    u = TensorLoader(torch.arange(8), batch_size=4)
    with pytest.raises(UserError, match="v must be a ResumableLoader"):
        UnpairedLoader(u, [torch.zeros(4)])
    with pytest.raises(UserError, match="same loader"):
        UnpairedLoader(u, u)
    with pytest.raises(UserError, match="keys 'u' and 'v'"):
        UnpairedLoader(u, TensorLoader(torch.arange(8), batch_size=4)).load_state_dict({"epoch": 0})
