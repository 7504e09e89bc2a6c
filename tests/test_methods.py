"""The methods package: one definition per training method that the CLI, the benchmarks
and the tests share."""

from __future__ import annotations

import pytest

from ignite_gen.cli import build_parser
from ignite_gen.data import TranslationCorpus, grammar_pairs, split_pairs
from ignite_gen.errors import ArgumentError, UserError
from ignite_gen.methods import METHODS, build_run, get_method, settings


@pytest.mark.parametrize("name", list(METHODS))
def test_settings_are_the_command_lines_defaults(name):
    parsed = vars(build_parser().parse_args(["train", name]))
    parsed.pop("handler"), parsed.pop("command"), parsed.pop("given")
    assert vars(settings(name)) == parsed


def test_settings_overrides_and_refuses_unknown_options():
    assert settings("gan", lr=1e-3, epochs=2).lr == 1e-3
    with pytest.raises(ArgumentError, match="no option learning_rate"):
        settings("gan", learning_rate=1e-3)
    with pytest.raises(ArgumentError, match="no training method 'vae'"):
        get_method("vae")


def test_cvae_predict_task_builds_the_predictor():
    run = build_run(settings("cvae", task="predict", max_images=64, device="cpu"))
    assert type(run.updater.models["main"]).__name__ == "CVAEPredictor"
    assert "main/accuracy" in run.columns


def test_labelled_methods_never_train_on_the_held_out_images():
    from ignite_gen.metrics.classifier import held_out_split

    _, _, held_x, _ = held_out_split()
    loader = build_run(settings("cvae", device="cpu")).updater.iterator
    images = loader.tensors[0]
    assert len(images) == 4000
    # No training image equals any held-out one.
    flat_train = {bytes(img.numpy().tobytes()) for img in images}
    assert not any(bytes(img.numpy().tobytes()) in flat_train for img in held_x)


def test_translation_corpus_filters_training_pairs_only():
    pairs = grammar_pairs(seed=0)[:400]
    train, valid, test = split_pairs(pairs)
    corpus = TranslationCorpus.build(pairs, "grammar", max_len=6, min_freq=1)
    assert all(0 < len(s) <= 6 and 0 < len(t) <= 6 for s, t, _ in corpus.parts["train"])
    assert len(corpus.parts["train"]) < len(train)
    # valid and test keep every pair, long ones included, with the English as written
    assert corpus.references("valid") == [english for _, english in valid]
    assert corpus.references("test") == [english for _, english in test]
    assert any(len(s) > 6 for s, _, _ in corpus.parts["valid"])
    # sources are cut to max_len (plus <eos>), targets are not
    assert all(len(src) <= 7 for src, _ in corpus.encoded("valid"))
    assert max(len(tgt) for _, tgt in corpus.encoded("valid")) > 8


def test_translation_corpus_with_an_empty_split_is_one_line():
    with pytest.raises(UserError, match=r"tiny \(valid\): no sentence pairs in this split"):
        TranslationCorpus.build(grammar_pairs(seed=0)[:3], "tiny", splits=("train", "valid"))
