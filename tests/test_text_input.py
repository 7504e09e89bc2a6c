"""Issue 21, the text a user hands to ``translate`` and ``evaluate`` and the vocabulary a
seq2seq run learns: one output line per input line, every sentence of a line translated,
a warning for what the model cannot read; bytes that are not UTF-8 in one line wherever
text comes in; options the snapshot would ignore refused; a vocabulary without a word
refused before training.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import assert_one_line_error, run_cli
from torchvision.utils import save_image

from ignite_gen import GANUpdater, Trainer, UserError
from ignite_gen.cli import main
from ignite_gen.data import TranslationCorpus
from ignite_gen.data.tokenize import split_sentences
from ignite_gen.errors import ArgumentError
from ignite_gen.extensions import snapshot
from ignite_gen.models import build_model
from ignite_gen.translation import load_translation_snapshot
from ignite_gen.updaters import DualGANUpdater

SEQ2SEQ = ["--epochs", "1", "--max-pairs", "200", "--hidden", "16", "--embed", "16"]
SEQ2SEQ += ["--no-progress", "--device", "cpu"]
# Sentences of the bundled grammar corpus, so every word is in the tiny run's vocabulary.
FIRST, SECOND = "彼女はケーキを食べます。", "彼らは手紙を読みますか？"
SHIFT_JIS = "猫です。".encode("shift_jis")  # starts with 0x94, not UTF-8


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's errors exit from inside parse_args
        return stop.code if isinstance(stop.code, int) else 1


def in_process(capsys, *argv: str) -> subprocess.CompletedProcess:
    """``ignite-gen ARGV`` in this process, as a finished command."""
    capsys.readouterr()
    code = _run(list(argv))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(argv, code, captured.out, captured.err)


@pytest.fixture(scope="module")
def s2s(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("seq2seq")
    assert main(["train", "seq2seq", *SEQ2SEQ, "--out", str(out)]) == 0
    return str(out / "snapshot_epoch_0001.pt")


def _snapshot(updater, out: Path) -> str:
    trainer = Trainer(updater, (1, "epoch"), out=out)
    trainer.extend(snapshot())
    trainer.run()
    return str(out / "snapshot_epoch_0001.pt")


@pytest.fixture(scope="module")
def gan(tmp_path_factory) -> str:
    torch.manual_seed(0)
    gen = build_model("dcgan-generator", z_dim=8, hidden=8)
    dis = build_model("dcgan-discriminator", hidden=8)
    sgd = lambda m: torch.optim.SGD(m.parameters(), lr=0.01)  # noqa: E731
    updater = GANUpdater([torch.rand(4, 1, 28, 28)], gen, dis, sgd(gen), sgd(dis), device="cpu")
    return _snapshot(updater, tmp_path_factory.mktemp("gan"))


@pytest.fixture(scope="module")
def dualgan(tmp_path_factory) -> str:
    """A DualGAN snapshot as 'train dualgan' writes one (both translators and critics),
    from one step on random images: refusals need no trained translator."""
    torch.manual_seed(0)
    gen_uv, gen_vu = (build_model("dualgan-translator", hidden=4) for _ in "uv")
    dis_u, dis_v = (build_model("dcgan-discriminator", hidden=4) for _ in "uv")
    adam = lambda *ms: torch.optim.Adam([p for m in ms for p in m.parameters()])  # noqa: E731
    batch = (torch.rand(4, 1, 28, 28) * 2 - 1, torch.rand(4, 1, 28, 28) * 2 - 1)
    optimizers = adam(gen_uv, gen_vu), adam(dis_u, dis_v)
    updater = DualGANUpdater(
        [batch], gen_uv, gen_vu, dis_u, dis_v, *optimizers, adversarial="nonsaturating"
    )
    return _snapshot(updater, tmp_path_factory.mktemp("dualgan"))


# Class 1: the output lines up with the input.


@pytest.mark.subprocess
def test_every_line_in_gives_one_line_out_with_a_warning_for_unknown_words(s2s):
    lines = [FIRST, "", "hello 😀", f"{FIRST}{SECOND}", "   ", SECOND]
    result = run_cli("translate", s2s, input="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout.split("\n")
    assert out[-1] == "" and len(out[:-1]) == len(lines), result.stdout
    assert out[1] == out[2] == out[4] == ""  # blank in, blank out; nothing known, nothing out
    assert out[0] and out[3] and out[5]
    warnings = result.stderr.strip().splitlines()
    assert warnings == [
        "ignite-gen: warning: line 3: no word of 'hello 😀' is in the model's vocabulary; "
        "it is left untranslated"
    ], result.stderr


@pytest.mark.slow
def test_every_sentence_of_a_line_is_translated(s2s, capsys):
    joined = in_process(capsys, "translate", s2s, f"{FIRST}{SECOND}", FIRST, SECOND)
    assert joined.returncode == 0, joined.stderr
    whole, first, second = joined.stdout.splitlines()
    assert first and second and whole == f"{first} {second}"
    loaded = load_translation_snapshot(s2s)
    assert loaded.translate_lines([f"{FIRST} {SECOND}", FIRST]) == [whole, first]


def test_sentences_split_on_japanese_and_ascii_ends_outside_quotes():
    assert split_sentences("猫です。犬です！鳥ですか？？魚") == [
        "猫です。",
        "犬です!",
        "鳥ですか??",
        "魚",
    ]
    assert split_sentences("「はい。」と言った。 ") == ["「はい。」と言った。"]
    assert split_sentences(" \t") == []


def test_long_and_unknown_sentences_warn_naming_line_and_sentence(s2s):
    loaded = load_translation_snapshot(s2s)
    long = "私は" + "とても" * 40 + "ケーキを食べます。"
    with pytest.warns(UserWarning, match=r"^line 2: \d+ tokens, cut to the first 30 \("):
        assert loaded.translate_lines([FIRST, long])[1]
    with pytest.warns(UserWarning, match=r"^line 1, sentence 2: no word of 'hello!' is"):
        [english] = loaded.translate_lines([f"{FIRST}hello!"])
    assert english == loaded.translate_lines([FIRST])[0]


# Class 2: bytes that are not UTF-8 are one line wherever text comes in.


@pytest.mark.subprocess
def test_shift_jis_on_standard_input_is_one_line(s2s):
    result = subprocess.run(
        [sys.executable, "-m", "ignite_gen", "translate", s2s],
        input=FIRST.encode() + b"\n" + SHIFT_JIS + b"\n",
        capture_output=True,
    )
    stderr = result.stderr.decode()
    assert_one_line_error(
        subprocess.CompletedProcess(result.args, result.returncode, "", stderr),
        "standard input, line 2: not UTF-8 (byte 0x94 at column 1)",
        "iconv -f SHIFT_JIS -t UTF-8",
    )
    assert result.stdout == b""


@pytest.mark.subprocess
def test_shift_jis_as_an_argument_is_one_line(s2s):
    result = subprocess.run(
        [sys.executable, "-m", "ignite_gen", "translate", s2s, FIRST, b"x" + SHIFT_JIS],
        capture_output=True,
        text=True,
    )
    assert_one_line_error(result, "sentence argument 2: not UTF-8 (byte 0x94 at column 2)")
    assert result.stdout == ""


def test_python_callers_get_an_argument_error_naming_the_sentence(s2s):
    loaded = load_translation_snapshot(s2s)
    undecodable = SHIFT_JIS.decode("utf-8", "surrogateescape")  # as Python reads argv
    with pytest.raises(ArgumentError, match=r"^sentences\[1\]: not UTF-8 \(byte 0x94 at col"):
        loaded.translate([FIRST, undecodable])
    with pytest.raises(ArgumentError, match=r"^lines\[0\]: not UTF-8 \(U\+D800 at column 4\)"):
        loaded.translate_lines(["猫\ud800"])


def test_corpus_files_name_file_and_line(tmp_path, s2s, capsys):
    tsv = tmp_path / "pairs.tsv"
    tsv.write_bytes(f"Cake.\t{FIRST}\n".encode() + b"Cat.\t" + SHIFT_JIS + b"\n")
    fragments = (f"{tsv}:2: not UTF-8 (byte 0x94 at column 6)", "iconv")
    evaluated = in_process(capsys, "evaluate", s2s, "--data", str(tsv))
    assert_one_line_error(evaluated, *fragments)
    out = tmp_path / "run"
    trained = in_process(
        capsys, "train", "seq2seq", *SEQ2SEQ, "--data", str(tsv), "--out", str(out)
    )
    assert_one_line_error(trained, *fragments)


# Class 8: options that the snapshot would ignore are refused.


TRANSLATION_OPTIONS = [["--data", "x.tsv"], ["--src", "ja.txt"], ["--split", "all"]]
TRANSLATION_OPTIONS += [["--max-pairs", "5"], ["--beam", "1"], ["--length-penalty", "0.6"]]
TRANSLATION_OPTIONS += [["--batch-size", "8"], ["--out", "x.txt"]]


@pytest.mark.parametrize("option", TRANSLATION_OPTIONS, ids=lambda option: option[0])
def test_evaluate_refuses_translation_options_for_image_snapshots(
    option, dualgan, gan, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    for snap in (dualgan, gan):
        result = in_process(capsys, "evaluate", snap, *option)
        assert_one_line_error(result, f"{option[0]} is for seq2seq snapshots", snap)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "option", [["--per-class", "5"], ["--model", "main"], ["--no-ema"]], ids=lambda o: o[0]
)
def test_evaluate_refuses_image_options_for_seq2seq_snapshots(option, s2s, capsys, tmp_path):
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text(f"Cake.\t{FIRST}\n", "utf-8")
    result = in_process(capsys, "evaluate", s2s, "--data", str(tsv), *option)
    assert_one_line_error(result, f"{option[0]} is for image snapshots", "holds main")


@pytest.mark.slow
def test_evaluate_out_directory_is_refused_before_scoring(s2s, capsys, tmp_path):
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text(f"Cake.\t{FIRST}\n", "utf-8")
    directory = tmp_path / "out"
    directory.mkdir()
    result = in_process(capsys, "evaluate", s2s, "--data", str(tsv), "--out", str(directory))
    assert_one_line_error(result, f"--out {directory}: is a directory", "give a file name")
    assert ".tmp" not in result.stderr and result.stdout == ""
    assert not list(directory.iterdir())


@pytest.mark.parametrize("option", [["--beam", "1"], ["--max-len", "20"]], ids=lambda o: o[0])
def test_translate_refuses_seq2seq_options_for_a_dualgan_snapshot(
    option, dualgan, capsys, tmp_path
):
    digit = tmp_path / "digit.png"
    save_image(torch.zeros(1, 28, 28), digit)
    result = in_process(capsys, "translate", dualgan, str(digit), "--to", "v", *option)
    assert_one_line_error(result, f"{option[0]} is for seq2seq snapshots", "gen_uv")
    assert sorted(tmp_path.iterdir()) == [digit]


# Class 11: a vocabulary without a word is refused before training.


def test_min_freq_above_every_word_is_refused_before_anything_is_written(capsys, tmp_path):
    out = tmp_path / "run"
    result = in_process(
        capsys, "train", "seq2seq", *SEQ2SEQ, "--min-freq", "100000", "--out", str(out)
    )
    assert_one_line_error(
        result,
        "--min-freq 100000 leaves no Japanese word",
        "'は', has a count of",
        "lower --min-freq",
    )
    assert not out.exists()


def test_a_vocabulary_of_punctuation_alone_is_refused():
    nouns = list("猫犬鳥魚本山川海空花木水火石雨雪星月町駅")
    english = "cat dog bird fish book hill river sea sky flower tree water fire stone rain"
    english += " snow star moon town station"
    pairs = [(f"{noun}。", f"{word}.") for noun, word in zip(nouns, english.split(), strict=True)]
    with pytest.raises(UserError, match=r"^toy \(train\): --min-freq 2 leaves no Japanese word"):
        TranslationCorpus.build(pairs, "toy", min_freq=2, splits=("train",))
    corpus = TranslationCorpus.build(pairs, "toy", min_freq=1, splits=("train",))
    assert all(len(vocabulary.words()) > 10 for vocabulary in corpus.vocabularies)
