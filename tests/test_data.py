"""Data: the bundled subset, full MNIST from a torchvision directory, the resumable loader."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch

from ignite_gen import UserError
from ignite_gen.data import TensorLoader, load_mnist_dir, load_mnist_subset, to_unit_range


def test_bundled_subset_is_real_mnist():
    images, labels = load_mnist_subset()
    assert images.shape == (5000, 1, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (5000,) and sorted(labels.unique().tolist()) == list(range(10))
    # Real digits: dark background, a few hundred bright pixels each.
    assert images[:, :, 0, :].float().mean() < 1
    assert 50 < (images > 128).sum(dim=(1, 2, 3)).float().mean() < 250


def test_to_unit_range_matches_to_tensor_and_normalize():
    pixels = torch.arange(256, dtype=torch.uint8)
    expected = (pixels.float() / 255 - 0.5) / 0.5
    torch.testing.assert_close(to_unit_range(pixels), expected)


def _write_idx(path, array: np.ndarray, magic: int) -> None:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_directory_through_torchvision(tmp_path):
    images, labels = load_mnist_subset()
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, rows in (("train", slice(0, 300)), ("t10k", slice(300, 400))):
        _write_idx(raw / f"{split}-images-idx3-ubyte", images[rows, 0].numpy(), 0x803)
        _write_idx(raw / f"{split}-labels-idx1-ubyte", labels[rows].numpy(), 0x801)
    train_images, train_labels = load_mnist_dir(tmp_path)
    assert torch.equal(train_images, images[:300]) and torch.equal(train_labels, labels[:300])
    test_images, _ = load_mnist_dir(tmp_path, train=False)
    assert torch.equal(test_images, images[300:400])


def test_mnist_directory_errors_name_the_argument(tmp_path):
    with pytest.raises(UserError, match=r"root=.*no such directory"):
        load_mnist_dir(tmp_path / "absent")
    with pytest.raises(UserError, match=r"root=.*no MNIST files found"):
        load_mnist_dir(tmp_path)


def _epoch(loader: TensorLoader) -> list[list[int]]:
    return [batch.tolist() for batch in loader]


def test_loader_shuffles_each_epoch_reproducibly():
    data = torch.arange(10)
    loader = TensorLoader(data, batch_size=3, seed=5)
    assert len(loader) == 4
    first, second = _epoch(loader), _epoch(loader)
    for epoch in (first, second):
        assert sorted(i for batch in epoch for i in batch) == list(range(10))
    assert first != second
    again = TensorLoader(data, batch_size=3, seed=5)
    assert _epoch(again) == first and _epoch(again) == second
    assert len(TensorLoader(data, batch_size=3, drop_last=True)) == 3


def test_loader_resumes_mid_epoch_exactly():
    images, labels = torch.arange(20).view(20, 1), torch.arange(20) * 10
    reference = TensorLoader(images, labels, batch_size=4, seed=1)
    expected = [[b[1].tolist() for b in reference] for _ in range(3)]
    loader = TensorLoader(images, labels, batch_size=4, seed=1)
    list(loader)
    iterator = iter(loader)
    next(iterator), next(iterator)
    resumed = TensorLoader(images, labels, batch_size=4, seed=999)
    resumed.load_state_dict(loader.state_dict())
    assert [b[1].tolist() for b in resumed] == expected[1][2:]
    assert [b[1].tolist() for b in resumed] == expected[2]


def test_loader_rejects_mismatched_tensors():
    with pytest.raises(ValueError, match="differ in length"):
        TensorLoader(torch.zeros(3), torch.zeros(4), batch_size=2)


def test_loader_takes_numpy_arrays_as_tensors():
    images, labels = np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10)
    loader = TensorLoader(images, labels, batch_size=4, shuffle=False)
    x, y = next(iter(loader))
    assert isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)
    assert torch.equal(x, torch.from_numpy(images[:4])) and y.tolist() == [0, 1, 2, 3]


def test_to_unit_range_never_changes_its_input():
    pixels = torch.tensor([0.0, 127.5, 255.0])
    assert to_unit_range(pixels).tolist() == [-1.0, 0.0, 1.0]
    assert pixels.tolist() == [0.0, 127.5, 255.0]
    as_int = torch.tensor([0, 255])
    assert to_unit_range(as_int).tolist() == [-1.0, 1.0] and as_int.tolist() == [0, 255]
