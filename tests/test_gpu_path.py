"""The GPU path: every updater trains between log points without a GPU->host sync (in fp32
and bf16), the training data lives on the run's device, seq2seq's lengths stay on the CPU
from the loader into the encoder, and ``benchmarks/gpu_check.py`` prints its tables.

The CUDA tests skip without a GPU; the CPU tests run the same loop with a recorder of
the calls in ignite-gen's code that would sync on a GPU, and check the devices with
PyTorch's ``meta`` device standing in for a GPU.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from conftest import tiny_settings

from ignite_gen import reporter
from ignite_gen.data import BucketLoader, JapaneseTokenizer
from ignite_gen.errors import ArgumentError
from ignite_gen.methods import METHODS, build_run, get_method, settings
from ignite_gen.models import Seq2Seq, build_model
from ignite_gen.models.noise import sample_noise
from ignite_gen.trainer import Trainer
from ignite_gen.updaters import gan as gan_module
from ignite_gen.updaters.seq2seq import keep_lengths_on_cpu

# Appended, so that no module of the benchmarks can shadow an installed one.
sys.path.append(str(Path(__file__).resolve().parents[1] / "benchmarks"))
import gpu_check
import gpu_sync

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
# The methods that train on images: those with a --max-images option.
IMAGE_METHODS = [name for name in METHODS if "max_images" in vars(settings(name))]
TINY_SEQ2SEQ = {"max_pairs": 300, "batch_size": 8, "hidden": 8, "embed": 8}


@pytest.fixture
def japanese(monkeypatch):
    """Japanese split into characters where MeCab is missing (the GPU machine has none)."""
    if not gpu_check.mecab_works():
        monkeypatch.setattr(JapaneseTokenizer, "__call__", gpu_check.split_characters)


@CUDA
@pytest.mark.parametrize("precision", gpu_sync.PRECISIONS)
@pytest.mark.parametrize("name", list(gpu_sync.RUNS))
def test_200_iterations_without_a_sync_on_cuda(name, precision, tmp_path, japanese):
    try:
        result = gpu_sync.checked_run(name, "cuda", precision, 200, 100, tmp_path)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert result.iterations == 200
    assert [record["iteration"] for record in result.log] == [100, 200]
    assert result.data == {"cuda"}


@pytest.mark.parametrize("name", list(gpu_sync.RUNS))
@pytest.mark.slow
def test_the_checked_loop_on_cpu_reads_nothing_to_the_host(name, tmp_path, japanese):
    result = gpu_sync.checked_run(name, "cpu", "fp32", 3, 2, tmp_path)
    assert result.iterations == 3
    assert result.reads == ()
    assert [record["iteration"] for record in result.log] == [2]
    assert result.data == {"cpu"}


@pytest.mark.slow
def test_the_recorder_names_a_per_iteration_read_in_ignite_gen(tmp_path, monkeypatch):
    def reading_report(values):
        for value in values.values():
            reporter.to_float(value)  # float() inside ignite_gen/reporter.py
        reporter.report(values)

    monkeypatch.setattr(gan_module, "report", reading_report)
    result = gpu_sync.checked_run("gan", "cpu", "fp32", 3, 2, tmp_path)
    # dis/loss and gen/loss of every update: only the log points' reads are let through.
    reads = [read for read in result.reads if read.startswith("ignite_gen/reporter.py:")]
    assert len(reads) == 6 and all(read.endswith(" __float__") for read in reads)


def test_the_recorder_flags_blocking_moves_only():
    gen = build_model("dcgan-generator", z_dim=4)
    with gpu_sync.HostReads() as reads:
        reads.active = True
        sample_noise(gen, 2, torch.device("cpu"))  # drawn on the device: no copy
        sample_noise(gen, 2, torch.device("cpu"), torch.Generator())  # drawn, then .to()
    [call] = reads.calls
    assert call.startswith("ignite_gen/models/noise.py:") and call.endswith(" to")


@pytest.mark.parametrize("method", IMAGE_METHODS)
def test_image_batches_are_cut_on_the_run_device(method):
    run = get_method(method).build(tiny_settings(method), torch.device("meta"))
    batch = next(iter(run.updater.iterator))
    tensors = batch if isinstance(batch, (tuple, list)) else (batch,)
    flat = [t for part in tensors for t in (part if isinstance(part, (tuple, list)) else (part,))]
    assert flat and {t.device.type for t in flat} == {"meta"}


def test_seq2seq_batches_keep_lengths_on_the_cpu(japanese):
    chosen = settings("seq2seq", **TINY_SEQ2SEQ)
    run = get_method("seq2seq").build(chosen, torch.device("meta"))
    src, lengths, tgt = batch = next(iter(run.updater.iterator))
    assert (src.device.type, lengths.device.type, tgt.device.type) == ("meta", "cpu", "meta")
    assert keep_lengths_on_cpu(batch, torch.device("meta"))[1] is lengths


def test_bucket_loader_pads_for_its_device_and_keeps_lengths_on_the_cpu():
    loader = BucketLoader([([5, 6, 2], [1, 7, 2]), ([5, 2], [1, 8, 9, 2])], 2, device="meta")
    src, lengths, tgt = next(iter(loader))
    assert (src.device.type, tgt.device.type) == ("meta", "meta")
    assert lengths.device.type == "cpu" and lengths.tolist() == [2, 3]  # longest target first


class WatchedLengths(torch.Tensor):
    """Lengths that note each move or copy made of the very tensors the loader made."""

    made: list[torch.Tensor] = []  # noqa: RUF012 (reset by the test)
    moves: list[str] = []  # noqa: RUF012
    MOVES = (
        torch.Tensor.to,
        torch.Tensor.cpu,
        torch.Tensor.cuda,
        torch.Tensor.clone,
        torch.Tensor.copy_,
        torch.Tensor.pin_memory,
        torch.Tensor.contiguous,
    )

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in cls.MOVES and any(args[0] is made for made in cls.made):
            cls.moves.append(func.__name__)
        return super().__torch_function__(func, types, args, kwargs or {})


def test_lengths_reach_encode_as_the_loader_made_them(tmp_path, monkeypatch, japanese):
    run = build_run(settings("seq2seq", device="cpu", **TINY_SEQ2SEQ))
    loader, model = run.updater.iterator, run.updater.models["main"]
    WatchedLengths.made, WatchedLengths.moves, received = [], [], []
    make_batch, encode = loader._batch, model.encode

    def watched_batch(plan, index):
        src, lengths, tgt = make_batch(plan, index)
        WatchedLengths.made.append(lengths.as_subclass(WatchedLengths))
        return src, WatchedLengths.made[-1], tgt

    def watched_encode(src, lengths):
        received.append(lengths)
        return encode(src, lengths)

    monkeypatch.setattr(loader, "_batch", watched_batch)
    monkeypatch.setattr(model, "encode", watched_encode)
    Trainer(run.updater, (3, "iteration"), out=tmp_path).run()
    assert len(received) == 3
    assert all(got is made for got, made in zip(received, WatchedLengths.made, strict=True))
    assert {lengths.device.type for lengths in received} == {"cpu"}
    assert WatchedLengths.moves == []


def test_encode_refuses_lengths_off_the_cpu():
    model = Seq2Seq(src_vocab=10, tgt_vocab=10, embed=4, hidden=4)
    with pytest.raises(ArgumentError, match="lengths is on meta; keep it on the CPU"):
        model.encode(torch.tensor([[5, 6]]), torch.tensor([2], device="meta"))


@pytest.mark.slow
def test_gpu_check_prints_its_tables_on_cpu(capsys, japanese):
    status = gpu_check.main(
        [
            "--device",
            "cpu",
            "--runs",
            "seq2seq",
            "seq2seq-forced",
            "--precisions",
            "fp32",
            "--iterations",
            "3",
            "--log-every",
            "2",
            "--timed",
            "2",
            "--warmup",
            "1",
            "--batch-size",
            "4",
            "--hidden",
            "8",
            "--pairs",
            "300",
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[0].startswith("gpu_check: ") and f"torch {torch.__version__}" in lines[0]
    start = lines.index(gpu_check.SYNC_HEADER) + 1
    assert lines[start + 2] == ""  # one row a run and precision
    for name, row in zip(("seq2seq", "seq2seq-forced"), lines[start : start + 2], strict=True):
        cells = row.split()
        assert cells[:4] == [name, "fp32", "cpu", "3"] and float(cells[4]) > 0
        assert row.endswith("no host reads")
    rows = [row.split() for row in lines[lines.index(gpu_check.THROUGHPUT_HEADER) + 1 :]]
    assert [row[0] for row in rows] == ["dcgan", "seq2seq"]
    for _, ignite_gen, hand, ratio in rows:
        assert float(ignite_gen) > 0 and float(hand) > 0
        assert float(ratio) == pytest.approx(float(ignite_gen) / float(hand), rel=0.05)
