"""Resumable loaders: batches from an epoch plan, handed out at a saved (epoch, position),
each process of a distributed run taking its own share of the batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ignite.distributed as idist
import numpy as np
import torch

from ..argument_checks import counted, described, instance, integer
from ..errors import ArgumentError, ArgumentTypeError

__all__ = ["ResumableLoader", "TensorLoader"]


class ResumableLoader:
    """Base of loaders that resume mid-epoch: ``epoch`` and ``position`` say where the
    next batch comes from, and ``state_dict()`` taken at any point and loaded into a fresh
    loader makes ``iter()`` yield exactly the rest of that epoch, then the next epochs.

    Subclasses give ``num_samples``, ``_plan(epoch)`` (the epoch's order, drawn from a
    generator seeded ``seed + epoch``, never the global RNG) and ``_batch(plan, i)``.

    Under ``torch.distributed`` the batches are sharded: every process computes the same
    plan (same seed), and process ``rank`` of ``num_replicas`` yields the epoch's batches
    ``rank, rank + num_replicas, rank + 2 * num_replicas, ...``, so the processes see
    distinct samples and each yields ``len(loader) = num_batches // num_replicas``
    batches an epoch; the last ``num_batches % num_replicas`` batches of an epoch are
    skipped, so that no process waits for a step the others do not take. Both default
    to ``ignite.distributed``'s world size and rank when the loader is built. The
    ``position`` is the same in every process, so the state of one restores them all.

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

    @property
    def num_samples(self) -> int:
        """How many samples an epoch covers."""
        raise NotImplementedError

    def __init__(
        self,
        batch_size: int,
        drop_last: bool = False,
        seed: int = 0,
        num_replicas: int | None = None,
        rank: int | None = None,
    ) -> None:
        self.batch_size = integer(batch_size, "batch_size")
        self.drop_last = instance(drop_last, bool, "drop_last", "True or False")
        self.seed = integer(seed, "seed", minimum=None)
        #: Processes that share the batches, and which of them this one is.
        self.num_replicas = integer(
            idist.get_world_size() if num_replicas is None else num_replicas, "num_replicas"
        )
        self.rank = integer(idist.get_rank() if rank is None else rank, "rank", minimum=0)
        if self.rank >= self.num_replicas:
            raise ArgumentError(
                f"rank {self.rank} is not below num_replicas {self.num_replicas}; "
                f"number the processes 0 to {self.num_replicas - 1}"
            )
        #: Epochs started so far, counting the current one once its first batch is out.
        self.epoch = 0
        #: Batches already handed out in the current epoch.
        self.position = 0

    @property
    def num_batches(self) -> int:
        """Batches of an epoch over all processes (``len(loader)`` is this process's share)."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return full if self.drop_last or not rest else full + 1

    def __len__(self) -> int:
        return self.num_batches // self.num_replicas

    def _check_has_batches(self) -> None:
        """Refuse data that gives no batch per epoch (subclasses call it once built)."""
        if len(self) == 0:
            if self.num_batches:
                reason = (
                    f"its {self.num_batches} batches cannot give each of the "
                    f"{self.num_replicas} processes one; lower batch_size or use fewer processes"
                )
            elif self.num_samples:
                reason = (
                    f"batch_size {self.batch_size} is larger than the {self.num_samples} "
                    "samples and drop_last=True drops that incomplete batch; lower batch_size "
                    "or pass drop_last=False"
                )
            else:
                reason = "there are no samples"
            raise ArgumentError(f"{type(self).__name__} would yield no batch per epoch: {reason}")

    def _plan(self, epoch: int) -> Any:
        raise NotImplementedError

    def _batch(self, plan: Any, index: int) -> Any:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        plan = self._plan(self.epoch)
        length = len(self)
        while self.position < length:
            batch = self._batch(plan, self.rank + self.position * self.num_replicas)
            self.position += 1
            if self.position == length:
                # The state after the last batch already points at the next epoch.
                self.epoch += 1
                self.position = 0
                yield batch
                return
            yield batch

    def state_dict(self) -> dict[str, int]:
        """``{"epoch", "position", "seed", "world_size"}``: where the next batch comes
        from, and how many processes shared the batches."""
        return {
            "epoch": self.epoch,
            "position": self.position,
            "seed": self.seed,
            "world_size": self.num_replicas,
        }

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continue from :meth:`state_dict`; a state of another number of processes, or
        a position past this loader's batches per epoch (another data set or batch size),
        raises :class:`ArgumentError`."""
        epoch, position = (
            integer(state.get(key), f"state[{key!r}]", minimum=0) for key in ("epoch", "position")
        )
        seed = integer(state.get("seed"), "state['seed']", minimum=None)
        # States from before sharding have no world size: one process wrote them.
        world_size = integer(state.get("world_size", 1), "state['world_size']")
        if world_size != self.num_replicas:
            raise ArgumentError(
                f"state['world_size']: saved by "
                f"{counted(world_size, 'process', 'processes')}, this loader is shared by "
                f"{self.num_replicas}; resume with num_replicas={world_size}"
            )
        if position >= len(self):
            raise ArgumentError(
                f"state['position'] {position} is past this {type(self).__name__}'s "
                f"{len(self)} batches per epoch; resume with the data and batch size it was "
                "saved with"
            )
        self.epoch, self.position, self.seed = epoch, position, seed


