"""Fingerprints of training data: a resumed run compares them, rather than the data's
paths, so an identical copy of the data is accepted and a file edited in place is not."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import torch

from ..data import TensorLoader, UnpairedLoader

__all__ = ["fingerprint", "loader_fingerprint"]


def fingerprint(*parts: Any) -> str:
    """The SHA-256 of ``parts``: each tensor's shape, type and bytes, any other part
    as JSON (strings, numbers and lists of them, such as tokenized sentence pairs).

    Example:
        >>> fingerprint(torch.zeros(2, 3))[:12], fingerprint([("猫です。", "It is a cat.")])[:12]
        ('3ec6b6235714', 'a0a0f5843a3b')
    """
    digest = hashlib.sha256()
    for part in parts:
        for chunk in _chunks(part):
            digest.update(chunk)
    return digest.hexdigest()


def _chunks(part: Any) -> Iterator[bytes]:
    if isinstance(part, torch.Tensor):
        # The shape and type too: the same bytes as other images are other data.
        yield f"{tuple(part.shape)} {part.dtype}".encode()
        yield part.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes()
    else:
        yield json.dumps(part, ensure_ascii=False).encode()


def loader_fingerprint(loader: object) -> str | None:
    """The :func:`fingerprint` of the tensors a :class:`TensorLoader` (or both loaders of
    an :class:`UnpairedLoader`) serves; None for any other loader, and for tensors on
    the ``meta`` device, which hold no data.

    Example:
        >>> loader = TensorLoader(images, labels, batch_size=64)
        >>> loader_fingerprint(loader) == fingerprint(images, labels)
        True
    """
    if isinstance(loader, UnpairedLoader):
        u, v = loader_fingerprint(loader.u), loader_fingerprint(loader.v)
        return None if u is None or v is None else fingerprint(u, v)
    if isinstance(loader, TensorLoader) and not any(t.is_meta for t in loader.tensors):
        return fingerprint(*loader.tensors)
    return None
