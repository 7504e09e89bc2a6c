"""``ignite-gen train METHOD --nproc-per-node N``: real ``gloo`` processes on the CPU,
a process killed mid-run, the resumed run's outputs, and the launch mistakes.

The bit-exact resume of a killed 2-process run, and 2-process seq2seq and DualGAN runs,
are in ``test_distributed_runs.py``.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import ignite.distributed as idist
import numpy as np
import pytest
import torch
from conftest import TINY, assert_one_line_error, free_port, rank_processes, run_cli
from kill_at import KILL_NOTE, KILL_RANK

from ignite_gen import load_snapshot
from ignite_gen.cli import main
from ignite_gen.data import TensorLoader
from ignite_gen.distributed import Launch, launch
from ignite_gen.errors import UserError
from ignite_gen.methods.options import seed_rank
from ignite_gen.snapshot.rng import capture_rng, restore_rng, share_rng

#: The bound ignite_gen.distributed states: the command ends this soon after a death.
BOUND_S = 10.0
KILL_AT = Path(__file__).resolve().with_name("kill_at.py")


def run_main(capsys, *args: str) -> tuple[int, str]:
    """``ignite-gen ARGS`` in this process: the exit status and what went to stderr."""
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse's own errors
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--nproc-per-node", "0"], "argument --nproc-per-node: 0 is out of range"),
        (
            ["--nnodes", "2", "--node-rank", "2", "--master-addr", "10.0.0.1"],
            "--node-rank 2 is not below --nnodes 2; number the machines 0 to 1",
        ),
        (["--nnodes", "2", "--node-rank", "1"], "--nnodes 2 needs --master-addr"),
        (["--nproc-per-node", "2", "--backend", "nccl"], "--backend nccl runs on CUDA devices"),
        (["--master-port", "70000"], "ports go up to 65535"),
        (["--dist-timeout", "0"], "argument --dist-timeout"),
        (["--backend", "mpi"], "argument --backend: invalid choice"),
    ],
)
def test_bad_launch_flags_are_one_line_errors_before_anything_is_written(
    flags, message, tmp_path, capsys
):
    out = tmp_path / "out"
    code, err = run_main(capsys, "train", "gan", *TINY, "--out", str(out), *flags)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("ignite-gen: error: ") and message in err
    assert not out.exists()


def test_a_master_port_in_use_here_is_one_line_before_anything_is_written(tmp_path, capsys):
    with socket.socket() as other_program:
        other_program.bind(("", 0))
        other_program.listen()
        port = str(other_program.getsockname()[1])
        for flags in (["--nproc-per-node", "2"], ["--nnodes", "2", "--master-addr", "10.0.0.1"]):
            out = tmp_path / "out"
            code, err = run_main(
                capsys, "train", "gan", *TINY, "--out", str(out), "--master-port", port, *flags
            )
            assert code == 2 and err.count("\n") == 1, err
            assert f"--master-port {port} is taken on this machine" in err
            assert not out.exists()


@pytest.mark.subprocess
@pytest.mark.distributed
def test_a_machine_that_cannot_reach_machine_0_stops_in_one_line(tmp_path):
    # Nothing listens at machine 0's port: the other machine gives up after the timeout.
    flags = ["--nnodes", "2", "--node-rank", "1", "--master-addr", "127.0.0.1"]
    flags += ["--master-port", str(free_port()), "--dist-timeout", "2"]
    started = time.monotonic()
    result = run_cli("train", "gan", *TINY, "--out", str(tmp_path / "out"), *flags)
    assert_one_line_error(result, "the 2 processes could not meet at 127.0.0.1:", "machine 0")
    assert time.monotonic() - started < 60
    assert not (tmp_path / "out").exists()  # machine 0 prepares --out


def test_under_torchrun_the_process_count_is_torchruns(tmp_path, capsys, monkeypatch):
    for name, value in {"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0"}.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    code, err = run_main(capsys, "train", "gan", *TINY, "--out", str(out), "--nproc-per-node", "2")
    assert code == 2 and "torchrun started this process" in err and err.count("\n") == 1
    assert not out.exists()


def _draws() -> list[float]:
    return [random.random(), float(np.random.rand()), *torch.rand(2).tolist()]


def _rng_round_trip(out: Path) -> None:
    """In each of 2 processes: draw after seed_rank, snapshot the generators through
    rank 0, scramble them, restore, draw again; and take the idist-sharded batches."""
    rank = idist.get_rank()
    seed_rank(7)
    share_rng()
    state = capture_rng()
    if rank == 0:
        torch.save(state, out / "rng.pt")
    expected = _draws()
    idist.barrier()
    for seed in (random.seed, np.random.seed, torch.manual_seed):
        seed(0)
    restore_rng(torch.load(out / "rng.pt", weights_only=True))
    loader = TensorLoader(torch.arange(8), batch_size=2, seed=1)
    result = {
        "expected": expected,
        "restored": _draws(),
        "ranks": len(state.get("ranks", [])),
        "batches": [batch.tolist() for batch in loader],
    }
    (out / f"rank{rank}.json").write_text(json.dumps(result))
    if rank == 1:
        raise UserError("rank 1 ends with a user's mistake")


@pytest.mark.distributed
def test_processes_restore_their_own_random_state_and_report_a_mistake_in_one_line(tmp_path):
    with pytest.raises(UserError, match=r"^rank 1 ends with a user's mistake$"):
        launch(_rng_round_trip, Launch(nproc_per_node=2, backend="gloo"), tmp_path)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    for result in ranks:
        assert result["restored"] == result["expected"]
    assert ranks[0]["expected"] != ranks[1]["expected"]  # seed + rank: their own noise
    assert ranks[0]["ranks"] == 2 and ranks[1]["ranks"] == 0  # only rank 0 keeps them
    samples = [i for result in ranks for batch in result["batches"] for i in batch]
    assert sorted(samples) == list(range(8))  # idist's world size shards the loader


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory):
    """A 2-process ``train gan`` whose rank 1 SIGKILLs itself at the first iteration of
    epoch 2: its output directory, the finished command and the seconds it took to end
    after the kill, and the processes it had started."""
    out = tmp_path_factory.mktemp("killed")
    note = out.parent / f"{out.name}.kill_time"
    command = [
        sys.executable,
        str(KILL_AT),
        "5",  # 256 images, batches of 32 in each of 2 processes: 4 iterations an epoch
        "train",
        "gan",
        *TINY,
        "--epochs",
        "50",
        "--nproc-per-node",
        "2",
        "--out",
        str(out),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", KILL_RANK: "1", KILL_NOTE: str(note)}
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    deadline = time.monotonic() + 300
    ranks: list[int] = []
    while len(ranks) < 2:  # the processes live until iteration 5, long after they start
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "no 2 processes after 300 s"
        time.sleep(0.01)
        ranks = rank_processes(child.pid)
    stdout, stderr = child.communicate(timeout=420)
    seconds = time.monotonic() - float(note.read_text())
    return (
        out,
        subprocess.CompletedProcess(command, child.returncode, stdout, stderr),
        seconds,
        ranks,
    )


@pytest.mark.subprocess
@pytest.mark.sigkill
@pytest.mark.distributed
@pytest.mark.slow
def test_killing_one_process_stops_the_others_within_the_bound_in_one_line(killed_run):
    _, result, seconds, ranks = killed_run
    assert result.returncode == 2
    assert result.stderr == (
        "ignite-gen: error: process 1 of 2 died (SIGKILL); the others were stopped; "
        "resume with --resume\n"
    )
    assert seconds < BOUND_S
    assert not Path(f"/proc/{ranks[0]}").exists()  # rank 0 was stopped, not left behind


@pytest.mark.subprocess
@pytest.mark.sigkill
@pytest.mark.distributed
@pytest.mark.slow
def test_the_killed_run_resumes_into_one_log_and_one_set_of_snapshots(killed_run):
    out, *_ = killed_run
    done = load_snapshot(sorted(out.glob("snapshot_epoch_*.pt"))[-1]).metadata["epoch"]
    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ignite_gen",
            "train",
            "gan",
            *TINY,
            "--epochs",
            str(done + 1),
            "--nproc-per-node",
            "2",
            "--out",
            str(out),
            "--resume",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    assert resumed.stdout.count("done: ") == 1  # rank 0 alone reports

    assert sorted(p.name for p in out.glob("*.jsonl")) == ["log.jsonl"]
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, done + 2))
    names = sorted(p.name for p in out.glob("snapshot*"))
    assert names == [f"snapshot_epoch_{e:04d}.pt" for e in range(1, done + 2)]
    assert not list(out.glob("*.tmp*"))

    snapshot = load_snapshot(out / names[-1])  # written by 2 processes, opened in one
    assert snapshot.metadata["world_size"] == 2 and snapshot.metadata["epoch"] == done + 1
    assert snapshot.generator()(torch.randn(3, 64)).shape == (3, 1, 28, 28)


@pytest.mark.subprocess
@pytest.mark.sigkill
@pytest.mark.distributed
@pytest.mark.slow
def test_resuming_with_another_number_of_processes_is_one_line(killed_run, capsys):
    out, *_ = killed_run
    code, err = run_main(
        capsys, "train", "gan", *TINY, "--epochs", "60", "--out", str(out), "--resume"
    )
    assert code == 2
    assert err.startswith(f"ignite-gen: error: {out}/snapshot_epoch_") and err.endswith(
        ".pt: saved by 2 processes, this run has 1; resume with --nproc-per-node 2 or use "
        "another --out\n"
    )
