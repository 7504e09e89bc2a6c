"""Two ``gloo`` processes on the CPU train one model: each optimizer step averages exactly
the gradients it trains, BatchNorm statistics and EMA copies agree across ranks, and the
result equals one process on the whole batch.

All scenarios run in one launch of two real processes (each launch costs seconds); every
rank saves what it saw to a file that the tests below read.
"""

from __future__ import annotations

import itertools

import ignite.distributed as idist
import pytest
import torch
import torch.distributed as dist
from conftest import RegressionUpdater, free_port
from torch import nn

from ignite_gen.errors import ArgumentError, ArgumentTypeError
from ignite_gen.models import build_model
from ignite_gen.updaters import DualGANUpdater, GANUpdater, base

BATCH = 8  # the whole batch; each of the two ranks trains on half of it
Z_DIM = 4
ITERATIONS = 4  # DualGAN's generators step on every second iteration: the last is one
IMAGES = torch.randn(ITERATIONS, BATCH, 1, 28, 28, generator=torch.Generator().manual_seed(0))
DOMAIN_V = torch.randn(ITERATIONS, BATCH, 1, 28, 28, generator=torch.Generator().manual_seed(1))


class SlicedNoise:
    """A generator's noise prior: at its i-th call, the rows of this rank of one
    ``(BATCH, Z_DIM)`` draw seeded with i, so two ranks of half a batch draw together what
    one process of the whole batch draws."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, n, device=None, generator=None):
        whole = torch.randn(BATCH, Z_DIM, generator=torch.Generator().manual_seed(self.calls))
        self.calls += 1
        rank = idist.get_rank()
        return whole[rank * n : (rank + 1) * n].to(device)


def shard(batches: torch.Tensor) -> list[torch.Tensor]:
    half = BATCH // idist.get_world_size()
    rank = idist.get_rank()
    return [batch[rank * half : (rank + 1) * half].tanh() for batch in batches]


def sgd(*nets: nn.Module) -> torch.optim.Optimizer:
    params = itertools.chain(*(net.parameters() for net in nets))
    return torch.optim.SGD(params, lr=0.1, momentum=0.5)


def exact_gan(seed: int) -> GANUpdater:
    """A GAN whose loss over two half batches is exactly the loss over the whole batch:
    ``L_D`` and ``L_G`` are means over samples, the generator runs in eval mode (its
    BatchNorm then normalises each sample alone, by running statistics that stay put),
    the discriminator has no BatchNorm, and the noise is sliced (:class:`SlicedNoise`)."""
    torch.manual_seed(seed)
    gen = build_model("dcgan-generator", z_dim=Z_DIM, hidden=4).eval()
    gen.sample_noise = SlicedNoise()
    dis = build_model("dcgan-discriminator", hidden=4, batch_norm=False)
    return GANUpdater(shard(IMAGES), gen, dis, sgd(gen), sgd(dis), device="cpu", ema_decay=0.9)


def batchnorm_gan(seed: int, **options) -> GANUpdater:
    """Both networks train their BatchNorm layers on this rank's batch; EMA of the generator."""
    torch.manual_seed(seed)
    gen = build_model("dcgan-generator", z_dim=Z_DIM, hidden=4)
    dis = build_model("dcgan-discriminator", hidden=4)
    return GANUpdater(
        shard(IMAGES), gen, dis, sgd(gen), sgd(dis), device="cpu", ema_decay=0.9, **options
    )


def fp16_on_cpu(seed: int, **options) -> GANUpdater:
    """:func:`batchnorm_gan` in fp16 on the CPU, where the updaters refuse fp16 (float16 is
    emulated there, slowly): the GradScaler and gradient averaging that this checks are
    those CUDA runs, which CI does not have, so the refusal is lifted while it is built."""
    refuse = base.check_precision
    base.check_precision = lambda precision, device, name="precision": precision
    try:
        return batchnorm_gan(seed, precision="fp16", **options)
    finally:
        base.check_precision = refuse


def dualgan(seed: int) -> DualGANUpdater:
    torch.manual_seed(seed)
    nets = [build_model("dualgan-translator", hidden=4) for _ in range(2)]
    nets += [build_model("dcgan-discriminator", hidden=4) for _ in range(2)]
    pairs = list(zip(shard(IMAGES), shard(DOMAIN_V), strict=True))
    return DualGANUpdater(pairs, *nets, sgd(*nets[:2]), sgd(*nets[2:]), device="cpu")


