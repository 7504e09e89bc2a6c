"""Reporting extensions on a real trainer: logs, tables, bars, plots, grids, NaN checks."""

from __future__ import annotations

import io
import json
import math

import pytest
import torch
from conftest import RegressionUpdater, make_regression_updater
from PIL import Image

from ignite_gen import PRIORITY_WRITER, Trainer, UserError, load_snapshot, report
from ignite_gen.extensions import (
    FailOnNonNumber,
    ImageGrid,
    LogReport,
    PlotReport,
    PrintReport,
    ProgressBar,
    snapshot,
)


class ExtraUpdater(RegressionUpdater):
    """Also reports ``extra``: the 0-based iteration, NaN from iteration ``nan_at`` on."""

    def __init__(self, *args, nan_at: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.nan_at = nan_at

    def update_core(self, batch):
        super().update_core(batch)
        extra = torch.tensor(float(self.iteration))
        if self.nan_at is not None and self.iteration + 1 >= self.nan_at:
            extra = extra * math.nan
        report({"extra": extra})


def extra_updater(**kwargs) -> ExtraUpdater:
    base = make_regression_updater()
    return ExtraUpdater(base.iterator, base.models, base.optimizers, device="cpu", **kwargs)


def run_with(tmp_path, *extensions, updater=None, epochs: int = 2) -> Trainer:
    trainer = Trainer(updater or make_regression_updater(), (epochs, "epoch"), out=tmp_path)
    for extension in extensions:
        trainer.extend(extension)
    trainer.run()
    return trainer


def test_log_report_means_and_jsonl(tmp_path):
    losses = []
    spy = lambda t: losses.append(float(t.observation["main/loss"]))  # noqa: E731
    trainer = run_with(tmp_path, spy, LogReport())
    log = trainer.get_extension("LogReport").log
    assert [(r["epoch"], r["iteration"]) for r in log] == [(1, 5), (2, 10)]
    assert log[0]["main/loss"] == pytest.approx(sum(losses[:5]) / 5)
    assert log[1]["main/loss"] == pytest.approx(sum(losses[5:]) / 5)
    assert all(r["elapsed_time"] > 0 for r in log)
    lines = (tmp_path / "log.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == log
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_json(tmp_path / "log.jsonl", lines=True)
    assert list(frame["iteration"]) == [5, 10]


def test_log_report_keys_and_non_finite_as_null(tmp_path):
    log_report = LogReport(keys=["extra"], trigger=(5, "iteration"))
    run_with(tmp_path, log_report, updater=extra_updater(nan_at=8))
    assert [sorted(r) for r in log_report.log] == [
        ["elapsed_time", "epoch", "extra", "iteration"]
    ] * 2
    assert log_report.log[0]["extra"] == pytest.approx(2.0)  # mean of 0..4
    assert math.isnan(log_report.log[1]["extra"])
    second = json.loads((tmp_path / "log.jsonl").read_text().splitlines()[1])
    assert second["extra"] is None


def test_log_report_rewrites_file_from_state_on_resume(tmp_path):
    straight = run_with(tmp_path / "straight", LogReport(), epochs=3)
    killed_out = tmp_path / "killed"
    run_with(killed_out, LogReport(), snapshot(), epochs=1)
    with open(killed_out / "log.jsonl", "a") as handle:  # a record written after the snapshot
        handle.write('{"epoch": 2, "iteration": 10, "main/loss": 123.0}\n')
    resumed = Trainer(make_regression_updater(), (3, "epoch"), out=killed_out, resume="auto")
    resumed.extend(LogReport())
    resumed.extend(snapshot())
    resumed.run()

    def without_time(path):
        lines = path.read_text().splitlines()
        return [{k: v for k, v in json.loads(x).items() if k != "elapsed_time"} for x in lines]

    assert without_time(killed_out / "log.jsonl") == without_time(straight.out / "log.jsonl")
    assert len(resumed.get_extension("LogReport").log) == 3


def test_print_report_table(tmp_path):
    out = io.StringIO()
    # Registered before LogReport on purpose: it must still print each row on time.
    printer = PrintReport(["epoch", "iteration", "main/loss", "missing", "elapsed_time"], out=out)
    trainer = run_with(tmp_path, printer, LogReport())
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    header = lines[0]
    assert header.split() == ["epoch", "iteration", "main/loss", "missing", "elapsed_time"]
    assert header.index("iteration") == 12 and header.index("main/loss") == 24
    log = trainer.get_extension("LogReport").log
    for line, record in zip(lines[1:], log, strict=True):
        assert line[:12].rstrip() == str(record["epoch"])
        assert line[24:34].rstrip() == f"{record['main/loss']:.6g}"
        assert line[36:46].strip() == ""  # the missing column stays blank


@pytest.mark.parametrize("interval", [3, None])
def test_progress_bar_counts_all_iterations_and_closes(tmp_path, interval):
    out = io.StringIO()
    bar = ProgressBar(update_interval=interval, out=out, mininterval=0)
    run_with(tmp_path, bar)
    assert "10/10" in out.getvalue() and "epoch 2.00" in out.getvalue()
    assert bar._bar is None


def test_plot_report_writes_png(tmp_path):
    run_with(tmp_path, LogReport(), PlotReport(["main/loss", "absent"], filename="plots/loss.png"))
    path = tmp_path / "plots" / "loss.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.size == (640, 480)
    assert [p.name for p in path.parent.iterdir()] == ["loss.png"]  # no temp files left


class TinyGenerator(torch.nn.Module):
    z_dim = 4

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.BatchNorm1d(64))

    def forward(self, z):
        return self.net(z).view(-1, 1, 8, 8)


def gan_like_updater() -> RegressionUpdater:
    base = make_regression_updater()
    models = {"main": base.models["main"], "gen": TinyGenerator()}
    return RegressionUpdater(base.iterator, models, base.optimizers, device="cpu")


def test_image_grid_size_rng_and_batchnorm_untouched(tmp_path):
    run_with(tmp_path / "plain", updater=gan_like_updater())
    plain_rng = torch.get_rng_state()

    updater = gan_like_updater()
    gen = updater.models["gen"]
    stats = gen.net[1].running_mean.clone(), gen.net[1].num_batches_tracked.clone()
    run_with(tmp_path / "grid", ImageGrid("gen", n=16, nrow=4), updater=updater)
    assert torch.equal(torch.get_rng_state(), plain_rng)
    assert torch.equal(gen.net[1].running_mean, stats[0])
    assert torch.equal(gen.net[1].num_batches_tracked, stats[1])
    assert gen.training and gen.net[1].training
    for epoch in (1, 2):
        with Image.open(tmp_path / "grid" / "images" / f"epoch_{epoch:04d}.png") as image:
            assert image.size == (4 * (8 + 2) + 2, 4 * (8 + 2) + 2)


def test_image_grid_noise_is_fixed_by_seed():
    gen = TinyGenerator()
    assert torch.equal(ImageGrid(gen, n=8, seed=1)._noise, ImageGrid(gen, n=8, seed=1)._noise)
    assert not torch.equal(ImageGrid(gen, n=8, seed=1)._noise, ImageGrid(gen, n=8, seed=2)._noise)


def test_fail_on_non_number_names_key_and_first_iteration(tmp_path):
    trainer = Trainer(extra_updater(nan_at=7), (3, "epoch"), out=tmp_path)
    trainer.extend(FailOnNonNumber())
    trainer.extend(snapshot())
    with pytest.raises(UserError, match=r"non-finite value in 'extra' at iteration 7;"):
        trainer.run()
    assert trainer.iteration == 10  # found at the epoch-end check
    assert not (tmp_path / "snapshot_epoch_0002.pt").exists()
    good = load_snapshot(tmp_path / "snapshot_epoch_0001.pt")
    assert good.metadata["iteration"] == 5
    assert all(t.isfinite().all() for t in good.model_state("main").values())


def test_fail_on_non_number_checks_parameters(tmp_path):
    def poison(trainer):
        with torch.no_grad():
            trainer.updater.models["main"].bias.fill_(math.inf)

    trainer = Trainer(make_regression_updater(), (2, "epoch"), out=tmp_path)
    # Just before the check, so no training step spreads the damage to other weights.
    trainer.extend(poison, trigger=(5, "iteration"), priority=PRIORITY_WRITER)
    trainer.extend(FailOnNonNumber(keys=["absent"]))
    with pytest.raises(UserError, match=r"parameter 'bias' of model 'main' at iteration 5"):
        trainer.run()
