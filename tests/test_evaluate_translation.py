"""``ignite-gen evaluate FILE --data PATH``: BLEU and chrF of a tiny seq2seq run on Tatoeba."""

from __future__ import annotations

import json
import subprocess

import pytest
import sacrebleu
import torch
from test_cli import assert_one_line_error, run_cli
from test_text import TATOEBA

from ignite_gen import GANUpdater, Trainer, load_snapshot
from ignite_gen.cli import main
from ignite_gen.data import (
    EnglishTokenizer,
    JapaneseTokenizer,
    Vocabulary,
    detokenize_english,
    filter_pairs,
    read_tsv,
    split_pairs,
    tokenize_pairs,
    tokenizer_from_config,
)
from ignite_gen.extensions import snapshot
from ignite_gen.models import build_model, greedy_decode

SEED = 3  # not the default 0, so a split made with the wrong seed shows
PAIRS = 300


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    if not TATOEBA.exists():
        pytest.skip(f"{TATOEBA} is absent")
    out = tmp_path_factory.mktemp("seq2seq")
    args = ["--data", str(TATOEBA), "--max-pairs", str(PAIRS), "--seed", str(SEED)]
    quick = ["--epochs", "1", "--hidden", "16", "--embed", "16", "--device", "cpu"]
    assert main(["train", "seq2seq", *args, *quick, "--no-progress", "--out", str(out)]) == 0
    return out


def evaluate(capsys, *args: str) -> subprocess.CompletedProcess:
    """``ignite-gen evaluate ARGS`` run in this process, as a finished command."""
    capsys.readouterr()
    code = main(["evaluate", *args])
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def test_training_scores_against_the_true_english(run_dir):
    tokenized = tokenize_pairs(
        split_pairs(read_tsv(TATOEBA)[:PAIRS], seed=SEED)[1],
        JapaneseTokenizer(),
        EnglishTokenizer(),
    )
    english = [t for _, t in filter_pairs(tokenized, 30)]
    vocab = Vocabulary.from_state_dict(
        load_snapshot(run_dir / "snapshot_epoch_0001.pt").metadata["tgt_vocab"]
    )
    assert any(token not in vocab for tokens in english for token in tokens)
    text = (run_dir / "translations" / "epoch_0001.txt").read_text("utf-8")
    refs = [line.removeprefix("ref: ") for line in text.splitlines() if line.startswith("ref: ")]
    assert refs == [detokenize_english(tokens) for tokens in english]


def independent_scores(file, pairs):
    """Greedy translations one sentence at a time, scored by sacrebleu directly."""
    snap = load_snapshot(file)
    model = snap.model("main")
    ja, en = (tokenizer_from_config(snap.metadata[k]) for k in ("src_tokenizer", "tgt_tokenizer"))
    src_vocab, tgt_vocab = (
        Vocabulary.from_state_dict(snap.metadata[k]) for k in ("src_vocab", "tgt_vocab")
    )
    hyps, refs = [], []
    for japanese, english in pairs:
        ids = src_vocab.encode(ja(japanese))
        max_len = max(50, 2 * (len(ids) - 1))
        decoded = greedy_decode(model, torch.tensor([ids]), torch.tensor([len(ids)]), max_len)
        hyps.append(detokenize_english(tgt_vocab.decode(decoded[0])))
        refs.append(detokenize_english(en(english)))
    return {
        "bleu": sacrebleu.corpus_bleu(hyps, [refs]).score,
        "chrf": sacrebleu.corpus_chrf(hyps, [refs]).score,
    }


def test_evaluate_data_equals_an_independent_computation(run_dir, capsys, tmp_path):
    snap = run_dir / "snapshot_epoch_0001.pt"
    out = tmp_path / "triples.txt"
    args = ["--data", str(TATOEBA), "--max-pairs", "40", "--json", "--out", str(out)]
    result = evaluate(capsys, str(snap), *args)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["pairs"] == 40 and scores["split"] == "all" and scores["decoding"] == "greedy"
    assert 0 <= scores["bleu"] <= 100 and 0 < scores["chrf"] <= 100
    expected = independent_scores(snap, read_tsv(TATOEBA)[:40])
    assert scores["bleu"] == pytest.approx(expected["bleu"], abs=1e-9)
    assert scores["chrf"] == pytest.approx(expected["chrf"], abs=1e-9)
    lines = out.read_text("utf-8").splitlines()
    assert lines[:2] == ["src: 行け。", "ref: Go."] and len(lines) == 4 * 40 - 1


def test_split_test_scores_the_held_out_pairs(run_dir, capsys, tmp_path):
    snap = run_dir / "snapshot_epoch_0001.pt"
    held_out = split_pairs(read_tsv(TATOEBA)[:PAIRS], seed=SEED)[2]
    out = tmp_path / "test.txt"
    data = ["--data", str(TATOEBA), "--max-pairs", str(PAIRS), "--split", "test"]
    result = evaluate(capsys, str(snap), *data, "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pairs"] == len(held_out) > 0
    en = EnglishTokenizer()
    refs = [line[5:] for line in out.read_text("utf-8").splitlines() if line.startswith("ref: ")]
    assert refs == [detokenize_english(en(english)) for _, english in held_out]

    beam = evaluate(capsys, str(snap), *data, "--beam", "2")
    assert beam.returncode == 0, beam.stderr
    header, bleu, chrf, loss = beam.stdout.splitlines()
    assert "epoch 1, iteration " in header and f"{len(held_out)} pairs (test of" in header
    assert "beam 2 decoding" in header
    assert bleu.split()[0] == "bleu" and chrf.split()[0] == "chrf" and loss.split()[0] == "loss"


def test_mistakes_are_one_line_errors(run_dir, capsys, tmp_path):
    snap = str(run_dir / "snapshot_epoch_0001.pt")
    assert_one_line_error(run_cli("evaluate", snap), "translation snapshot", "--data")
    empty = tmp_path / "empty.tsv"
    empty.write_text("", "utf-8")
    assert_one_line_error(evaluate(capsys, snap, "--data", str(empty)), "no sentence pairs")
    tiny = tmp_path / "tiny.tsv"
    tiny.write_text("Go.\t行け。\n", "utf-8")
    assert not split_pairs(read_tsv(tiny), seed=SEED)[2]
    no_test = evaluate(capsys, snap, "--data", str(tiny), "--split", "test")
    assert_one_line_error(no_test, "no pairs in the test split", "--split all")
    assert_one_line_error(evaluate(capsys, snap, "--data", str(tiny), "-n", "5"), "-n and --seed")

    torch.manual_seed(0)
    gen = build_model("dcgan-generator", z_dim=8, hidden=8)
    dis = build_model("dcgan-discriminator", hidden=8)
    sgd = lambda m: torch.optim.SGD(m.parameters(), lr=0.01)  # noqa: E731
    updater = GANUpdater([torch.rand(4, 1, 28, 28)], gen, dis, sgd(gen), sgd(dis), device="cpu")
    trainer = Trainer(updater, (1, "epoch"), out=tmp_path / "gan")
    trainer.extend(snapshot())
    trainer.run()
    gan = str(tmp_path / "gan" / "snapshot_epoch_0001.pt")
    with_data = evaluate(capsys, gan, "--data", str(tiny))
    assert_one_line_error(with_data, "are for translation snapshots", "gen, dis")
