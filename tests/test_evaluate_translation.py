"""``ignite-gen evaluate FILE --data PATH``: BLEU and chrF of a tiny seq2seq run on Tatoeba."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import sacrebleu
import torch
from test_cli import assert_one_line_error, run_cli
from test_text import TATOEBA

from ignite_gen import GANUpdater, Trainer, UserError, load_snapshot
from ignite_gen.cli import main
from ignite_gen.data import (
    EnglishTokenizer,
    JapaneseTokenizer,
    Vocabulary,
    detokenize_english,
    read_tsv,
    split_pairs,
    tokenizer_from_config,
)
from ignite_gen.data.casing import Casing
from ignite_gen.errors import ArgumentError
from ignite_gen.extensions import snapshot
from ignite_gen.models import build_model, greedy_decode
from ignite_gen.models.seq2seq import Seq2Seq
from ignite_gen.translation import load_translation_snapshot, output_limit, translate

# Not the default 0, so a split made with the wrong seed shows; with it the valid and
# test splits hold names ("Ask Tom.") and "OK", which a lower-cased round trip changes.
SEED = 7
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


@pytest.mark.slow
def test_training_scores_against_the_english_as_written(run_dir):
    ja, en = JapaneseTokenizer(), EnglishTokenizer()
    valid = split_pairs(read_tsv(TATOEBA)[:PAIRS], seed=SEED)[1]
    kept = [(j, e) for j, e in valid if 0 < len(ja(j)) <= 30 and 0 < len(en(e)) <= 30]
    vocab = Vocabulary.from_state_dict(
        load_snapshot(run_dir / "snapshot_epoch_0001.pt").metadata["tgt_vocab"]
    )
    assert any(token not in vocab for _, e in kept for token in en(e))
    text = (run_dir / "translations" / "epoch_0001.txt").read_text("utf-8")
    refs = [line.removeprefix("ref: ") for line in text.splitlines() if line.startswith("ref: ")]
    # The English as written, not a lower-cased round trip through the tokenizer.
    assert refs == [e for _, e in kept]
    assert refs != [detokenize_english(en(e)) for _, e in kept]


def independent_scores(file, pairs):
    """Greedy translations one sentence at a time, scored by sacrebleu directly (its
    defaults: cased, against the English as written)."""
    snap = load_snapshot(file)
    model = snap.model("main")
    ja = tokenizer_from_config(snap.metadata["src_tokenizer"])
    src_vocab, tgt_vocab = (
        Vocabulary.from_state_dict(snap.metadata[k]) for k in ("src_vocab", "tgt_vocab")
    )
    casing = Casing.from_state_dict(snap.metadata["tgt_casing"])
    sources = [
        src_vocab.encode(ja(japanese), max_len=snap.metadata["max_len"]) for japanese, _ in pairs
    ]
    max_len = max(50, 2 * max(len(ids) for ids in sources))
    hyps = []
    for ids in sources:
        decoded = greedy_decode(model, torch.tensor([ids]), torch.tensor([len(ids)]), max_len)
        hyps.append(detokenize_english(tgt_vocab.decode(decoded[0]), casing))
    refs = [english for _, english in pairs]
    return {
        "bleu": sacrebleu.corpus_bleu(hyps, [refs]).score,
        "chrf": sacrebleu.corpus_chrf(hyps, [refs]).score,
    }


@pytest.mark.slow
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


@pytest.mark.slow
def test_split_test_scores_the_held_out_pairs(run_dir, capsys, tmp_path):
    snap = run_dir / "snapshot_epoch_0001.pt"
    held_out = split_pairs(read_tsv(TATOEBA)[:PAIRS], seed=SEED)[2]
    out = tmp_path / "test.txt"
    data = ["--data", str(TATOEBA), "--max-pairs", str(PAIRS), "--split", "test"]
    result = evaluate(capsys, str(snap), *data, "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pairs"] == len(held_out) > 0
    lines = out.read_text("utf-8").splitlines()
    assert lines[0::4] == [f"src: {japanese}" for japanese, _ in held_out]
    assert lines[1::4] == [f"ref: {english}" for _, english in held_out]
    en = EnglishTokenizer()
    assert lines[1::4] != [f"ref: {detokenize_english(en(english))}" for _, english in held_out]

    beam = evaluate(capsys, str(snap), *data, "--beam", "2")
    assert beam.returncode == 0, beam.stderr
    header, bleu, chrf, loss = beam.stdout.splitlines()
    assert "epoch 1, iteration " in header and f"{len(held_out)} pairs (test of" in header
    assert "beam 2 decoding" in header
    assert bleu.split()[0] == "bleu" and chrf.split()[0] == "chrf" and loss.split()[0] == "loss"


@pytest.mark.slow
def test_evaluate_decodes_as_translate_does(run_dir, capsys, tmp_path, monkeypatch):
    """The same hypotheses from the same decoder steps: evaluate decodes in large
    batches, as translate does, instead of the loss's batches of 64."""
    snap = run_dir / "snapshot_epoch_0001.pt"
    pairs = read_tsv(TATOEBA)[:PAIRS]
    loaded = load_translation_snapshot(snap)
    limit = output_limit([loaded.encode(japanese) for japanese, _ in pairs])
    steps: list[int] = []
    original = Seq2Seq.decode_step

    def decode_step(self, tokens, *args):
        steps.append(len(tokens))
        return original(self, tokens, *args)

    monkeypatch.setattr(Seq2Seq, "decode_step", decode_step)
    translations = translate(snap, [japanese for japanese, _ in pairs], max_len=limit)
    translate_steps, steps[:] = list(steps), []
    out = tmp_path / "all.txt"
    result = evaluate(
        capsys, str(snap), "--data", str(TATOEBA), "--max-pairs", str(PAIRS), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    hyps = [line[5:] for line in out.read_text("utf-8").splitlines()[2::4]]
    assert hyps == translations
    assert steps == translate_steps and max(steps) == PAIRS  # one batch of all 300


@pytest.fixture(scope="module")
def gan_snapshot(tmp_path_factory):
    torch.manual_seed(0)
    gen = build_model("dcgan-generator", z_dim=8, hidden=8)
    dis = build_model("dcgan-discriminator", hidden=8)
    sgd = lambda m: torch.optim.SGD(m.parameters(), lr=0.01)  # noqa: E731
    updater = GANUpdater([torch.rand(4, 1, 28, 28)], gen, dis, sgd(gen), sgd(dis), device="cpu")
    out = tmp_path_factory.mktemp("gan")
    trainer = Trainer(updater, (1, "epoch"), out=out)
    trainer.extend(snapshot())
    trainer.run()
    return str(out / "snapshot_epoch_0001.pt")


NO_GPU = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}


