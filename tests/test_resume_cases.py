"""Exact resume in the cases issue 9 found broken: trigger and extension states as of the
end of the iteration, snapshot retention across a resume, and runs of another kind."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import warnings

import pytest
import torch
from conftest import assert_one_line_error, make_regression_updater

from ignite_gen import (
    EarlyStoppingTrigger,
    Extension,
    MinValueTrigger,
    Trainer,
    UserError,
    extensions,
)
from ignite_gen.cli import main


def early_stopping_trainer(out, resume=None) -> Trainer:
    # An SGD learning rate of 0 never improves the loss: patience 2 stops after 3 epochs.
    updater = make_regression_updater()
    for group in updater.optimizers["main"].param_groups:
        group["lr"] = 0.0
    stop = EarlyStoppingTrigger("main/loss", patience=2, max_trigger=(50, "epoch"))
    trainer = Trainer(updater, stop, out=out, resume=resume)
    trainer.extend(extensions.snapshot())
    return trainer


def resumed_copy(source, name: str, out):
    """A fresh directory holding only ``source/name``, as a run killed right after it."""
    out.mkdir()
    shutil.copy(source / name, out / name)
    return out


def test_early_stopping_resumes_to_the_same_epoch_from_every_snapshot(tmp_path):
    straight = early_stopping_trainer(tmp_path / "straight")
    straight.run()
    assert straight.epoch == 3
    for epoch in (1, 2, 3):
        name = f"snapshot_epoch_{epoch:04d}.pt"
        out = resumed_copy(tmp_path / "straight", name, tmp_path / f"from_{epoch}")
        resumed = early_stopping_trainer(out, resume="auto")
        ran = resumed.run()
        assert (resumed.epoch, resumed.iteration) == (3, 15), f"resumed from epoch {epoch}"
        assert ran == 15 - 5 * epoch  # the final snapshot's run is complete: nothing runs


class Recorder(Extension):
    """Records the iterations its trigger fired at; runs after the snapshot extension."""

    priority = -200

    def __init__(self) -> None:
        self.fired: list[int] = []

    def __call__(self, trainer) -> None:
        self.fired.append(trainer.iteration)

    def state_dict(self):
        return {"fired": list(self.fired)}

    def load_state_dict(self, state) -> None:
        self.fired = list(state["fired"])


def best_loss_trainer(out, resume=None) -> tuple[Trainer, Recorder, MinValueTrigger]:
    trainer = Trainer(make_regression_updater(), (4, "epoch"), out=out, resume=resume)
    recorder, best = Recorder(), MinValueTrigger("main/loss", trigger=(1, "epoch"))
    trainer.extend(recorder, trigger=best)
    trainer.extend(extensions.snapshot())
    return trainer, recorder, best


def test_extension_and_its_min_value_trigger_resume_identically(tmp_path):
    straight, recorder, best = best_loss_trainer(tmp_path / "straight")
    straight.run()
    assert recorder.fired == [5, 10, 15, 20]  # the loss falls every epoch
    for epoch in (1, 2, 3):
        name = f"snapshot_epoch_{epoch:04d}.pt"
        out = resumed_copy(tmp_path / "straight", name, tmp_path / f"from_{epoch}")
        resumed, resumed_recorder, resumed_best = best_loss_trainer(out, resume="auto")
        resumed.run()
        assert resumed_recorder.fired == recorder.fired, f"resumed from epoch {epoch}"
        assert resumed_best.best == best.best


def test_retention_deletes_the_snapshot_a_run_was_resumed_from(tmp_path):
    def trainer(epochs: int) -> Trainer:
        trainer = Trainer(make_regression_updater(), (epochs, "epoch"), out=tmp_path, resume="auto")
        trainer.extend(extensions.snapshot(n_retains=2))
        return trainer

    trainer(3).run()
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == [
        "snapshot_epoch_0002.pt",
        "snapshot_epoch_0003.pt",
    ]
    resumed = trainer(5)
    resumed.run()
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == [
        "snapshot_epoch_0004.pt",
        "snapshot_epoch_0005.pt",
    ]
    assert resumed.get_extension("snapshot").written == [
        "snapshot_epoch_0004.pt",
        "snapshot_epoch_0005.pt",
    ]


def retaining_trainer(out, epochs: int, n_retains: int) -> Trainer:
    trainer = Trainer(make_regression_updater(), (epochs, "epoch"), out=out, resume="auto")
    trainer.extend(extensions.snapshot(n_retains=n_retains))
    return trainer


def test_a_complete_run_killed_before_its_retention_deletes_on_resume(tmp_path):
    # Killed after the last snapshot was in place but before the oldest went: its list
    # holds one file too many, and resuming the complete run must finish the deletion.
    retaining_trainer(tmp_path, 3, n_retains=3).run()
    snapshots = sorted(p.name for p in tmp_path.glob("*.pt"))
    assert len(snapshots) == 3
    assert retaining_trainer(tmp_path, 3, n_retains=2).run() == 0
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == snapshots[1:]


def test_temporaries_of_killed_writes_go_when_a_run_starts(tmp_path):
    stale = [
        tmp_path / ".snapshot_epoch_0002.pt.k3v9x1qa.tmp",
        tmp_path / "images" / ".epoch_0002.png.a_b2c3d4.png",
    ]
    kept = [tmp_path / ".notes.txt", tmp_path / ".snapshot_epoch_0002.pt.short.tmp"]
    for path in stale + kept:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"partial")
    retaining_trainer(tmp_path, 1, n_retains=2).run()
    assert [path.exists() for path in stale + kept] == [False, False, True, True]


def test_a_failed_snapshot_write_is_not_listed(tmp_path, monkeypatch):
    trainer = Trainer(make_regression_updater(), (3, "epoch"), out=tmp_path)
    trainer.extend(extensions.snapshot(n_retains=2))
    save = trainer.save

    def failing_save(path):
        if trainer.epoch == 2:
            raise OSError(28, "No space left on device")
        return save(path)

    monkeypatch.setattr(trainer, "save", failing_save)
    with pytest.raises(OSError, match="No space"):
        trainer.run()
    assert trainer.get_extension("snapshot").written == ["snapshot_epoch_0001.pt"]
    assert [p.name for p in tmp_path.glob("*.pt")] == ["snapshot_epoch_0001.pt"]


def test_snapshot_holds_the_state_after_the_stop_trigger(tmp_path):
    early_stopping_trainer(tmp_path).run()
    payload = torch.load(tmp_path / "snapshot_epoch_0002.pt", weights_only=True)
    assert payload["trainer"]["stop_trigger"]["count"] == 1
    assert payload["trainer"]["stopped"] is False
    final = torch.load(tmp_path / "snapshot_epoch_0003.pt", weights_only=True)
    assert final["trainer"]["stopped"] is True


def test_resuming_another_kind_of_run_is_refused_before_loading(tmp_path):
    trainer = Trainer(make_regression_updater(), (1, "epoch"), out=tmp_path)
    trainer.extend(extensions.snapshot())
    trainer.run()
    other = make_regression_updater()
    model = other.models["main"]
    other.optimizers["main"] = torch.optim.Adam(model.parameters())
    before = [p.detach().clone() for p in model.parameters()]
    resumed = Trainer(other, (2, "epoch"), out=tmp_path, resume="auto")
    with pytest.raises(UserError, match="optimizers main=SGD in the snapshot, main=Adam here"):
        resumed.run()
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert resumed.iteration == 0


def loader_trainer(out, loader_class, resume=None) -> Trainer:
    """Three epochs of 5 shuffled batches from a user's own DataLoader-like loader, with
    a per-iteration log and a snapshot after every iteration."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(20, 3, generator=generator)
    data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    loader = loader_class(data, batch_size=4, shuffle=True, num_workers=0)
    updater = make_regression_updater()
    updater.iterator = loader
    trainer = Trainer(updater, (3, "epoch"), out=out, resume=resume)
    trainer.extend(extensions.LogReport(trigger=(1, "iteration")))
    trainer.extend(
        extensions.snapshot("snapshot_iter_{iteration:02d}.pt", trigger=(1, "iteration"))
    )
    return trainer


