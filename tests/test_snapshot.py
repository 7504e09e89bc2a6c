"""Snapshots: atomic writes under SIGKILL, corrupt and foreign files, model mismatch, lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from conftest import make_regression_updater

from ignite_gen import Trainer, UserError, load_snapshot
from ignite_gen.extensions import snapshot
from ignite_gen.run_lock import RunLock
from ignite_gen.snapshot import atomic_save, latest_snapshot, read_snapshot


def trained(tmp_path, epochs=2):
    trainer = Trainer(make_regression_updater(), (epochs, "epoch"), out=tmp_path)
    trainer.extend(snapshot())
    trainer.run()
    return trainer


def test_snapshot_per_epoch_holds_state_and_metadata(tmp_path):
    trainer = trained(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("snapshot*.pt")) == [
        "snapshot_epoch_0001.pt",
        "snapshot_epoch_0002.pt",
    ]
    snap = load_snapshot(tmp_path / "snapshot_epoch_0002.pt")
    assert snap.metadata["epoch"] == 2 and snap.metadata["iteration"] == 10
    assert "main/loss" in snap.observation
    assert torch.equal(snap.model_state("main")["weight"], trainer.updater.models["main"].weight)
    assert latest_snapshot(tmp_path).name == "snapshot_epoch_0002.pt"


def test_n_retains_keeps_newest(tmp_path):
    trainer = Trainer(make_regression_updater(), (4, "epoch"), out=tmp_path)
    trainer.extend(snapshot(n_retains=2))
    trainer.run()
    assert sorted(p.name for p in tmp_path.glob("snapshot*.pt")) == [
        "snapshot_epoch_0003.pt",
        "snapshot_epoch_0004.pt",
    ]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_snapshot_is_a_one_line_user_error(tmp_path, damage):
    trained(tmp_path, epochs=1)
    path = tmp_path / "snapshot_epoch_0001.pt"
    data = path.read_bytes()
    path.write_bytes(
        {"truncate": data[: len(data) // 2], "garbage": b"\x00junk" * 50, "empty": b""}[damage]
    )
    expected = "not an ignite-gen snapshot" if damage == "garbage" else "truncated or corrupt"
    with pytest.raises(UserError, match=expected) as info:
        read_snapshot(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_foreign_file_is_rejected(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(UserError, match="not an ignite-gen snapshot"):
        read_snapshot(path)


def test_snapshot_of_a_different_model_names_the_keys(tmp_path):
    trained(tmp_path, epochs=1)
    other = make_regression_updater()
    other.models["main"] = torch.nn.Sequential(torch.nn.Linear(3, 1))
    trainer = Trainer(other, (2, "epoch"), out=tmp_path, resume="auto")
    with pytest.raises(
        UserError, match=r"model 'main' does not match.*missing: 0\.bias, 0\.weight"
    ):
        trainer.run()


@pytest.mark.subprocess
@pytest.mark.sigkill
def test_kill_during_snapshot_write_keeps_previous_loadable(tmp_path):
    good = tmp_path / "snapshot_epoch_0001.pt"
    atomic_save({"format": "ignite-gen-snapshot/1", "x": torch.arange(3)}, good)
    before = good.read_bytes()
    # The child starts writing a large object to the same path and is SIGKILLed from
    # inside torch.save, after part of the data has reached the file.
    script = textwrap.dedent(f"""
        import os, signal, torch, pathlib
        from ignite_gen.snapshot import atomic_save
        real_save = torch.save
        def dying_save(obj, file, *a, **k):
            file.write(b"partial" * 1000)
            file.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        torch.save = dying_save
        atomic_save({{"big": torch.zeros(10**6)}}, pathlib.Path({str(good)!r}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert good.read_bytes() == before
    assert read_snapshot(good)["x"].tolist() == [0, 1, 2]


def test_run_lock_refuses_a_second_live_run(tmp_path):
    with RunLock(tmp_path):
        busy = pytest.raises(UserError, match="in use by another live run")
        with busy as info, RunLock(tmp_path):
            pass
        assert str(os.getpid()) in str(info.value)
    with RunLock(tmp_path):  # released: can be taken again
        pass


@pytest.mark.subprocess
@pytest.mark.sigkill
def test_lock_of_a_killed_process_is_released(tmp_path):
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import time
        from ignite_gen.run_lock import RunLock
        with RunLock({str(tmp_path)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "locked"
    with pytest.raises(UserError):
        RunLock(tmp_path).__enter__()
    child.kill()
    child.wait()
    with RunLock(tmp_path):
        pass


def test_atomic_files_get_the_usual_permissions(tmp_path):
    path = atomic_save({"x": torch.zeros(1)}, tmp_path / "weights.pt")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_resume_carries_the_runs_metadata_over(tmp_path):
    first = Trainer(make_regression_updater(), (1, "epoch"), out=tmp_path, metadata={"a": 1})
    first.extend(snapshot())
    first.run()
    resumed = Trainer(
        make_regression_updater(), (2, "epoch"), out=tmp_path, resume="auto", metadata={"b": 2}
    )
    resumed.extend(snapshot())
    resumed.run()
    assert resumed.metadata["a"] == 1 and resumed.metadata["b"] == 2
    assert "wall_time" not in resumed.metadata  # what the writer records is not carried
    assert read_snapshot(tmp_path / "snapshot_epoch_0002.pt")["metadata"]["a"] == 1
