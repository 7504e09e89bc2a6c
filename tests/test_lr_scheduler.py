"""LRScheduler: the reported learning rate follows the schedule, also across a resume."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch
from conftest import make_regression_updater

from ignite_gen import Trainer, UserError, extensions


def cosine_trainer(out, epochs: int, resume=None, t_max: int = 20) -> Trainer:
    updater = make_regression_updater()  # 5 iterations an epoch, SGD lr 0.1
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(updater.optimizers["main"], T_max=t_max)
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


def test_a_longer_resumed_run_extends_the_cosine(tmp_path):
    # Planned for 1 epoch (T_max 5), then resumed for 4 (T_max 20), as `train --epochs 1`
    # then `--resume --epochs 4` does: from the resume on, the rates of a 4-epoch plan.
    cosine_trainer(tmp_path / "whole", 4, t_max=20).run()
    cosine_trainer(tmp_path / "split", 1, t_max=5).run()
    snapshot = tmp_path / "split" / "snapshot_epoch_0001.pt"
    cosine_trainer(tmp_path / "split", 4, resume=snapshot, t_max=20).run()
    whole, split = logged_lrs(tmp_path / "whole"), logged_lrs(tmp_path / "split")
    assert len(split) == 20
    for got, want in zip(split[5:], whole[5:], strict=True):
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-15)
    assert all(b < a for a, b in itertools.pairwise(split[5:]))


def test_a_scheduler_without_closed_form_cannot_be_extended(tmp_path):
    def trainer(epochs: int, resume=None) -> Trainer:
        updater = make_regression_updater()
        one_cycle = torch.optim.lr_scheduler.OneCycleLR(
            updater.optimizers["main"], max_lr=0.1, total_steps=5 * epochs
        )
        trainer = Trainer(updater, (epochs, "epoch"), out=tmp_path, resume=resume)
        trainer.extend(extensions.LRScheduler(one_cycle))
        trainer.extend(extensions.snapshot())
        return trainer

    trainer(1).run()
    with pytest.raises(UserError, match="OneCycleLR has no closed form"):
        trainer(3, resume="auto").run()
