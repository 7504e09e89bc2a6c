"""``benchmarks/scaling.py --quick``: 1 process against 2 ``gloo`` processes, for DCGAN
and seq2seq, run as the command it is, with its table and logs read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TATOEBA = ROOT / ".." / "shared/data/jpn-eng/jpn-eng.tsv"


@pytest.mark.subprocess
@pytest.mark.distributed
def test_quick_run_prints_a_row_per_method_and_process_count_from_their_logs(tmp_path):
    # One test, not two sharing a fixture: pytest-xdist could run the benchmark twice.
    if not TATOEBA.is_file():
        pytest.skip(f"{TATOEBA} is not here")
    command = [sys.executable, str(ROOT / "benchmarks/scaling.py"), "--quick"]
    done = subprocess.run(
        [*command, "--out-root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    assert cells[0][:6] == [
        "method",
        "processes x batch",
        "seed",
        "threads each",
        "iterations timed",
        "samples/s",
    ]
    assert all(len(row) == 9 for row in cells)
    assert [row[:5] for row in cells[1:]] == [
        ["gan", "1 x 16", "0", "2", "4"],
        ["gan", "2 x 8", "0", "1", "4"],
        ["gan", "1 x 16", "1", "2", "4"],
        ["seq2seq", "1 x 16", "0", "2", "4"],
        ["seq2seq", "2 x 8", "0", "1", "4"],
        ["seq2seq", "1 x 16", "1", "2", "4"],
    ]
    for first, *others in (cells[1:4], cells[4:7]):
        assert first[6] == "" and first[8] == ""  # the reference row
        for row in (first, *others):
            assert float(row[5]) > 0
        for row in others:
            assert float(row[6]) > 0 and "%" in row[8]  # ratio and loss difference
    for method, losses in (("gan", ("gen/loss", "dis/loss")), ("seq2seq", ("main/loss",))):
        verdict = next(line for line in done.stdout.splitlines() if line.startswith(method + ":"))
        assert " 2 processes train " in verdict and "loss curves per sample seen " in verdict
        assert "(another seed: " in verdict
        for nproc, seed in ((1, 0), (2, 0), (1, 1)):
            folder = tmp_path / f"scaling-quick-{method}-{nproc}-seed{seed}"
            records = [json.loads(line) for line in (folder / "scaling.jsonl").open()]
            assert [r["iteration"] for r in records] == [2, 4, 6]
            assert all(r[key] > 0 for r in records for key in losses)
            run = json.loads((folder / "run.json").read_text())
            assert run == {"threads": [2] if nproc == 1 else [1, 1], "world_size": nproc}
        logs = [tmp_path / f"scaling-quick-{method}-1-seed{seed}/scaling.jsonl" for seed in (0, 1)]
        first, reseeded = (json.loads(log.read_text().splitlines()[0]) for log in logs)
        assert first[losses[0]] != reseeded[losses[0]]  # --seed reached the run