def losses(out) -> list[float]:
    return [json.loads(line)["main/loss"] for line in (out / "log.jsonl").read_text().splitlines()]


def resume_at(straight, iteration: int, out, loader_class) -> tuple[Trainer, list[str]]:
    """Resume a copy of ``straight`` as a run killed right after ``iteration``; returns
    the trainer and the warnings ignite-gen gave."""
    name = f"snapshot_iter_{iteration:02d}.pt"
    resumed_copy(straight, name, out)
    lines = (straight / "log.jsonl").read_text().splitlines(keepends=True)[:iteration]
    (out / "log.jsonl").write_text("".join(lines))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = loader_trainer(out, loader_class, resume="auto")
        trainer.run()
    ours = [str(w.message) for w in caught if "resuming at iteration" in str(w.message)]
    return trainer, ours


# torchdata calls a deprecated torch function when it builds its iterator.
@pytest.mark.filterwarnings("ignore:'set_vital' is deprecated")
def test_stateful_dataloader_resumes_mid_epoch_exactly(tmp_path):
    stateful = pytest.importorskip("torchdata.stateful_dataloader").StatefulDataLoader
    straight = loader_trainer(tmp_path / "straight", stateful)
    straight.run()
    weight = straight.updater.models["main"].weight
    # Mid-epoch (3, 6, 12) and at an epoch's end (5): the loader's state is in the snapshot.
    for iteration in (3, 5, 6, 12):
        out = tmp_path / f"at_{iteration}"
        resumed, warned = resume_at(tmp_path / "straight", iteration, out, stateful)
        assert not warned
        assert resumed.iteration == 15
        assert losses(out) == losses(tmp_path / "straight"), f"resumed at {iteration}"
        assert torch.equal(resumed.updater.models["main"].weight, weight)


