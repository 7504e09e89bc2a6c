"""Issue 5 from the command line: translate with any epoch's snapshot and nothing else,
and one-line errors for an empty corpus and a missing MeCab dictionary."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from conftest import assert_one_line_error, run_cli

TATOEBA = "/work/shared/data/jpn-eng/jpn-eng.tsv"
SENTENCES = ["私は本を読みます。", "彼は学校に行きました。", "猫です。"]


def own_pairs(n: int) -> str:
    """``n`` TSV lines of distinct pairs, each side several tokens long."""
    return "".join(f"I have {i} cats.\t猫が{i}匹います。\n" for i in range(1, n + 1))


@pytest.fixture(scope="module")
def snapshots_without_data(tmp_path_factory):
    """Epoch 1 and epoch 2 (last) snapshots of a run on a TSV that no longer exists,
    copied away from the run's output directory, which is gone too."""
    if not os.path.exists(TATOEBA):
        pytest.skip(f"{TATOEBA} is not here")
    work = tmp_path_factory.mktemp("trained")
    tsv, out = work / "tiny.tsv", work / "out"
    with open(TATOEBA, encoding="utf-8") as source:
        tsv.write_text("".join(next(source) for _ in range(400)), "utf-8")
    # A high constant learning rate, small batches and light regularisation, so that even
    # epoch 1 emits words rather than an immediate <eos> or a lone full stop.
    args = ["--hidden", "32", "--embed", "32", "--batch-size", "16", "--lr", "0.01"]
    args += ["--dropout", "0.1", "--min-freq", "1", "--lr-schedule", "constant"]
    args += ["--no-tie-embeddings", "--label-smoothing", "0"]
    result = run_cli("train", "seq2seq", "--data", str(tsv), *args, "--epochs", "2",
                     "--device", "cpu", "--no-progress", "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    kept = tmp_path_factory.mktemp("snapshots")
    for epoch in (1, 2):
        shutil.copy(out / f"snapshot_epoch_000{epoch}.pt", kept)
    shutil.rmtree(work)
    return kept


def assert_english_lines(result, count: int) -> None:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == count, result.stdout
    for line in lines:
        assert re.search("[A-Za-z]", line), f"no English in {line!r}"


@pytest.mark.parametrize("epoch", [1, 2])
def test_translate_any_epoch_on_cpu_without_the_data(snapshots_without_data, tmp_path, epoch):
    snap = str(snapshots_without_data / f"snapshot_epoch_000{epoch}.pt")
    # Elsewhere, with no GPU: only the snapshot file can supply what translate needs.
    away = {"cwd": tmp_path, "env": {**os.environ, "CUDA_VISIBLE_DEVICES": ""}}
    assert_english_lines(run_cli("translate", snap, *SENTENCES, **away), len(SENTENCES))
    piped = run_cli("translate", snap, input="\n".join(SENTENCES) + "\n", **away)
    assert_english_lines(piped, len(SENTENCES))


@pytest.mark.parametrize(
    ("pairs", "max_len", "fragments"),
    [
        (20, "1", ["(train)", "1..1 tokens", "--max-len"]),
        # Three pairs leave the validation split empty before any filtering.
        (3, "30", ["(valid)", "no sentence pairs in this split", "--max-pairs"]),
    ],
)
def test_empty_corpus_after_filtering_is_one_line(tmp_path, pairs, max_len, fragments):
    tsv = tmp_path / "tiny.tsv"
    tsv.write_text(own_pairs(pairs), "utf-8")
    result = run_cli("train", "seq2seq", "--data", str(tsv), "--max-len", max_len,
                     "--no-progress", "--out", str(tmp_path / "out"))  # fmt: skip
    assert_one_line_error(result, str(tsv), *fragments)


@pytest.mark.parametrize(
    "fake_unidic_lite",
    ['raise ImportError("unidic_lite hidden by the test")', 'DICDIR = "/no/such/unidic"'],
    ids=["not-installed", "dictionary-missing"],
)
def test_mecab_without_a_dictionary_is_one_line(tmp_path, fake_unidic_lite):
    # A module of the same name earlier on the path hides the installed unidic-lite from
    # the child process only.
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "unidic_lite.py").write_text(fake_unidic_lite + "\n")
    tsv = tmp_path / "tiny.tsv"
    tsv.write_text(own_pairs(20), "utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hidden), os.environ.get("PYTHONPATH", "")]),
    }
    result = run_cli("train", "seq2seq", "--data", str(tsv), "--no-progress",
                     "--out", str(tmp_path / "out"), env=env)  # fmt: skip
    assert_one_line_error(result, "MeCab", "pip install unidic-lite")
