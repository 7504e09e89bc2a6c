"""What ``train --resume`` does with settings (issue 21, classes 4, 8 and 9): a resumed
run continues with the settings it was started with, takes changes only to those that do
not change what a step computes (recording them in the snapshot's settings history that
``inspect`` shows), refuses the others in one line, compares its data by content rather
than by path, and a refused run leaves nothing behind."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest
import torch
from conftest import assert_one_line_error
from test_resume_cases import cli, contents

from ignite_gen.cli import main
from ignite_gen.errors import UserError
from ignite_gen.methods import METHODS, build_trainer, hparams_of, settings
from ignite_gen.methods.resuming import COMMON_CHANGEABLE, flag, resumed_settings

TINY = ["--batch-size", "32", "--max-images", "64", "--metric-samples", "0"]
TINY += ["--device", "cpu", "--no-progress"]
TINY_S2S = ["--hidden", "16", "--embed", "16", "--batch-size", "32"]
TINY_S2S += ["--device", "cpu", "--no-progress"]
TATOEBA = Path(__file__).resolve().parents[2] / "shared" / "data" / "jpn-eng" / "jpn-eng.tsv"


def load(path: Path) -> dict:
    return torch.load(path, weights_only=True, mmap=True)


@pytest.fixture(scope="module")
def lr_run(tmp_path_factory) -> Path:
    """One epoch of ``gan`` started with ``--lr 1e-3`` (the default is 2e-4)."""
    out = tmp_path_factory.mktemp("lr_run") / "run"
    assert main(["train", "gan", *TINY, "--epochs", "1", "--lr", "1e-3", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(
    ("flags", "fragments"),
    [
        (["--lr", "2e-3"], ["with --lr 0.001; this one has --lr 0.002", "resume without --lr"]),
        # Given explicitly, the default is a change too: the run trains with 1e-3.
        (["--lr", "2e-4"], ["--lr 0.001", "--lr 0.0002", "(or with --lr 0.001)"]),
        (["--beta1", "0.9", "--lr", "1e-3"], ["--beta1 0.5", "--beta1 0.9"]),
        (["--n-dis", "2"], ["--n-dis 1", "--n-dis 2"]),
        (["--precision", "bf16"], ["--precision fp32", "--precision bf16"]),
        (["--dis-batch", "joint"], ["--dis-batch separate", "--dis-batch joint"]),
        (["--grad-clip", "1"], ["no --grad-clip", "--grad-clip 1.0", "without --grad-clip,"]),
        (["--sync-batchnorm"], ["no --sync-batchnorm", "without --sync-batchnorm,"]),
        (["--z-dim", "32"], ["--z-dim 64; this one has --z-dim 32"]),
    ],
)
def test_a_changed_setting_is_refused_in_one_line_and_nothing_is_written(
    lr_run, flags, fragments, capsys
):
    before = contents(lr_run)
    result = cli(
        capsys, "train", "gan", *TINY, "--epochs", "2", "--out", str(lr_run), "--resume", *flags
    )
    assert_one_line_error(
        result, f"--out {lr_run}/", "which a resumed run cannot change", *fragments
    )
    assert contents(lr_run) == before


def _other(value):
    """A value other than ``value`` of a setting, whatever its type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    return 1 if value is None else f"{value}-other"


@pytest.mark.parametrize("method", METHODS)
def test_every_setting_but_the_changeable_ones_is_refused(method, tmp_path):
    # A new option of any method is refused by default: only the listed ones may change.
    started = settings(method, out=tmp_path)
    payload = {"metadata": {"hparams": hparams_of(started)}, "trainer": {"iteration": 4}}
    changeable = {*COMMON_CHANGEABLE, *METHODS[method].changeable}
    for key, value in hparams_of(started).items():
        if key == "method":
            continue
        changed = argparse.Namespace(**{**vars(started), key: _other(value)})
        if key in changeable:
            assert getattr(resumed_settings(changed, payload), key) == _other(value)
        else:
            refusal = f"cannot change: resume without --(no-)?{flag(key)[2:]}[ ,]"
            with pytest.raises(UserError, match=refusal):
                resumed_settings(changed, payload)


