"""Exact resume: a run killed by SIGKILL in epoch 2 and resumed equals an uninterrupted one."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import torch

from ignite_gen import load_snapshot

GAN = [
    "train",
    "gan",
    "--epochs",
    "3",
    "--batch-size",
    "32",
    "--max-images",
    "1280",
    "--seed",
    "3",
    "--device",
    "cpu",
    "--no-progress",
]
# Teacher forcing 0.5 makes every decoder step draw random numbers, so the resumed run
# matches only if those draws continue where the killed run's snapshot left them.
SEQ2SEQ = [
    "train",
    "seq2seq",
    "--epochs",
    "3",
    "--max-pairs",
    "1000",
    "--hidden",
    "32",
    "--embed",
    "32",
    "--batch-size",
    "32",
    "--teacher-forcing",
    "0.5",
    "--seed",
    "3",
    "--device",
    "cpu",
    "--no-progress",
]

# The three methods with labels or codes, tiny; --metric-samples 0 keeps the epoch-end
# metrics short, the label metrics and image grids still run and are resumed.
TINY = ["--epochs", "3", "--seed", "3", "--device", "cpu", "--no-progress", "--metric-samples", "0"]
CVAE = ["train", "cvae", *TINY, "--max-images", "2560", "--batch-size", "32"]
CVAEGAN = ["train", "cvaegan", *TINY, "--max-images", "640", "--batch-size", "32", "--hidden", "8"]
INFOGAN = [
    "train",
    "infogan",
    *TINY,
    "--max-images",
    "640",
    "--batch-size",
    "32",
    "--hidden",
    "8",
    "--fc",
    "64",
]
# Two data streams: 10 MNIST batches an epoch against 23 of the 8x8 digits, so the
# digits' epoch ends inside epoch 3 and both positions must come back from the snapshot.
DUALGAN = [
    "train",
    "dualgan",
    *TINY[:-2],
    "--max-images",
    "640",
    "--batch-size",
    "64",
    "--hidden",
    "4",
]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ignite_gen", *args]


def records(out) -> list[dict]:
    lines = (out / "log.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "elapsed_time"} for line in lines]


def straight_and_killed_then_resumed(args: list[str], tmp_path, into_epoch_two: float):
    """Output directories of an uninterrupted run and of one SIGKILLed ``into_epoch_two``
    seconds after its first snapshot appeared, then resumed with ``--resume``."""
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(cli(*args, "--out", str(straight)), check=True, capture_output=True)

    child = subprocess.Popen(
        cli(*args, "--out", str(killed)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not (killed / "snapshot_epoch_0001.pt").exists():
        assert child.poll() is None and time.monotonic() < deadline, "run ended before epoch 1"
        time.sleep(0.005)
    time.sleep(into_epoch_two)
    child.kill()
    child.wait()
    assert not (killed / "snapshot_epoch_0002.pt").exists(), "the kill came after epoch 2"

    resumed = subprocess.run(
        cli(*args, "--out", str(killed), "--resume"), capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    return straight, killed


def assert_same_run(straight, killed, models: tuple[str, ...]) -> None:
    a = load_snapshot(straight / "snapshot_epoch_0003.pt")
    b = load_snapshot(killed / "snapshot_epoch_0003.pt")
    for name in models:
        sa, sb = a.model_state(name), b.model_state(name)
        assert sa.keys() == sb.keys()
        for key in sa:
            assert torch.equal(sa[key], sb[key]), f"{name}.{key} differs after resume"
    assert records(straight) == records(killed)
    assert len(records(killed)) == 3
    assert a.metadata["elapsed_time"] > 0 and b.metadata["elapsed_time"] > 0


def test_sigkill_in_epoch_two_then_resume_is_bit_exact(tmp_path):
    # 0.3 s is well inside epoch 2 (40 iterations of roughly 20 ms)
    straight, killed = straight_and_killed_then_resumed(GAN, tmp_path, into_epoch_two=0.3)
    assert_same_run(straight, killed, ("gen", "dis"))


def test_seq2seq_sigkill_in_epoch_two_then_resume_is_bit_exact(tmp_path):
    # The snapshot is epoch 1's last extension, and epoch 2 is about 30 iterations of 20 ms
    # before its validation, so 0.15 s lands inside epoch 2's training.
    straight, killed = straight_and_killed_then_resumed(SEQ2SEQ, tmp_path, into_epoch_two=0.15)
    assert_same_run(straight, killed, ("main",))
    assert "validation/main/bleu" in records(killed)[-1]


@pytest.mark.parametrize(
    ("argv", "into_epoch_two", "models"),
    [
        # 80 iterations of about 3 ms
        (CVAE, 0.08, ("main",)),
        # 20 iterations of about 20 ms
        (CVAEGAN, 0.15, ("enc", "gen", "dis", "cls")),
        (INFOGAN, 0.1, ("gen", "dis")),
        # 10 iterations of about 20 ms
        (DUALGAN, 0.1, ("gen_uv", "gen_vu", "dis_u", "dis_v")),
    ],
    ids=["cvae", "cvaegan", "infogan", "dualgan"],
)
def test_label_and_code_methods_resume_bit_exactly_after_sigkill(
    tmp_path, argv, into_epoch_two, models
):
    straight, killed = straight_and_killed_then_resumed(argv, tmp_path, into_epoch_two)
    assert_same_run(straight, killed, models)
