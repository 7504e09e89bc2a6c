"""Resumable loaders: batches from an epoch plan, handed out at a saved (epoch, position)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

__all__ = ["ResumableLoader", "TensorLoader"]


class ResumableLoader:
    """Base of loaders that resume mid-epoch: ``epoch`` and ``position`` say where the
    next batch comes from, and ``state_dict()`` taken at any point and loaded into a fresh
    loader makes ``iter()`` yield exactly the rest of that epoch, then the next epochs.

    Subclasses give ``num_samples``, ``_plan(epoch)`` (the epoch's order, drawn from a
    generator seeded ``seed + epoch``, never the global RNG) and ``_batch(plan, i)``.

    Example:
        >>> class Numbers(ResumableLoader):
        ...     num_samples = 10
        ...     def _plan(self, epoch):
        ...         return list(range(10))
        ...     def _batch(self, plan, i):
        ...         return plan[i * self.batch_size : (i + 1) * self.batch_size]
        >>> next(iter(Numbers(batch_size=4)))
        [0, 1, 2, 3]
    """

    num_samples: int

    def __init__(self, batch_size: int, drop_last: bool = False, seed: int = 0) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.seed = seed
        #: Epochs started so far, counting the current one once its first batch is out.
        self.epoch = 0
        #: Batches already handed out in the current epoch.
        self.position = 0

    def __len__(self) -> int:
        full, rest = divmod(self.num_samples, self.batch_size)
        return full if self.drop_last or not rest else full + 1

    def _plan(self, epoch: int) -> Any:
        raise NotImplementedError

    def _batch(self, plan: Any, index: int) -> Any:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        plan = self._plan(self.epoch)
        length = len(self)
        while self.position < length:
            batch = self._batch(plan, self.position)
            self.position += 1
            if self.position == length:
                # The state after the last batch already points at the next epoch.
                self.epoch += 1
                self.position = 0
                yield batch
                return
            yield batch

    def state_dict(self) -> dict[str, int]:
        """``{"epoch", "position", "seed"}``: where the next batch comes from."""
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continue from :meth:`state_dict`."""
        self.epoch, self.position, self.seed = state["epoch"], state["position"], state["seed"]


class TensorLoader(ResumableLoader):
    """Batches of equally long tensors, shuffled per epoch, resumable mid-epoch.

    Epoch ``e`` uses ``randperm(n)`` from its own generator seeded ``seed + e``, never the
    global RNG, so sampling noise in a model does not change the data order. The loader
    counts batches it has handed out; ``state_dict()`` taken at any iteration and loaded
    into a fresh loader makes ``iter()`` yield exactly the rest of that epoch, then the
    following epochs. With ``device``, the tensors move there once and every batch is
    cut on the device.

    Example:
        >>> loader = TensorLoader(images, labels, batch_size=64, drop_last=True, seed=0)
        >>> images_batch, labels_batch = next(iter(loader))
    """

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
        device: torch.device | str | None = None,
    ) -> None:
        if not tensors:
            raise ValueError("TensorLoader needs at least one tensor")
        lengths = {len(t) for t in tensors}
        if len(lengths) != 1:
            raise ValueError(f"tensors differ in length: {sorted(lengths)}")
        super().__init__(batch_size, drop_last, seed)
        self.tensors = tuple(t.to(device) if device is not None else t for t in tensors)
        self.shuffle = shuffle

    @property
    def num_samples(self) -> int:
        return len(self.tensors[0])

    def _plan(self, epoch: int) -> torch.Tensor:
        if not self.shuffle:
            order = torch.arange(self.num_samples)
        else:
            generator = torch.Generator().manual_seed(self.seed + epoch)
            order = torch.randperm(self.num_samples, generator=generator)
        return order.to(self.tensors[0].device)

    def _batch(self, plan: torch.Tensor, index: int) -> Any:
        rows = plan[index * self.batch_size : (index + 1) * self.batch_size]
        batch = tuple(t[rows] for t in self.tensors)
        return batch if len(batch) > 1 else batch[0]