@pytest.mark.slow
def test_a_resume_keeps_the_recorded_settings_and_records_what_it_changes(lr_run, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(lr_run, out)
    assert main(["train", "gan", *TINY, "--epochs", "2", "--out", str(out), "--resume"]) == 0
    snapshot = load(out / "snapshot_epoch_0002.pt")
    assert snapshot["metadata"]["hparams"]["lr"] == 1e-3  # what the optimizers trained with
    for optimizer in snapshot["updater"]["optimizers"].values():
        assert optimizer["param_groups"][0]["lr"] == 1e-3
    history = snapshot["metadata"]["settings_history"]
    assert history == [
        {"iteration": 2, "changed": {"epochs": [1, 2], "out": [str(lr_run), str(out)]}}
    ]
    capsys.readouterr()
    assert main(["inspect", str(out / "snapshot_epoch_0002.pt")]) == 0
    shown = capsys.readouterr().out
    assert f"from iteration 2: --epochs 1 -> 2, --out {lr_run} -> {out}" in shown
    assert "  lr               0.001\n" in shown and "  epochs           2\n" in shown


def test_the_python_api_applies_the_same_rule(lr_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(lr_run, out)
    tiny = {"batch_size": 32, "max_images": 64, "device": "cpu", "metric_samples": 0}
    with pytest.raises(UserError, match=r"--lr 0\.001; this one has --lr 0\.0002"):
        build_trainer(settings("gan", epochs=2, out=out, **tiny), resume="auto")
    trainer, _ = build_trainer(
        settings("gan", epochs=2, out=out, **tiny), resume="auto", given={"epochs"}
    )
    assert trainer.updater.optimizers["gen"].param_groups[0]["lr"] == 1e-3
    assert trainer.metadata["hparams"]["lr"] == 1e-3
    assert trainer.metadata["settings_history"][-1]["changed"]["epochs"] == [1, 2]


def test_one_is_one_process_and_one_epoch(lr_run, capsys):
    before = contents(lr_run)
    result = cli(
        capsys, "train", "gan", *TINY, "--out", str(lr_run), "--resume", "--nproc-per-node", "2"
    )
    assert_one_line_error(result, "saved by 1 process, this run has 2", "--nproc-per-node 1")
    # Without --epochs the run keeps its 1 epoch, which it has trained.
    result = cli(capsys, "train", "gan", *TINY, "--out", str(lr_run), "--resume")
    assert result.returncode == 0, result.stderr
    assert f"already complete: {lr_run}/ holds 1 epoch; raise --epochs" in result.stdout
    assert contents(lr_run) == before


@pytest.mark.slow
def test_data_is_compared_by_content_not_by_path(tmp_path, capsys):
    if not TATOEBA.exists():
        pytest.skip(f"{TATOEBA} is absent")
    data = tmp_path / "pairs.tsv"
    with TATOEBA.open(encoding="utf-8") as lines:
        original = "".join(line for _, line in zip(range(300), lines, strict=False))
    assert original.count("Tom") > 20
    data.write_text(original, "utf-8")
    out = tmp_path / "run"
    argv = ["train", "seq2seq", *TINY_S2S, "--out", str(out)]
    assert main([*argv, "--epochs", "1", "--data", str(data)]) == 0
    before = contents(out)

    data.write_text(original.replace("Tom", "Ken"), "utf-8")  # edited in place
    refused = cli(capsys, *argv, "--epochs", "2", "--resume", "--data", str(data))
    assert_one_line_error(
        refused, f"--data {data}: its content changed since the run in {out}/ started"
    )
    moved = tmp_path / "elsewhere" / "pairs.tsv"
    moved.parent.mkdir()
    shutil.copy(data, moved)  # another file with the edited content
    refused = cli(capsys, *argv, "--epochs", "2", "--resume", "--data", str(moved))
    assert_one_line_error(refused, f"--data {moved}: other data than", f"--data {data} (")
    assert contents(out) == before

    moved.write_text(original, "utf-8")  # an identical copy elsewhere
    assert main([*argv, "--epochs", "2", "--resume", "--data", str(moved)]) == 0
    metadata = load(out / "snapshot_epoch_0002.pt")["metadata"]
    assert metadata["hparams"]["data"] == str(moved)
    assert metadata["settings_history"][-1]["changed"]["data"] == [str(data), str(moved)]
    assert (
        metadata["data_fingerprint"]
        == load(out / "snapshot_epoch_0001.pt")["metadata"]["data_fingerprint"]
    )


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["gan", *TINY, "--batch-size", "100000"], "--batch-size 100000"),
        (["gan", *TINY, "--data-root", "{tmp}/empty"], "--data-root"),
        (["seq2seq", *TINY_S2S, "--data", "{tmp}/missing.tsv"], "missing.tsv"),
    ],
)
def test_a_refused_run_leaves_no_output_directory(argv, fragment, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "new" / "out"
    argv = [part.format(tmp=tmp_path) for part in argv]
    assert_one_line_error(cli(capsys, "train", *argv, "--out", str(out)), fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]
    # A directory that was there stays, empty or not.
    (tmp_path / "kept").mkdir()
    assert_one_line_error(cli(capsys, "train", *argv, "--out", str(tmp_path / "kept")), fragment)
    (tmp_path / "empty" / "notes.txt").write_text("mine")
    assert_one_line_error(cli(capsys, "train", *argv, "--out", str(tmp_path / "empty")), fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "kept"]
    assert list((tmp_path / "kept").iterdir()) == []
    assert [p.name for p in (tmp_path / "empty").iterdir()] == ["notes.txt"]


@pytest.mark.distributed
def test_a_run_refused_in_its_processes_leaves_no_output_directory(tmp_path, capsys):
    out = tmp_path / "out"
    spawned = ["--batch-size", "100000", "--nproc-per-node", "2"]
    result = cli(capsys, "train", "gan", *TINY, *spawned, "--out", str(out))
    assert_one_line_error(result, "--batch-size 100000")
    assert list(tmp_path.iterdir()) == []
