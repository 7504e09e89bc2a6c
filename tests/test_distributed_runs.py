"""``ignite-gen train METHOD --nproc-per-node 2`` as real ``gloo`` processes on the CPU,
beyond what tests/test_every_method.py checks of every method (trained, SIGKILLed and
resumed bit-exactly, its snapshot used by one process): ``gan`` started by torchrun
trains the same run, ``seq2seq`` scores every validation pair in each process and
reports once, and ``--sync-batchnorm`` is refused on the CPU before any process starts.

Each run is a fresh command (its start-up is part of what is tested); the commands that
read a snapshot run in this process, which spares an interpreter's seconds of imports.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import TINY, assert_same_state, free_port, process_env, records, tiny_settings

from ignite_gen import load_snapshot
from ignite_gen.cli import main
from ignite_gen.data import BucketLoader
from ignite_gen.errors import ArgumentError
from ignite_gen.extensions import TranslationEvaluator
from ignite_gen.methods import METHODS, build_run, settings
from ignite_gen.methods.seq2seq import translation_corpus

TWO = ["--nproc-per-node", "2", "--device", "cpu", "--no-progress"]
GAN = ["train", "gan", "--nproc-per-node", "2", *TINY, "--epochs", "3"]
# 268 training pairs and 14 validation pairs in batches of 4: four validation batches,
# which sharding would split between the processes.
SEQ2SEQ_SETTINGS = {"max_pairs": 300, "hidden": 16, "embed": 16, "seed": 3, "batch_size": 4}
SEQ2SEQ = [
    "train",
    "seq2seq",
    *TWO,
    "--max-pairs",
    "300",
    "--hidden",
    "16",
    "--embed",
    "16",
    "--seed",
    "3",
    "--batch-size",
    "4",
    "--epochs",
    "2",
]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ignite_gen", *args]


def train(args: list[str], out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``ignite-gen ARGS --out OUT EXTRA`` to its end, which must be a success."""
    result = subprocess.run(
        command(*args, "--out", str(out), *extra), capture_output=True, text=True, env=process_env()
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def assert_one_run(out: Path, epochs: int) -> list[dict[str, Any]]:
    """``out`` holds one log with a record per epoch and one snapshot per epoch (rank 0
    alone wrote them); returns the records."""
    assert sorted(p.name for p in out.glob("*.jsonl")) == ["log.jsonl"]
    log = records(out)
    assert [r["epoch"] for r in log] == list(range(1, epochs + 1))
    names = sorted(p.name for p in out.glob("snapshot*"))
    assert names == [f"snapshot_epoch_{e:04d}.pt" for e in range(1, epochs + 1)]
    assert not list(out.glob("**/*.tmp*"))
    return log


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory) -> Path:
    """A 2-process ``train gan`` to epoch 3."""
    out = tmp_path_factory.mktemp("gan") / "straight"
    train(GAN, out)
    return out


@pytest.mark.subprocess
@pytest.mark.distributed
@pytest.mark.slow
def test_torchrun_trains_the_same_run_as_nproc_per_node(gan_run, tmp_path):
    straight = gan_run
    out = tmp_path / "torchrun"
    args = [arg for arg in GAN if arg not in ("--nproc-per-node", "2")] + ["--out", str(out)]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    torchrun += ["--master-port", str(free_port()), "-m", "ignite_gen", *args]
    result = subprocess.run(torchrun, capture_output=True, text=True, env=process_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("done: 3 epochs") == 1  # rank 0 alone reports
    assert records(out) == records(straight)
    a, b = (load_snapshot(path / "snapshot_epoch_0003.pt") for path in (straight, out))
    assert b.metadata["world_size"] == 2
    assert_same_state(a.payload["updater"]["models"], b.payload["updater"]["models"], "models")


@pytest.fixture(scope="module")
def seq2seq_run(tmp_path_factory) -> tuple[Path, str]:
    """A 2-process ``train seq2seq`` on 300 pairs of the bundled grammar: its output
    directory and what it printed."""
    out = tmp_path_factory.mktemp("seq2seq") / "run"
    return out, train(SEQ2SEQ, out).stdout


@pytest.mark.subprocess
@pytest.mark.distributed
@pytest.mark.slow
def test_two_process_seq2seq_trains_one_run_that_translates_in_one_process(seq2seq_run, capsys):
    out, stdout = seq2seq_run
    log = assert_one_run(out, 2)
    assert stdout.count("done: ") == 1 and stdout.count("validation: BLEU") == 1
    assert log[-1]["main/loss"] < log[0]["main/loss"]
    snapshot = out / "snapshot_epoch_0002.pt"
    assert load_snapshot(snapshot).metadata["world_size"] == 2
    capsys.readouterr()
    assert main(["translate", str(snapshot), "私は本を読みます。"]) == 0
    translations = capsys.readouterr().out.splitlines()
    assert len(translations) == 1 and translations[0].strip()


@pytest.mark.subprocess
@pytest.mark.distributed
@pytest.mark.slow
def test_every_process_scores_the_whole_validation_set(seq2seq_run):
    """The logged validation loss (the mean of both processes') equals the loss of the
    snapshot's model over every validation pair, computed here in one process: with each
    process scoring only its half, it would be a mean of two halves' per-token means."""
    out, _ = seq2seq_run
    chosen = settings("seq2seq", **SEQ2SEQ_SETTINGS)
    corpus = translation_corpus(chosen)
    src_vocab, tgt_vocab = corpus.vocabularies
    valid = BucketLoader(corpus.encoded("valid"), chosen.batch_size, shuffle=False)
    assert len(valid) == 4  # sharded, each process would score two batches
    evaluator = TranslationEvaluator(
        valid, src_vocab, tgt_vocab, corpus.references("valid"), casing=corpus.casing
    )
    model = load_snapshot(out / "snapshot_epoch_0002.pt").model("main")
    with torch.no_grad():
        whole = evaluator.evaluate(model, torch.device("cpu"))
    assert records(out)[-1]["validation/main/loss"] == pytest.approx(whole["loss"], rel=1e-5)


@pytest.mark.parametrize(
    "flags",
    [
        ["--sync-batchnorm", "--device", "cpu"],
        ["--device", "cpu", "--sync-batchnorm"],
        ["--sync-batchnorm", "--backend", "gloo", "--device", "cpu"],
    ],
    ids=["flag-first", "device-first", "gloo"],
)
def test_sync_batchnorm_on_the_cpu_is_one_line_before_anything_starts(flags, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["train", "gan", "--nproc-per-node", "2", "--out", str(out), *flags]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("ignite-gen: error: --sync-batchnorm needs ")
    assert "leave it off to share rank 0's BatchNorm statistics" in err
    assert not out.exists()


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.slow
def test_every_method_hands_sync_batchnorm_to_its_updater(method):
    """The base updater refuses ``sync_batchnorm=True`` on the CPU: reaching that error
    shows the setting passed through the method and its updater."""
    with pytest.raises(ArgumentError, match=r"^sync_batchnorm=True needs CUDA and the nccl"):
        build_run(tiny_settings(method, "--sync-batchnorm"))
    assert settings(method).sync_batchnorm is False