class TensorLoader(ResumableLoader):
    """Batches of equally long tensors, shuffled per epoch, resumable mid-epoch.

    Epoch ``e`` uses ``randperm(n)`` from its own generator seeded ``seed + e``, never the
    global RNG, so sampling noise in a model does not change the data order. The loader
    counts batches it has handed out; ``state_dict()`` taken at any iteration and loaded
    into a fresh loader makes ``iter()`` yield exactly the rest of that epoch, then the
    following epochs. With ``device``, the tensors move there once and every batch is
    cut on the device. ``num_replicas`` and ``rank`` shard the batches among processes
    (see :class:`ResumableLoader`; by default ``ignite.distributed``'s).

    Pass each tensor as its own argument (``TensorLoader(x, y, ...)``, not a tuple).
    NumPy arrays are accepted and converted with ``torch.as_tensor`` (sharing memory
    where the dtype allows); anything else, lists included, raises
    :class:`~ignite_gen.errors.ArgumentTypeError`. So does a batch size that leaves no
    batch per epoch (larger than the data with ``drop_last=True``).

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
        num_replicas: int | None = None,
        rank: int | None = None,
    ) -> None:
        if not tensors:
            raise ArgumentError(
                "TensorLoader needs at least one tensor, e.g. TensorLoader(x, y, ...)"
            )
        checked = [_as_tensor(t, f"tensors[{i}]") for i, t in enumerate(tensors)]
        lengths = {len(t) for t in checked}
        if len(lengths) != 1:
            raise ArgumentError(f"tensors differ in length: {sorted(lengths)}")
        devices = {t.device for t in checked}
        if device is None and len(devices) > 1:
            raise ArgumentError(
                f"tensors are on different devices ({', '.join(sorted(map(str, devices)))}); "
                "pass device= to move them to one"
            )
        super().__init__(batch_size, drop_last, seed, num_replicas, rank)
        self.tensors = tuple(t.to(device) if device is not None else t for t in checked)
        self.shuffle = instance(shuffle, bool, "shuffle", "True or False")
        self._check_has_batches()

    @property
    def num_samples(self) -> int:
        return len(self.tensors[0])

    def _plan(self, epoch: int) -> torch.Tensor:
        if not self.shuffle:
            order = torch.arange(self.num_samples)
        else:
            generator = torch.Generator().manual_seed(self.seed + epoch)
            order = torch.randperm(self.num_samples, generator=generator)
        # Non-blocking: a blocking copy to a GPU would make the host wait once per epoch.
        return order.to(self.tensors[0].device, non_blocking=True)

    def _batch(self, plan: torch.Tensor, index: int) -> Any:
        rows = plan[index * self.batch_size : (index + 1) * self.batch_size]
        batch = tuple(t[rows] for t in self.tensors)
        return batch if len(batch) > 1 else batch[0]


def _as_tensor(data: Any, name: str) -> torch.Tensor:
    """``data`` as a tensor with a first (sample) dimension; NumPy arrays are converted."""
    if isinstance(data, np.ndarray):
        try:
            data = torch.as_tensor(np.ascontiguousarray(data))
        except TypeError:
            raise ArgumentTypeError(
                f"{name} is a NumPy array of dtype {data.dtype}, which has no tensor type; "
                "convert it to numbers first"
            ) from None
    if isinstance(data, (tuple, list)):
        hint = (
            "pass the tensors as separate arguments, TensorLoader(x, y, batch_size=...)"
            if data and all(isinstance(t, (torch.Tensor, np.ndarray)) for t in data)
            else "pass a tensor or a NumPy array (e.g. torch.tensor(values))"
        )
        raise ArgumentTypeError(f"{name} is a {type(data).__name__}, not a tensor: {hint}")
    if not isinstance(data, torch.Tensor):
        raise ArgumentTypeError(f"{name} must be a tensor or a NumPy array, got {described(data)}")
    if data.ndim == 0:
        raise ArgumentError(f"{name} is 0-d; its first dimension must index the samples")
    return data