def train(updater) -> dict:
    for batch in updater.iterator:
        updater.update(batch)
    return {name: model.state_dict() for name, model in updater.models.items()}


def record_collectives(calls: list) -> None:
    """Route ``torch.distributed.all_reduce`` and ``broadcast`` through a recorder of
    ``(kind, numel)``; the updaters look them up at each call."""
    for kind in ("all_reduce", "broadcast"):
        original = getattr(dist, kind)

        def recorder(tensor, *args, _original=original, _kind=kind, **kwargs):
            calls.append((_kind, tensor.numel()))
            return _original(tensor, *args, **kwargs)

        setattr(dist, kind, recorder)


def _scenarios(local_rank: int, out: str) -> None:
    # A forked child must not enter the OpenMP pool it inherited (libgomp is not
    # fork-safe); DataLoader's forked workers do the same.
    torch.set_num_threads(1)
    rank, calls, seen = idist.get_rank(), [], {}
    record_collectives(calls)
    # Each rank builds its models from another seed: the first update makes them rank 0's.
    updater = exact_gan(seed=rank)
    seen["exact_gan"] = train(updater)
    seen["exact_gan_updater"] = updater.state_dict()
    seen["exact_gan_calls"] = list(calls)
    seen["batchnorm_gan"] = train(batchnorm_gan(seed=rank))
    half_precision = fp16_on_cpu(seed=rank, grad_clip=1.0)
    if rank == 1:  # an image of 1e9 (inf in fp16): non-finite gradients here, at iteration 2
        half_precision.iterator[1] = half_precision.iterator[1].index_fill(0, torch.tensor(0), 1e9)
    seen["fp16_gan"] = train(half_precision)
    seen["fp16_scales"] = {name: s.get_scale() for name, s in half_precision.scalers.items()}
    seen["dualgan"] = train(dualgan(seed=rank))
    unshared = dualgan(seed=rank)
    unshared.replicas.share_batchnorm_statistics = lambda: None
    seen["dualgan_unshared"] = train(unshared)
    try:
        nn.SyncBatchNorm(2)(torch.zeros(4, 2))
        seen["sync_batchnorm_on_cpu"] = "ran"
    except ValueError as error:
        seen["sync_batchnorm_on_cpu"] = str(error)
    torch.save(seen, f"{out}/rank{rank}.pt")


