"""The scripts in examples/ run as a user would run them, and stay short and public."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import free_port
from PIL import Image

from ignite_gen import load_snapshot

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.subprocess
def test_train_gan_example(tmp_path):
    result = run_example(
        "train_gan.py",
        "--epochs",
        "2",
        "--images",
        "256",
        "--out",
        str(tmp_path),
        "--device",
        "cpu",
    )
    assert "dis/loss" in result.stdout
    assert (tmp_path / "samples_epoch_001.png").is_file()
    assert (tmp_path / "samples_epoch_002.png").is_file()
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    snapshots = sorted(p.name for p in tmp_path.glob("snapshot*.pt"))
    assert snapshots == ["snapshot_epoch_0001.pt", "snapshot_epoch_0002.pt"]


@pytest.mark.subprocess
def test_custom_updater_example(tmp_path):
    run_example("custom_updater.py", "--epochs", "2", "--images", "400", "--out", str(tmp_path))
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert records[1]["main/loss"] < records[0]["main/loss"]  # the VAE learns
    assert abs(records[1]["main/loss"] - records[1]["main/rec"] - records[1]["main/kl"]) < 1e-3
    assert (tmp_path / "loss.png").is_file()
    snap = load_snapshot(tmp_path / "snapshot_epoch_0002.pt")
    assert snap.model_names == ["main"] and snap.metadata["updater"] == "VAEUpdater"


@pytest.mark.parametrize("name", ["train_ebgan.py", "train_wgan.py", "train_lsgan.py"])
@pytest.mark.subprocess
def test_gan_family_examples(name, tmp_path):
    args = ["--epochs", "1", "--images", "256", "--device", "cpu", "--out", str(tmp_path)]
    result = run_example(name, *args)
    assert "dis/loss" in result.stdout
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert len(records) == 1 and records[0]["epoch"] == 1 and "dis/loss" in records[0]
    assert (tmp_path / "images" / "epoch_0001.png").is_file()
    snap = load_snapshot(tmp_path / "snapshot_epoch_0001.pt")  # rebuilt by registry name
    images = snap.generator()(torch.randn(2, 64))
    assert snap.model("dis")(images).shape == (images.shape if "ebgan" in name else (2, 1))


@pytest.mark.subprocess
def test_train_cvae_example(tmp_path):
    args = ["--epochs", "2", "--images", "128", "--device", "cpu", "--out", str(tmp_path)]
    result = run_example("train_cvae.py", *args)
    assert "main/conditional_accuracy" in result.stdout
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    assert all(0 <= r["main/conditional_accuracy"] <= 1 for r in records)
    for epoch in (1, 2):
        with Image.open(tmp_path / "images" / f"epoch_{epoch:04d}.png") as image:
            assert image.size == (10 * 30 + 2, 10 * 30 + 2)  # one row of 10 per digit
    assert load_snapshot(tmp_path / "snapshot_epoch_0002.pt").model_names == ["main"]


@pytest.mark.subprocess
@pytest.mark.distributed
def test_parallel_example_trains_in_two_processes_and_resumes_exactly(tmp_path):
    def train(out: Path, epochs: int) -> str:
        args = ["--epochs", str(epochs), "--images", "256", "--out", str(out), "--resume"]
        return run_example("train_gan_parallel.py", *args, "--master-port", str(free_port())).stdout

    train(tmp_path / "whole", 2)
    train(tmp_path / "split", 1)
    printed = train(tmp_path / "split", 2)
    assert printed.count("dis/loss") == 1  # one process prints
    records = [json.loads(line) for line in (tmp_path / "split/log.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["iteration"]) for r in records] == [(1, 4), (2, 8)]  # 256 / 32 / 2
    assert sorted(p.name for p in (tmp_path / "split/images").iterdir()) == [
        "epoch_0001.png",
        "epoch_0002.png",
    ]
    whole = load_snapshot(tmp_path / "whole/snapshot_epoch_0002.pt")
    split = load_snapshot(tmp_path / "split/snapshot_epoch_0002.pt")  # in this one process
    for name in ("gen", "dis"):
        resumed = split.model(name).state_dict()
        for key, value in whole.model(name).state_dict().items():
            assert torch.equal(resumed[key], value), f"{name}.{key}"
    assert split.generator()(torch.randn(2, 64)).shape == (2, 1, 28, 28)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_examples_are_short_and_use_only_public_names(path):
    source = path.read_text()
    assert len(source.splitlines()) < 80
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module.startswith("ignite_gen"):
            assert not any(part.startswith("_") for part in node.module.split("."))
            assert not any(alias.name.startswith("_") for alias in node.names)


@pytest.mark.subprocess
def test_seq2seq_examples(tmp_path):
    run_example(
        "train_seq2seq.py",
        "--epochs",
        "1",
        "--pairs",
        "300",
        "--hidden",
        "16",
        "--out",
        str(tmp_path / "example"),
    )
    records = (tmp_path / "example" / "log.jsonl").read_text().splitlines()
    assert "validation/main/bleu" in json.loads(records[0])
    cli = [sys.executable, "-m", "ignite_gen", "train", "seq2seq", "--epochs", "1"]
    cli += ["--max-pairs", "300", "--hidden", "16", "--embed", "16", "--no-progress"]
    subprocess.run([*cli, "--out", str(tmp_path / "cli")], check=True, capture_output=True)
    snap = str(tmp_path / "cli" / "snapshot_epoch_0001.pt")
    result = run_example("translate.py", snap, "猫は牛乳を飲みます。", "--beam", "2")
    assert result.stdout.startswith("猫は牛乳を飲みます。 -> ")
