"""Sharded loaders: the processes of a distributed run split each epoch's batches, each
batch going to one process, and every process resumes mid-epoch exactly. One process
plays each rank through explicit ``num_replicas``/``rank``."""

from __future__ import annotations

import pytest
import torch

from ignite_gen.data import TensorLoader, UnpairedLoader
from ignite_gen.errors import ArgumentError


def batches(loader, n: int | None = None) -> list[list[int]]:
    """The next ``n`` batches (default: the rest of the epoch) as lists of sample ids."""
    out = []
    for batch in loader:
        out.append(batch.tolist())
        if n is not None and len(out) == n:
            break
    return out


def shards(samples: int, world: int, **options) -> list[TensorLoader]:
    data = torch.arange(samples)
    return [
        TensorLoader(data, batch_size=4, seed=3, num_replicas=world, rank=r, **options)
        for r in range(world)
    ]


def test_ranks_take_every_wth_batch_of_the_same_epoch_plan():
    whole = batches(TensorLoader(torch.arange(40), batch_size=4, seed=3))
    ranks = [batches(loader) for loader in shards(40, 2)]
    assert ranks[0] == whole[0::2] and ranks[1] == whole[1::2]
    seen = [i for rank in ranks for batch in rank for i in batch]
    assert sorted(seen) == list(range(40))  # distinct, and the whole epoch


def test_leftover_batches_of_an_epoch_are_skipped_and_ranks_stay_in_step():
    # 11 batches of 4 over 3 processes: 3 each, the last 2 batches skipped.
    whole = batches(TensorLoader(torch.arange(44), batch_size=4, seed=3))
    loaders = shards(44, 3)
    assert [len(loader) for loader in loaders] == [3, 3, 3]
    assert [loader.num_batches for loader in loaders] == [11, 11, 11]
    seen = {i for loader in loaders for batch in batches(loader) for i in batch}
    skipped = {i for batch in whole[9:] for i in batch}
    assert seen == set(range(44)) - skipped and len(skipped) == 8


def test_each_epoch_reshuffles_and_every_rank_keeps_the_same_position():
    loaders = shards(40, 2)
    first = [batches(loader) for loader in loaders]
    second = [batches(loader) for loader in loaders]
    assert first != second
    assert loaders[0].state_dict() == loaders[1].state_dict()
    assert loaders[0].state_dict() == {"epoch": 2, "position": 0, "seed": 3, "world_size": 2}


def test_a_rank_resumes_mid_epoch_from_the_state_of_rank_zero():
    rank0, rank1 = shards(40, 2)
    batches(rank0, 2)
    straight = batches(rank1, 2)
    state = rank0.state_dict()  # the snapshot holds rank 0's state only
    assert state == rank1.state_dict()
    rest = batches(rank1) + batches(rank1)

    resumed = shards(40, 2)[1]
    resumed.load_state_dict(state)
    assert batches(resumed) + batches(resumed) == rest
    assert len(rest) == 3 + 5 and straight == batches(shards(40, 2)[1], 2)


def test_state_of_another_number_of_processes_is_refused_in_one_line():
    state = shards(40, 2)[0].state_dict()
    with pytest.raises(ArgumentError, match=r"saved by 2 processes.*num_replicas=2$"):
        TensorLoader(torch.arange(40), batch_size=4).load_state_dict(state)
    # A state from before sharding was written by one process.
    old = {"epoch": 1, "position": 3, "seed": 3}
    with pytest.raises(ArgumentError, match="saved by 1 process, this loader is shared by 2"):
        shards(40, 2)[0].load_state_dict(old)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"num_replicas": 2, "rank": 2}, "rank 2 is not below num_replicas 2"),
        ({"num_replicas": 0, "rank": 0}, "num_replicas must be at least 1"),
        ({"num_replicas": 2, "rank": -1}, "rank must be at least 0"),
        ({"num_replicas": 11, "rank": 0}, "10 batches cannot give each of the 11 processes"),
    ],
)
def test_bad_sharding_arguments_name_the_argument(options, message):
    with pytest.raises(ArgumentError, match=message):
        TensorLoader(torch.arange(40), batch_size=4, **options)


def test_unpaired_loader_shards_both_domains_and_resumes():
    def pair(rank: int) -> UnpairedLoader:
        u = TensorLoader(torch.arange(32), batch_size=4, seed=1, num_replicas=2, rank=rank)
        v = TensorLoader(torch.arange(100, 112), batch_size=4, seed=2, num_replicas=2, rank=rank)
        return UnpairedLoader(u, v)

    ranks = [[(a.tolist(), b.tolist()) for a, b in pair(r)] for r in range(2)]
    assert len(ranks[0]) == len(ranks[1]) == 4
    u_seen = [i for rank in ranks for a, _ in rank for i in a]
    assert sorted(u_seen) == list(range(32))
    # v has 3 batches: one per rank per pass over v (the third skipped); the ranks step
    # through v together, so at each step their v batches come from one plan.
    for (_, b0), (_, b1) in zip(*ranks, strict=True):
        assert len(b0) == len(b1) == 4 and not set(b0) & set(b1)

    loader = pair(1)
    stream = iter(loader)
    next(stream)
    state = loader.state_dict()
    rest = [(a.tolist(), b.tolist()) for a, b in stream]
    resumed = pair(1)
    resumed.load_state_dict(state)
    assert [(a.tolist(), b.tolist()) for a, b in resumed] == rest
