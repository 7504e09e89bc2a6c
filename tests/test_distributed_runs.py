"""The issue's acceptance runs: ``ignite-gen train METHOD --nproc-per-node 2`` as real
``gloo`` processes on the CPU, for ``gan`` (SIGKILLed, then resumed bit-exactly; and
the same run started by torchrun),
``seq2seq`` and ``dualgan`` (one log, one set of snapshots, a falling loss, a snapshot
that one process uses), and ``--sync-batchnorm`` refused on the CPU before any process
starts.

Each run is a fresh command (its start-up is part of what is tested); the commands that
read a snapshot run in this process, which spares an interpreter's seconds of imports.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import free_port
from PIL import Image
from torchvision.utils import save_image

from ignite_gen import load_snapshot
from ignite_gen.cli import main
from ignite_gen.data import BucketLoader
from ignite_gen.errors import ArgumentError
from ignite_gen.extensions import TranslationEvaluator
from ignite_gen.methods import METHODS, build_run, settings
from ignite_gen.methods.seq2seq import translation_corpus
from ignite_gen.metrics import DOMAINS, held_out_split, load_classifier

TWO = ["--nproc-per-node", "2", "--device", "cpu", "--no-progress"]
GAN = [
    "train",
    "gan",
    *TWO,
    "--max-images",
    "256",
    "--batch-size",
    "32",
    "--metric-samples",
    "0",
    "--seed",
    "5",
    "--epochs",
    "3",
]
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
# 128 images in batches of 16: 4 iterations per process an epoch, enough for every loss
# of a 4-channel DualGAN to fall from epoch 1 to epoch 2.
DUALGAN = [
    "train",
    "dualgan",
    *TWO,
    "--max-images",
    "128",
    "--batch-size",
    "16",
    "--hidden",
    "4",
    "--seed",
    "2",
    "--epochs",
    "2",
]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ignite_gen", *args]


def env() -> dict[str, str]:
    """This process's environment (read now: conftest points the metric cache at the
    session's own directory), each process on one thread."""
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def train(args: list[str], out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``ignite-gen ARGS --out OUT EXTRA`` to its end, which must be a success."""
    result = subprocess.run(
        command(*args, "--out", str(out), *extra), capture_output=True, text=True, env=env()
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def records(out: Path) -> list[dict[str, Any]]:
    """The log's records without their wall-clock times."""
    lines = (out / "log.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "elapsed_time"} for line in lines]


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


def assert_equal(a: Any, b: Any, where: str) -> None:
    """``a`` and ``b`` are the same nested state: equal tensors (``torch.equal``), keys and
    plain values."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), f"{where} differs"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys differ"
        for key in a:
            assert_equal(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_equal(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def gan_runs(tmp_path_factory) -> tuple[Path, Path]:
    """A 2-process ``train gan`` to epoch 3, and the same command SIGKILLed (launcher and
    processes at once) as soon as its epoch-1 snapshot exists, then resumed to epoch 3."""
    root = tmp_path_factory.mktemp("gan")
    straight, killed = root / "straight", root / "killed"
    train(GAN, straight)
    quiet = subprocess.DEVNULL
    child = subprocess.Popen(
        command(*GAN, "--out", str(killed)),
        stdout=quiet,
        stderr=quiet,
        env=env(),
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not (killed / "snapshot_epoch_0001.pt").exists():
        assert child.poll() is None, "the run ended before its first snapshot"
        assert time.monotonic() < deadline, "no snapshot after 120 s"
        time.sleep(0.01)
    # The whole process group, as a machine that loses power would: no process stops the
    # others or tidies up.
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    assert not (killed / "snapshot_epoch_0003.pt").exists(), "the kill came after the end"
    train(GAN, killed, "--resume")
    return straight, killed


def test_a_sigkilled_two_process_gan_resumes_bit_exactly(gan_runs):
    straight, killed = gan_runs
    assert records(killed) == records(straight)
    assert len(assert_one_run(killed, 3)) == 3
    a, b = (load_snapshot(out / "snapshot_epoch_0003.pt") for out in gan_runs)
    assert a.metadata["world_size"] == b.metadata["world_size"] == 2
    for part in ("models", "optimizers", "iterator", "iteration"):
        assert_equal(a.payload["updater"][part], b.payload["updater"][part], part)
    # Both processes' generators, so a second kill and resume would continue exactly too.
    assert_equal(a.payload["rng"], b.payload["rng"], "rng")
    assert b.payload["updater"]["optimizers"]["gen"]["state"]  # Adam's moments were compared


def test_torchrun_trains_the_same_run_as_nproc_per_node(gan_runs, tmp_path):
    straight, _ = gan_runs
    out = tmp_path / "torchrun"
    args = [arg for arg in GAN if arg not in ("--nproc-per-node", "2")] + ["--out", str(out)]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    torchrun += ["--master-port", str(free_port()), "-m", "ignite_gen", *args]
    result = subprocess.run(torchrun, capture_output=True, text=True, env=env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("done: 3 epochs") == 1  # rank 0 alone reports
    assert records(out) == records(straight)
    a, b = (load_snapshot(path / "snapshot_epoch_0003.pt") for path in (straight, out))
    assert b.metadata["world_size"] == 2
    assert_equal(a.payload["updater"]["models"], b.payload["updater"]["models"], "models")


@pytest.fixture(scope="module")
def seq2seq_run(tmp_path_factory) -> tuple[Path, str]:
    """A 2-process ``train seq2seq`` on 300 pairs of the bundled grammar: its output
    directory and what it printed."""
    out = tmp_path_factory.mktemp("seq2seq") / "run"
    return out, train(SEQ2SEQ, out).stdout


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


@pytest.fixture(scope="module")
def dualgan_run(tmp_path_factory) -> Path:
    """A 2-process ``train dualgan``, 4 iterations an epoch in each process."""
    out = tmp_path_factory.mktemp("dualgan") / "run"
    # The label-preservation classifiers, trained here once for the session if need be,
    # rather than by both processes at once.
    for domain in DOMAINS:
        load_classifier(domain=domain)
    train(DUALGAN, out)
    return out


def test_two_process_dualgan_trains_one_run_that_one_process_uses(dualgan_run, tmp_path, capsys):
    log = assert_one_run(dualgan_run, 2)
    for key in ("dis/loss", "gen/loss", "gen/rec_u", "gen/rec_v"):
        assert log[-1][key] < log[0][key], key
    snapshot = str(dualgan_run / "snapshot_epoch_0002.pt")
    capsys.readouterr()
    assert main(["inspect", snapshot]) == 0
    assert "gen_uv" in capsys.readouterr().out
    _, _, images, _ = held_out_split("mnist")
    source = tmp_path / "digit.png"
    save_image((images[0] + 1) / 2, source)
    assert main(["translate", snapshot, str(source), "--to", "v", "-o", str(tmp_path)]) == 0
    with Image.open(tmp_path / "digit_to_v.png") as translated:
        assert translated.size == (28, 28)
    capsys.readouterr()
    assert main(["evaluate", snapshot, "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert 0 <= scores["u_to_v"] <= 1 and 0 <= scores["v_to_u"] <= 1


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
def test_every_method_hands_sync_batchnorm_to_its_updater(method):
    """The base updater refuses ``sync_batchnorm=True`` on the CPU: reaching that error
    shows the setting passed through the method and its updater."""
    tiny = {"max_pairs": 40, "min_freq": 1} if method == "seq2seq" else {"max_images": 64}
    with pytest.raises(ArgumentError, match=r"^sync_batchnorm=True needs CUDA and the nccl"):
        build_run(settings(method, device="cpu", sync_batchnorm=True, **tiny))
    assert settings(method).sync_batchnorm is False