@pytest.fixture(scope="module")
def ranks(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("ranks")
    # Forked, not spawned: two fresh interpreters importing torch cost seconds. A process
    # that has used CUDA cannot fork children that use it (idist asks for the device).
    fork = "spawn" if torch.cuda.is_initialized() else "fork"
    launch = idist.Parallel(
        backend="gloo", nproc_per_node=2, master_port=free_port(), start_method=fork
    )
    with launch as parallel:
        parallel.run(_scenarios, str(out))
    return [torch.load(out / f"rank{rank}.pt", weights_only=False) for rank in range(2)]


def assert_identical(first: dict, second: dict) -> None:
    assert first.keys() == second.keys()
    for model in first:
        for key, value in first[model].items():
            assert torch.equal(value, second[model][key]), f"{model}.{key}"


@pytest.mark.distributed
def test_two_ranks_on_half_batches_end_where_one_process_on_the_whole_batch_ends(ranks):
    single = exact_gan(seed=0)
    expected = train(single)
    assert_identical(ranks[0]["exact_gan"], ranks[1]["exact_gan"])
    for model, state in expected.items():
        for key, value in state.items():
            torch.testing.assert_close(ranks[1]["exact_gan"][model][key], value, msg=key)
    # Rank 1 started from seed 1's weights; it ends at seed 0's run: the broadcast happened.
    assert not torch.equal(
        exact_gan(seed=1).models["dis"].net[0].weight, exact_gan(seed=0).models["dis"].net[0].weight
    )
    # Plain modules: what two processes saved loads into a one-process updater.
    fresh = exact_gan(seed=5)
    fresh.load_state_dict(ranks[0]["exact_gan_updater"])
    assert_identical(
        {name: model.state_dict() for name, model in fresh.models.items()}, ranks[0]["exact_gan"]
    )


@pytest.mark.distributed
def test_each_step_reduces_exactly_the_gradients_of_the_network_it_trains(ranks):
    updater = exact_gan(seed=0)
    gen, dis = (sum(p.numel() for p in updater.models[n].parameters()) for n in ("gen", "dis"))
    calls = ranks[0]["exact_gan_calls"]
    # Discriminator step, then generator step: the latter does not send D's gradients,
    # though its loss back-propagates through D.
    assert [c for c in calls if c[0] == "all_reduce"] == [
        ("all_reduce", dis),
        ("all_reduce", gen),
    ] * ITERATIONS
    tensors = sum(
        len([*m.parameters(), *m.buffers()]) for m in updater.models.values()
    )  # gen, dis, gen_ema
    statistics = sum(
        layer.num_features * 2
        for name in ("gen", "gen_ema")
        for layer in updater.models[name].modules()
        if isinstance(layer, nn.BatchNorm2d)
    )
    broadcasts = [c for c in calls if c[0] == "broadcast"]
    assert len(broadcasts) == tensors + ITERATIONS
    assert broadcasts[tensors:] == [("broadcast", statistics)] * ITERATIONS


@pytest.mark.distributed
def test_batchnorm_statistics_and_the_ema_agree_across_ranks(ranks):
    first, second = ranks[0]["batchnorm_gan"], ranks[1]["batchnorm_gan"]
    assert_identical(first, second)
    # Not vacuous: the statistics moved away from their start, on different batches per rank.
    assert first["dis"]["net.3.running_mean"].abs().sum() > 0
    assert first["gen_ema"]["net.0.running_var"].ne(1).any()
    assert not torch.equal(first["gen_ema"]["project.weight"], first["gen"]["project.weight"])


@pytest.mark.distributed
def test_an_fp16_overflow_on_one_rank_skips_the_step_on_every_rank(ranks):
    # Gradients are averaged before the scaler looks for inf: both ranks see rank 1's. The
    # first step overflows everywhere (the initial scale is too large), the second on rank 1.
    assert ranks[0]["fp16_scales"] == ranks[1]["fp16_scales"]
    assert ranks[0]["fp16_scales"]["dis"] == torch.amp.GradScaler("cpu").get_scale() / 4
    assert_identical(ranks[0]["fp16_gan"], ranks[1]["fp16_gan"])
    for state in ranks[0]["fp16_gan"].values():
        assert all(value.isfinite().all() for value in state.values())


@pytest.mark.distributed
def test_dualgan_with_shared_optimizers_stays_identical_across_ranks(ranks):
    assert_identical(ranks[0]["dualgan"], ranks[1]["dualgan"])
    # Without the broadcast of statistics the weights still agree (gradients are averaged;
    # training-mode BatchNorm does not read its running statistics) but the statistics,
    # each rank's own batches', do not.
    unshared = ranks[0]["dualgan_unshared"], ranks[1]["dualgan_unshared"]
    for model in ("gen_uv", "dis_u"):
        for key, value in unshared[0][model].items():
            same = torch.equal(value, unshared[1][model][key])
            assert same == ("running" not in key), f"{model}.{key}"


def regression(device: str, **options) -> RegressionUpdater:
    """A linear layer and BatchNorm fitted to a target by the base :class:`Updater`."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    batches = [(torch.randn(4, 3), torch.randn(4, 2)) for _ in range(2)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return RegressionUpdater(batches, model, optimizer, device=device, **options)


@pytest.mark.distributed
def test_sync_batchnorm_needs_cuda_and_nccl(ranks):
    # The reason: torch's SyncBatchNorm refuses CPU inputs once a process group is up.
    assert "expected input tensor to be on GPU" in ranks[0]["sync_batchnorm_on_cpu"]
    with pytest.raises(ArgumentError) as error:
        regression("cpu", sync_batchnorm=True)
    message = str(error.value)
    assert "\n" not in message and message.startswith("sync_batchnorm=True needs CUDA and")
    with pytest.raises(ArgumentTypeError, match="sync_batchnorm must be True or False"):
        regression("cpu", sync_batchnorm="yes")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="SyncBatchNorm needs CUDA")
def test_sync_batchnorm_converts_the_models_and_snapshots_stay_plain():
    updater = regression("cuda", sync_batchnorm=True)
    assert isinstance(updater.models["main"][1], nn.SyncBatchNorm)
    for batch in updater.iterator:
        updater.update(batch)
    plain = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    plain.load_state_dict(updater.state_dict()["models"]["main"])
    assert plain[1].running_mean.ne(0).all()