@pytest.mark.subprocess
def test_mistakes_are_one_line_errors(run_dir, gan_snapshot, capsys, tmp_path):
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
    assert_one_line_error(evaluate(capsys, snap, "--data", str(tiny), "-n", "5"), "-n is for image")
    beam = run_cli("evaluate", snap, "--data", str(tiny), "--beam", "0")
    assert_one_line_error(beam, "--beam", "0", "at least 1")
    cuda = run_cli("evaluate", snap, "--data", str(tiny), "--device", "cuda", env=NO_GPU)
    assert_one_line_error(cuda, "cuda", "--device cpu")
    with_data = evaluate(capsys, gan_snapshot, "--data", str(tiny))
    assert_one_line_error(with_data, "--data is for seq2seq snapshots", "gen, dis")


@pytest.mark.parametrize(
    ("args", "stdin", "fragments"),
    [
        (["--max-len", "0"], None, ["--max-len", "0", "at least 1"]),
        (["--max-len", "-3"], None, ["--max-len", "-3", "at least 1"]),
        (["--beam", "0"], None, ["--beam", "0", "at least 1"]),
        (["--device", "cuda"], None, ["cuda", "--device cpu"]),
        ([], "", ["no sentences", "standard input"]),
        ([], "\n  \n", ["no sentences", "standard input"]),
    ],
    ids=[
        "max-len-0",
        "max-len-negative",
        "beam-0",
        "cuda-without-gpu",
        "empty-stdin",
        "blank-stdin",
    ],
)
@pytest.mark.subprocess
def test_translate_mistakes_are_one_line_errors(run_dir, args, stdin, fragments):
    snap = str(run_dir / "snapshot_epoch_0001.pt")
    sentences = [] if stdin is not None else ["猫です。"]
    result = run_cli("translate", snap, *sentences, *args, input=stdin or "", env=NO_GPU)
    assert_one_line_error(result, *fragments)
    assert result.stdout == ""


def test_translate_in_python_checks_its_arguments(run_dir):
    snap = run_dir / "snapshot_epoch_0001.pt"
    with pytest.raises(UserError, match="max_len=0: the output needs room for at least 1"):
        translate(snap, ["猫です。"], max_len=0)
    with pytest.raises(UserError, match="beam=0: the beam width must be at least 1"):
        translate(snap, ["猫です。"], beam=0)
    with pytest.raises(ArgumentError, match="sentences: give a list of one or more"):
        translate(snap, [])
    with pytest.raises(ArgumentError, match="sentences: give a list of one or more"):
        translate(snap, "猫です。")


@pytest.mark.subprocess
def test_translate_refuses_a_gan_snapshot(gan_snapshot):
    result = run_cli("translate", gan_snapshot, "猫です。")
    assert_one_line_error(result, gan_snapshot, "not a seq2seq snapshot", "train seq2seq")
