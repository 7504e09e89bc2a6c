"""Exact resume in one process: a run SIGKILLed in the middle of epoch 2 and resumed equals
an uninterrupted one (tests/test_every_method.py does the same on two processes for
every method)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import process_env, records, tiny_argv, train_command

from ignite_gen import load_snapshot

KILL_AT = Path(__file__).resolve().with_name("kill_at.py")
ONE = ["--epochs", "3", "--seed", "3", "--device", "cpu", "--no-progress"]


@pytest.mark.subprocess
@pytest.mark.sigkill
@pytest.mark.slow
# seq2seq's tiny run has teacher forcing 0.5: every decoder step draws random numbers, so
# the resumed run matches only if those draws continue where the snapshot left them.
@pytest.mark.parametrize("name", ["gan", "seq2seq"])
def test_sigkill_in_epoch_two_then_resume_is_bit_exact(name, tmp_path):
    argv = train_command(name, *tiny_argv(name), *ONE)
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(
        [*argv, "--out", str(straight)], check=True, capture_output=True, env=process_env()
    )
    epoch_length = records(straight)[0]["iteration"]
    middle_of_epoch_two = epoch_length + max(1, epoch_length // 2)
    kill = [sys.executable, str(KILL_AT), str(middle_of_epoch_two), *argv[3:]]
    died = subprocess.run(
        [*kill, "--out", str(killed)],
        capture_output=True,
        env=process_env(),
        start_new_session=True,
    )
    assert died.returncode == -signal.SIGKILL
    assert [p.name for p in killed.glob("snapshot*")] == ["snapshot_epoch_0001.pt"]
    resumed = subprocess.run(
        [*argv, "--out", str(killed), "--resume"], capture_output=True, text=True, env=process_env()
    )
    assert resumed.returncode == 0, resumed.stderr

    a = load_snapshot(straight / "snapshot_epoch_0003.pt")
    b = load_snapshot(killed / "snapshot_epoch_0003.pt")
    for model in a.model_names:
        sa, sb = a.model_state(model), b.model_state(model)
        assert sa.keys() == sb.keys()
        for key in sa:
            assert torch.equal(sa[key], sb[key]), f"{model}.{key} differs after resume"
    assert records(straight) == records(killed)
    assert len(records(killed)) == 3
    assert a.metadata["elapsed_time"] > 0 and b.metadata["elapsed_time"] > 0
    if name == "seq2seq":
        assert "validation/main/bleu" in records(killed)[-1]
