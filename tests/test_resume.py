"""Exact resume: a run killed by SIGKILL in epoch 2 and resumed equals an uninterrupted one."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import torch

from ignite_gen import load_snapshot

ARGS = [
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


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ignite_gen", *args]


def records(out) -> list[dict]:
    lines = (out / "log.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "elapsed_time"} for line in lines]


def test_sigkill_in_epoch_two_then_resume_is_bit_exact(tmp_path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(cli(*ARGS, "--out", str(straight)), check=True, capture_output=True)

    child = subprocess.Popen(
        cli(*ARGS, "--out", str(killed)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not (killed / "snapshot_epoch_0001.pt").exists():
        assert child.poll() is None and time.monotonic() < deadline, "run ended before epoch 1"
        time.sleep(0.005)
    time.sleep(0.3)  # well inside epoch 2 (40 iterations of roughly 20 ms)
    child.kill()
    child.wait()
    assert not (killed / "snapshot_epoch_0002.pt").exists(), "the kill came after epoch 2"

    resumed = subprocess.run(
        cli(*ARGS, "--out", str(killed), "--resume"), capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr

    a = load_snapshot(straight / "snapshot_epoch_0003.pt")
    b = load_snapshot(killed / "snapshot_epoch_0003.pt")
    for name in ("gen", "dis"):
        sa, sb = a.model_state(name), b.model_state(name)
        assert sa.keys() == sb.keys()
        for key in sa:
            assert torch.equal(sa[key], sb[key]), f"{name}.{key} differs after resume"
    assert records(straight) == records(killed)
    assert len(records(killed)) == 3
    assert a.metadata["elapsed_time"] > 0 and b.metadata["elapsed_time"] > 0