def test_a_loader_without_state_resumed_mid_epoch_warns_once(tmp_path):
    loader = torch.utils.data.DataLoader
    loader_trainer(tmp_path / "straight", loader).run()
    _, warned = resume_at(tmp_path / "straight", 7, tmp_path / "mid", loader)
    assert len(warned) == 1
    assert "iteration 7" in warned[0] and "DataLoader" in warned[0]
    assert "StatefulDataLoader" in warned[0] and "TensorLoader" in warned[0]
    # At an epoch's end nothing of the order is lost: no warning.
    _, warned = resume_at(tmp_path / "straight", 10, tmp_path / "end", loader)
    assert not warned


# -- the command line ------------------------------------------------------------------
TINY_GAN = [
    "--epochs",
    "1",
    "--batch-size",
    "32",
    "--max-images",
    "64",
    "--device",
    "cpu",
    "--no-progress",
    "--metric-samples",
    "0",
]
TINY_SEQ2SEQ = [
    "--max-pairs",
    "300",
    "--hidden",
    "16",
    "--embed",
    "16",
    "--batch-size",
    "32",
    "--seed",
    "3",
    "--device",
    "cpu",
    "--no-progress",
]


def cli(capsys, *argv: str) -> subprocess.CompletedProcess:
    """``ignite-gen ARGV`` in this process (a fresh interpreter costs seconds of imports)."""
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's errors
        code = exit_.code
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(argv, code, captured.out, captured.err)


@pytest.fixture(scope="module")
def gan_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan")
    assert main(["train", "gan", *TINY_GAN, "--out", str(out)]) == 0
    return out


def contents(directory) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["lsgan", "--resume"], ["holds a 'gan' run; this is 'lsgan'", "train gan --resume"]),
        (["wgan", "--resume"], ["holds a 'gan' run; this is 'wgan'", "use another --out"]),
        (["gan", "--resume", "--z-dim", "32"], ["--z-dim 64; this one has --z-dim 32"]),
        (["gan", "--resume", "--ema-decay", "0.9"], ["resume without --ema-decay"]),
    ],
)
@pytest.mark.slow
def test_resuming_another_method_or_network_is_one_line(gan_out, argv, fragments, capsys):
    before = contents(gan_out)
    result = cli(capsys, "train", argv[0], *TINY_GAN, "--out", str(gan_out), *argv[1:])
    assert_one_line_error(result, f"--out {gan_out}/", *fragments)
    assert contents(gan_out) == before


def test_unusable_out_and_counts_are_one_line(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    cases = [
        (["--out", str(a_file)], [f"--out {a_file} is a file, not a directory"]),
        (["--out", "/proc/nope"], ["--out /proc/nope: cannot write there"]),
        (["--epochs", "0"], ["argument --epochs: 0 is out of range"]),
        (["--n-retains", "-1"], ["argument --n-retains: -1 is out of range"]),
        (["--seed", "4294967296"], ["argument --seed: 4294967296 is out of range"]),
        (["--device", "gpu0"], ["argument --device: 'gpu0' is not a device"]),
    ]
    for argv, fragments in cases:
        result = cli(capsys, "train", "gan", *TINY_GAN, "--out", str(tmp_path / "out"), *argv)
        assert_one_line_error(result, *fragments)
    assert a_file.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.slow
def test_a_resumed_seq2seq_run_with_more_epochs_extends_the_cosine(tmp_path):
    # The CLI plans its cosine over --epochs; a run resumed with more epochs uses, from
    # the resume on, the rates of a run planned that long (2e-3 down to 0).
    out = str(tmp_path / "run")
    assert main(["train", "seq2seq", *TINY_SEQ2SEQ, "--epochs", "1", "--out", out]) == 0
    assert main(["train", "seq2seq", *TINY_SEQ2SEQ, "--epochs", "3", "--out", out, "--resume"]) == 0
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    length = log[0]["iteration"]
    planned = 3 * length

    def mean_rate(epoch: int) -> float:
        steps = range((epoch - 1) * length, epoch * length)
        return sum(1e-3 * (1 + math.cos(math.pi * i / planned)) for i in steps) / length

    assert [record["epoch"] for record in log] == [1, 2, 3]
    for record in log[1:]:
        assert record["lr"] == pytest.approx(mean_rate(record["epoch"]), rel=1e-6)
    assert log[2]["lr"] < log[1]["lr"]
