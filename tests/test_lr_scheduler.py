"""LRScheduler: the reported learning rate follows the schedule, also across a resume."""

from __future__ import annotations

import json
import math

import torch
from conftest import make_regression_updater

from ignite_gen import Trainer, extensions


def cosine_trainer(out, epochs: int, resume=None) -> Trainer:
    updater = make_regression_updater()  # 5 iterations an epoch, SGD lr 0.1
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(updater.optimizers["main"], T_max=20)
    trainer = Trainer(updater, (epochs, "epoch"), out=out, resume=resume)
    trainer.extend(extensions.LRScheduler(cosine))
    trainer.extend(extensions.LogReport(trigger=(1, "iteration")))
    trainer.extend(extensions.snapshot())
    return trainer


def logged_lrs(out) -> list[float]:
    return [json.loads(line)["lr"] for line in (out / "log.jsonl").read_text().splitlines()]


def test_reported_lr_follows_the_schedule_and_resumes(tmp_path):
    cosine_trainer(tmp_path / "whole", 4).run()
    # The rate iteration i (from 0) used: 0.1 * (1 + cos(pi * i / 20)) / 2.
    expected = [0.05 * (1 + math.cos(math.pi * i / 20)) for i in range(20)]
    logged = logged_lrs(tmp_path / "whole")
    assert len(logged) == 20
    for got, want in zip(logged, expected, strict=True):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)

    cosine_trainer(tmp_path / "split", 2).run()
    snapshot = tmp_path / "split" / "snapshot_epoch_0002.pt"
    cosine_trainer(tmp_path / "split", 4, resume=snapshot).run()
    assert logged_lrs(tmp_path / "split") == logged_lrs(tmp_path / "whole")
