"""Issue 5 from the command line: translate with any epoch's snapshot and nothing else,
and one-line errors for an empty corpus and a missing MeCab dictionary."""

from __future__ import annotations

import os
import re
import shutil

import pytest
import torch
from conftest import assert_one_line_error, run_cli

from ignite_gen import Seq2SeqUpdater, Trainer, load_snapshot
from ignite_gen.data.vocab import EOS
from ignite_gen.models.seq2seq import Seq2Seq
from ignite_gen.translation import load_translation_snapshot, translate

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
    result = run_cli(
        "train",
        "seq2seq",
        "--data",
        str(tsv),
        *args,
        "--epochs",
        "2",
        "--device",
        "cpu",
        "--no-progress",
        "--out",
        str(out),
    )
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
@pytest.mark.subprocess
def test_translate_any_epoch_on_cpu_without_the_data(snapshots_without_data, tmp_path, epoch):
    snap = str(snapshots_without_data / f"snapshot_epoch_000{epoch}.pt")
    # Elsewhere, with no GPU: only the snapshot file can supply what translate needs.
    away = {"cwd": tmp_path, "env": {**os.environ, "CUDA_VISIBLE_DEVICES": ""}}
    assert_english_lines(run_cli("translate", snap, *SENTENCES, **away), len(SENTENCES))
    piped = run_cli("translate", snap, input="\n".join(SENTENCES) + "\n", **away)
    assert_english_lines(piped, len(SENTENCES))


NAMES = ("Tom", "Tokyo", "Japan")


@pytest.fixture(scope="module")
def names_run(tmp_path_factory):
    """The snapshot of a short run on Tatoeba pairs (read here, at test time) whose English
    names a person, a city or a country, and those pairs."""
    if not os.path.exists(TATOEBA):
        pytest.skip(f"{TATOEBA} is not here")
    work = tmp_path_factory.mktemp("names")
    with open(TATOEBA, encoding="utf-8") as source:
        lines = [line.rstrip("\n") for line in source]
    picked = []
    for name in NAMES:
        short = [line for line in lines if len(line.split("\t")[0]) < 25]
        picked += [line for line in short if re.search(rf"\b{name}\b", line.split("\t")[0])][:12]
    (work / "names.tsv").write_text("\n".join(picked) + "\n", "utf-8")
    # Small batches, a high constant learning rate and no regularisation: the model
    # learns these few pairs by heart in a few epochs.
    args = ["--hidden", "64", "--embed", "64", "--batch-size", "4", "--lr", "0.01"]
    args += ["--dropout", "0", "--min-freq", "1", "--lr-schedule", "constant"]
    args += ["--label-smoothing", "0", "--teacher-forcing", "1", "--n-retains", "1"]
    result = run_cli(
        "train",
        "seq2seq",
        "--data",
        str(work / "names.tsv"),
        *args,
        "--epochs",
        "8",
        "--device",
        "cpu",
        "--no-progress",
        "--out",
        str(work / "out"),
    )
    assert result.returncode == 0, result.stderr
    pairs = [tuple(line.split("\t")[:2]) for line in picked]
    return work / "out" / "snapshot_epoch_0008.pt", [(ja, en) for en, ja in pairs]


def names_in(lines: list[str]) -> dict[str, int]:
    """How often each of :data:`NAMES` occurs as a word, written exactly so."""
    return {name: sum(len(re.findall(rf"\b{name}\b", line)) for line in lines) for name in NAMES}


@pytest.mark.subprocess
def test_translate_writes_names_as_the_training_data_does(names_run):
    snap, pairs = names_run
    assert load_snapshot(snap).metadata["tgt_casing"]["forms"]["tokyo"] == "Tokyo"
    result = run_cli("translate", str(snap), input="\n".join(ja for ja, _ in pairs) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(pairs)
    assert all(count > 0 for count in names_in(lines).values()), lines
    lower = " ".join(lines)
    assert not re.search(r"\b(tom|tokyo|japan)\b", lower), lines


@pytest.mark.subprocess
def test_snapshots_without_a_casing_still_translate(names_run, tmp_path):
    """Snapshots written before the casing was recorded translate as they did: in lower
    case, but for the first letter and "I"."""
    snap = load_snapshot(names_run[0])
    metadata = {k: v for k, v in snap.metadata.items() if k not in ("tgt_casing", "argv")}
    model = snap.model("main")
    batch = (torch.tensor([[4, 2]]), torch.tensor([2]), torch.tensor([[1, 4, 2]]))
    updater = Seq2SeqUpdater([batch], model, torch.optim.Adam(model.parameters()), device="cpu")
    old = Trainer(updater, (1, "epoch"), out=tmp_path, metadata=metadata).save(tmp_path / "old.pt")
    assert "tgt_casing" not in load_snapshot(old).metadata
    sentences = [ja for ja, _ in names_run[1]]
    cased, lower = (translate(file, sentences) for file in (names_run[0], old))
    assert [line.lower() for line in cased] == [line.lower() for line in lower]
    assert names_in(cased) != {name: 0 for name in NAMES}
    assert names_in([line[1:] for line in lower]) == {name: 0 for name in NAMES}


@pytest.mark.subprocess
def test_a_source_longer_than_max_len_keeps_its_end_marker(names_run, monkeypatch):
    loaded = load_translation_snapshot(names_run[0])
    assert loaded.max_len == 30
    long = "トムは東京にいます。" * 10
    ids = loaded.encode(long)
    assert len(ids) == 31 and ids[-1] == EOS and ids[:30] == loaded.encode(long[:100])[:30]
    # What the model reads: the same ids, <eos> last.
    seen = []
    original = Seq2Seq.encode
    monkeypatch.setattr(
        Seq2Seq,
        "encode",
        lambda self, src, lengths: seen.append(src.tolist()) or original(self, src, lengths),
    )
    assert len(translate(names_run[0], [long])) == 1
    assert seen == [[ids]]


@pytest.mark.parametrize(
    ("pairs", "max_len", "fragments"),
    [
        (20, "1", ["(train)", "1..1 tokens", "--max-len"]),
        # Three pairs leave the validation split empty before any filtering.
        (3, "30", ["(valid)", "no sentence pairs in this split", "--max-pairs"]),
    ],
)
@pytest.mark.subprocess
def test_empty_corpus_after_filtering_is_one_line(tmp_path, pairs, max_len, fragments):
    tsv = tmp_path / "tiny.tsv"
    tsv.write_text(own_pairs(pairs), "utf-8")
    result = run_cli(
        "train",
        "seq2seq",
        "--data",
        str(tsv),
        "--max-len",
        max_len,
        "--no-progress",
        "--out",
        str(tmp_path / "out"),
    )
    assert_one_line_error(result, str(tsv), *fragments)


@pytest.mark.parametrize(
    "fake_unidic_lite",
    ['raise ImportError("unidic_lite hidden by the test")', 'DICDIR = "/no/such/unidic"'],
    ids=["not-installed", "dictionary-missing"],
)
@pytest.mark.subprocess
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
    result = run_cli(
        "train",
        "seq2seq",
        "--data",
        str(tsv),
        "--no-progress",
        "--out",
        str(tmp_path / "out"),
        env=env,
    )
    assert_one_line_error(result, "MeCab", "pip install unidic-lite")
