"""BucketLoader: padded batches of sentences of similar length, resumable mid-epoch."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .loader import ResumableLoader
from .vocab import PAD

__all__ = ["BucketLoader"]

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class BucketLoader(ResumableLoader):
    """Batches ``(src (B, S), src_lengths (B,), tgt (B, T))`` of encoded pairs, padded with 0;
    with ``device``, ``src`` and ``tgt`` are moved there and ``src_lengths`` stays on the CPU,
    where :meth:`Seq2Seq.encode <ignite_gen.models.Seq2Seq.encode>` packs the sequences.
    For a GPU the batches are padded in pinned memory, so their copies never make the host
    wait for the device.

    Each epoch ``e`` draws everything from its own generator seeded ``seed + e``: the pairs
    are shuffled, cut into pools of ``pool`` batches, each pool sorted by target then source
    length and cut into batches, and the batch order is shuffled. Within a batch the rows
    run from the longest target to the shortest. Targets come first because the decoder,
    with its vocabulary-wide output layer, costs far more per padded position than the
    encoder, which packs its sequences (benchmarks/RESULTS.md has the padding it leaves
    on the Tatoeba pairs). Like :class:`TensorLoader`,
    ``state_dict()`` taken at any point and loaded into a fresh loader makes ``iter()``
    yield exactly the rest of that epoch, then the following epochs. Under
    ``torch.distributed`` each process yields its share of every epoch's batches
    (``num_replicas`` and ``rank``, as :class:`ResumableLoader` shards them);
    ``num_replicas=1, rank=0`` makes every process yield all of them, as a
    validation set that each process scores whole wants.

    Example:
        >>> loader = BucketLoader([([5, 6, 2], [7, 2]), ([5, 2], [8, 9, 2])], batch_size=2)
        >>> src, src_lengths, tgt = next(iter(loader))
    """

    def __init__(
        self,
        pairs: Sequence[tuple[Sequence[int], Sequence[int]]],
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
        pool: int = 50,
        device: torch.device | str | None = None,
        num_replicas: int | None = None,
        rank: int | None = None,
    ) -> None:
        if pool < 1:
            raise ValueError(f"pool must be at least 1, got {pool}")
        if not pairs:
            raise ValueError("BucketLoader needs at least one pair")
        if any(len(src) == 0 for src, _ in pairs):
            raise ValueError("every source sentence needs at least one token")
        super().__init__(batch_size, drop_last, seed, num_replicas, rank)
        self.pairs = [(list(src), list(tgt)) for src, tgt in pairs]
        self.shuffle = shuffle
        self.pool = pool
        self.device = device
        self._pinned = device is not None and torch.device(device).type == "cuda"

    @property
    def num_samples(self) -> int:
        return len(self.pairs)

    def batch_indices(self, epoch: int = 0) -> list[list[int]]:
        """The indices into :attr:`pairs` of epoch ``epoch``'s batches, in the order the
        loader hands them out and, within a batch, in row order. Without ``shuffle`` every
        epoch has the same batches, so an evaluator can pair each output row with data
        kept beside the loader (such as untouched reference sentences)."""
        return self._plan(epoch)

    def _plan(self, epoch: int) -> list[list[int]]:
        """The index lists of epoch ``epoch``'s batches, in the order they are handed out."""
        n = len(self.pairs)
        generator = torch.Generator().manual_seed(self.seed + epoch)
        order = torch.randperm(n, generator=generator).tolist() if self.shuffle else range(n)
        order = list(order)
        if self.drop_last:
            # Every full batch, not len(self)'s worth: that is one process's share.
            order = order[: n // self.batch_size * self.batch_size]
        pool_size = self.pool * self.batch_size
        batches = []
        for start in range(0, len(order), pool_size):
            chunk = sorted(
                order[start : start + pool_size],
                key=lambda i: (len(self.pairs[i][1]), len(self.pairs[i][0]), i),
            )
            for b in range(0, len(chunk), self.batch_size):
                batches.append(chunk[b : b + self.batch_size][::-1])
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=generator)]
        return batches

    def _batch(self, plan: list[list[int]], index: int) -> Batch:
        indices = plan[index]
        sources = [self.pairs[i][0] for i in indices]
        targets = [self.pairs[i][1] for i in indices]
        lengths = torch.tensor([len(s) for s in sources], dtype=torch.long)
        rows, pinned = len(indices), self._pinned
        src = torch.full((rows, int(lengths.max())), PAD, dtype=torch.long, pin_memory=pinned)
        tgt = torch.full(
            (rows, max(len(t) for t in targets)), PAD, dtype=torch.long, pin_memory=pinned
        )
        for row, (s, t) in enumerate(zip(sources, targets, strict=True)):
            src[row, : len(s)] = torch.tensor(s, dtype=torch.long)
            tgt[row, : len(t)] = torch.tensor(t, dtype=torch.long)
        if self.device is not None:
            # The lengths stay on the CPU: packing reads them there, and the encoder refuses
            # lengths on another device.
            return (
                src.to(self.device, non_blocking=True),
                lengths,
                tgt.to(self.device, non_blocking=True),
            )
        return src, lengths, tgt
