"""Reporting extensions read reported tensors back to the host only when a trigger fires.

Reported values are wrapped in a tensor subclass that records, for every conversion to
Python or to the host, the iteration at which it happened.
"""

from __future__ import annotations

import io

import torch

from ignite_gen import Trainer, Updater, report
from ignite_gen.extensions import FailOnNonNumber, LogReport, PrintReport, ProgressBar

EPOCH_LENGTH = 40
_HOST_READS = {
    torch.Tensor.item,
    torch.Tensor.tolist,
    torch.Tensor.cpu,
    torch.Tensor.numpy,
    torch.Tensor.__bool__,
    torch.Tensor.__float__,
    torch.Tensor.__int__,
    torch.Tensor.__index__,
    torch.Tensor.__format__,
    torch.Tensor.__repr__,
}


class SyncCounter(torch.Tensor):
    """Results of operations on it stay ``SyncCounter``s, so folded sums are watched too."""

    trainer: Trainer | None = None
    reads: list[int] = []  # noqa: RUF012 (one shared record, reset by each test)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in _HOST_READS and cls.trainer is not None:
            cls.reads.append(cls.trainer.iteration)
        return super().__torch_function__(func, types, args, kwargs or {})


class WatchedUpdater(Updater):
    def update_core(self, batch):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.models["main"](x), y)
        self.step("main", loss)
        report(
            {
                "main/loss": loss.detach().as_subclass(SyncCounter),
                "main/out": self.models["main"](x).detach().as_subclass(SyncCounter),
            }
        )


def watched_trainer(tmp_path) -> Trainer:
    generator = torch.Generator().manual_seed(0)
    batches = [
        (torch.randn(2, 3, generator=generator), torch.randn(2, 1, generator=generator))
        for _ in range(EPOCH_LENGTH)
    ]
    model = torch.nn.Linear(3, 1)
    updater = WatchedUpdater(
        batches, model, torch.optim.SGD(model.parameters(), lr=0.01), device="cpu"
    )
    trainer = Trainer(updater, (2, "epoch"), out=tmp_path)
    SyncCounter.trainer, SyncCounter.reads = trainer, []
    return trainer


def test_reads_happen_only_at_log_triggers(tmp_path):
    trainer = watched_trainer(tmp_path)
    out = io.StringIO()
    trainer.extend(LogReport(trigger=(1, "epoch")))
    trainer.extend(PrintReport(["epoch", "main/loss", "main/out"], out=out))
    trainer.extend(ProgressBar(out=out))
    trainer.extend(FailOnNonNumber(trigger=(1, "epoch")))
    try:
        trainer.run()
    finally:
        SyncCounter.trainer = None
    # More than DictSummary's fold size of values per key, so folding is exercised too.
    assert trainer.iteration == 2 * EPOCH_LENGTH > 64
    assert set(SyncCounter.reads) == {EPOCH_LENGTH, 2 * EPOCH_LENGTH}
    assert len(trainer.get_extension("LogReport").log) == 2


def test_counter_catches_a_per_iteration_read(tmp_path):
    trainer = watched_trainer(tmp_path)
    trainer.extend(lambda t: float(t.observation["main/loss"]), name="careless")
    try:
        trainer.run()
    finally:
        SyncCounter.trainer = None
    assert SyncCounter.reads == list(range(1, 2 * EPOCH_LENGTH + 1))
