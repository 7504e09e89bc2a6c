"""Offline sample-quality metrics: the classifier, FID/IS/coverage against plain formulas,
the SampleQuality extension in a real GAN run, and ``evaluate`` agreeing with its log."""

from __future__ import annotations

import argparse
import json
import math
import time
from types import SimpleNamespace

import ignite.distributed as idist
import numpy as np
import pytest
import scipy.linalg
import torch
from conftest import free_port, make_regression_updater

from ignite_gen import GANUpdater, Trainer, UserError, report_scope
from ignite_gen.cli import evaluate
from ignite_gen.data import TensorLoader, load_mnist_subset, to_unit_range
from ignite_gen.extensions import LogReport, SampleQuality, snapshot
from ignite_gen.extensions import sample_quality as sample_quality_extension
from ignite_gen.extensions.sample_quality import score_generator
from ignite_gen.metrics import (
    MnistClassifier,
    cache_path,
    class_counts,
    class_coverage,
    classifier_accuracy,
    classify,
    held_out_split,
    kl_uniform,
    load_classifier,
    real_data_scores,
    reference_images,
    sample_quality,
    scores_from_outputs,
)
from ignite_gen.metrics import classifier as classifier_module
from ignite_gen.models import build_model

N = 200  # samples per score in the training tests: enough for a 128-d covariance
SEED = 5  # not the default 0: evaluate must find the run's seed in the snapshot


@pytest.mark.slow
def test_split_is_balanced_and_classifier_generalises():
    train_x, train_y, held_x, held_y = held_out_split()
    assert torch.bincount(train_y).tolist() == [400] * 10
    assert torch.bincount(held_y).tolist() == [100] * 10
    assert train_x.min() == -1 and train_x.max() == 1
    model = load_classifier()
    assert not model.training
    with torch.no_grad():
        accuracy = (model(held_x).argmax(1) == held_y).double().mean().item()
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(classifier_accuracy(), abs=1e-9)
    assert cache_path().is_file()


@pytest.mark.slow
def test_cache_is_reused_and_a_corrupt_one_retrained(tmp_path, monkeypatch, capsys):
    load_classifier()  # the session's cache exists now

    def must_not_train():
        raise AssertionError("retrained despite a valid cache")

    monkeypatch.setattr(classifier_module, "train_classifier", must_not_train)
    classifier_module._cached_payload.cache_clear()
    before = torch.get_rng_state()
    load_classifier()
    assert torch.equal(torch.get_rng_state(), before)  # building it draws no global numbers

    monkeypatch.setenv("IGNITE_GEN_CACHE", str(tmp_path))
    cache_path().write_bytes(b"not a torch file")
    monkeypatch.setattr(
        classifier_module, "train_classifier", lambda domain: (MnistClassifier(), 0.5)
    )
    try:
        load_classifier()
        assert classifier_accuracy() == 0.5
    finally:
        classifier_module._cached_payload.cache_clear()
    assert "training the MNIST metric classifier once" in capsys.readouterr().err
    assert torch.load(cache_path(), weights_only=True)["accuracy"] == 0.5


@pytest.mark.slow
def test_the_8x8_digits_have_their_own_split_classifier_and_cache():
    train_x, train_y, held_x, _ = held_out_split("digits8x8")
    assert (len(train_x), len(held_x)) == (1500, 297)
    assert torch.bincount(train_y).tolist() == [150] * 10
    assert cache_path("digits8x8").name == "digits8x8-cnn-v2.pt" != cache_path().name
    assert classifier_accuracy("digits8x8") > 0.96  # measured 97.6% on the 297 held out
    # Trained on distorted copies, it reads most digits of another set of writers too
    # (measured 84% of MNIST's held-out digits; 50.5% without the distortions).
    _, _, mnist_x, mnist_y = held_out_split("mnist")
    read = load_classifier(domain="digits8x8")(mnist_x).argmax(1)
    assert (read == mnist_y).double().mean() > 0.75
    with pytest.raises(UserError, match="domain must be one of"):
        held_out_split("svhn")


@pytest.mark.slow
def test_floor_is_small_and_noise_is_far():
    real = real_data_scores(1000)
    assert real["fid"] < 40  # measured 28.0 (AMD EPYC) and 26.8 (Intel Xeon)
    assert real["coverage"] == 10 and real["is"] > 9
    noise = torch.rand(1000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert sample_quality(noise)["fid"] > 1000  # measured 2,300
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        untrained = build_model("dcgan-article-generator", z_dim=64)
    scores = score_generator(untrained, 1000)
    assert scores["fid"] > 50 * real["fid"]  # measured 5,100
    assert scores["coverage"] <= 2


@pytest.mark.slow
def test_ignite_fid_and_is_match_the_formulas():
    classifier = load_classifier()
    train_x = held_out_split()[0]
    real, _ = classify(classifier, reference_images(600))
    fake, probabilities = classify(classifier, train_x[::6][:600])
    scores = scores_from_outputs(fake, probabilities, real)

    mu1, mu2 = real.double().mean(0).numpy(), fake.double().mean(0).numpy()
    s1 = np.cov(real.double().numpy(), rowvar=False)
    s2 = np.cov(fake.double().numpy(), rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * root)
    assert scores["fid"] == pytest.approx(expected, rel=1e-6)

    p = probabilities.double().numpy()
    marginal = p.mean(0)
    kl = (p * (np.log(p + 1e-16) - np.log(marginal + 1e-16))).sum(1).mean()
    assert scores["is"] == pytest.approx(math.exp(kl), rel=1e-6)


def test_coverage_and_kl_on_hand_made_histograms():
    one_class = torch.tensor([0, 0, 0, 50, 0, 0, 0, 0, 0, 0])
    assert class_coverage(one_class) == 1
    assert kl_uniform(one_class) == pytest.approx(math.log(10))
    uniform = torch.full((10,), 20)
    assert class_coverage(uniform) == 10
    assert kl_uniform(uniform) == pytest.approx(0.0, abs=1e-12)
    # 1% of 1,010 samples is 10.1, so a class needs 11 predictions to count.
    assert class_coverage(torch.tensor([500, 489, 10, 11, 0, 0, 0, 0, 0, 0])) == 3
    two = torch.tensor([30, 10, 0, 0, 0, 0, 0, 0, 0, 0])
    assert kl_uniform(two) == pytest.approx(0.75 * math.log(7.5) + 0.25 * math.log(2.5))
    assert class_counts(torch.eye(10)[[3, 3, 7]]).tolist() == [0, 0, 0, 2, 0, 0, 0, 1, 0, 0]
    # The same rule inside the full scores, from one-hot "probabilities".
    probabilities = torch.eye(10, dtype=torch.float64)[torch.tensor([3] * 40)]
    features = torch.randn(40, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    scores = scores_from_outputs(features, probabilities, features.flip(0))
    assert scores["coverage"] == 1 and scores["kl_uniform"] == pytest.approx(math.log(10))
    assert scores["is"] == pytest.approx(1.0)


def tiny_gan(channels: int = 1, seed: int = 0) -> GANUpdater:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gen = build_model("dcgan-article-generator", z_dim=8, hidden=8, channels=channels)
        dis = build_model("dcgan-article-discriminator", hidden=8, channels=channels)
    images = to_unit_range(load_mnist_subset()[0][::78][:64]).repeat(1, channels, 1, 1)
    loader = TensorLoader(images, batch_size=16, drop_last=True, seed=seed)

    def adam(model):
        # A large step: 4 iterations must move the generator off its near-constant initial
        # output, or every noise batch and model would score alike and agreement tests
        # could not tell a wrong seed or a wrong model from the right one.
        return torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.5, 0.999))

    return GANUpdater(loader, gen, dis, adam(gen), adam(dis), device="cpu", ema_decay=0.5)


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("quality")
    trainer = Trainer(tiny_gan(), (1, "epoch"), out=out)
    trainer.extend(LogReport())  # first: only the writer priority puts SampleQuality before it
    trainer.extend(SampleQuality("gen", n=N, seed=SEED))
    trainer.extend(snapshot())
    trainer.run()
    return trainer, out


@pytest.mark.slow
def test_extension_reports_into_log_report(gan_run):
    trainer, out = gan_run
    record = trainer.get_extension("LogReport").log[-1]
    assert record["iteration"] == 4
    for key in ("gen/fid", "gen/is", "gen/coverage", "gen/kl_uniform"):
        assert math.isfinite(record[key]), key
    assert record["gen/fid"] > 0 and 1 <= record["gen/is"] <= 10
    assert (
        json.loads((out / "log.jsonl").read_text().splitlines()[-1])["gen/fid"] == record["gen/fid"]
    )


@pytest.mark.slow
def test_evaluate_agrees_with_the_logged_record(gan_run, capsys):
    trainer, out = gan_run
    record = trainer.get_extension("LogReport").log[-1]
    path = out / "snapshot_epoch_0001.pt"
    result = evaluate.evaluate_snapshot(path)  # n and seed as the run's SampleQuality
    assert (result["model"], result["n"], result["seed"], result["epoch"]) == (
        "gen_ema",
        N,
        SEED,
        1,
    )
    for name in ("fid", "is", "coverage", "kl_uniform"):
        # Same weights, noise, classifier and order of operations: equal to rounding.
        assert result[name] == pytest.approx(record[f"gen/{name}"], rel=1e-9, abs=1e-12), name
    assert result["floor_fid"] < result["fid"]
    # The EMA copy is what was scored: the raw generator and another seed score differently.
    raw = evaluate.evaluate_snapshot(path, prefer_ema=False)
    assert raw["model"] == "gen" and raw["fid"] != pytest.approx(result["fid"], rel=1e-6)
    other = evaluate.evaluate_snapshot(path, seed=0)
    assert other["fid"] != pytest.approx(result["fid"], rel=1e-6)

    evaluate.run(parse("evaluate", str(path), "--json"))
    printed = json.loads(capsys.readouterr().out)
    assert printed["fid"] == pytest.approx(record["gen/fid"], rel=1e-9)
    evaluate.run(parse("evaluate", str(path), "-n", str(N), "--seed", str(SEED)))
    text = capsys.readouterr().out
    assert f"{record['gen/fid']:.4f}" in text and "gen_ema, 200 samples, seed 5" in text


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ignite-gen")
    evaluate.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


@pytest.mark.slow
def test_extension_leaves_rng_and_modes_alone():
    updater = tiny_gan()
    gen = updater.models["gen"]
    gen.net[1].eval()  # a mixed-mode model must come back mixed
    fake_trainer = SimpleNamespace(updater=updater)
    extension = SampleQuality("gen", n=N, key="sample")
    extension.initialize(fake_trainer)
    before = torch.get_rng_state()
    with report_scope({}) as observation:
        extension(fake_trainer)
    assert torch.equal(torch.get_rng_state(), before)
    assert gen.training and not gen.net[1].training
    assert sorted(observation) == [
        "sample/coverage",
        "sample/fid",
        "sample/is",
        "sample/kl_uniform",
    ]


def assert_one_line(error: pytest.ExceptionInfo, *fragments: str) -> None:
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_non_mnist_shaped_samples_are_a_one_line_error(tmp_path):
    with pytest.raises(UserError) as error:
        sample_quality(torch.zeros(8, 3, 32, 32))
    assert_one_line(error, "MNIST-shaped samples (N, 1, 28, 28)", "got (8, 3, 32, 32)")

    updater = tiny_gan(channels=3)
    with pytest.raises(UserError) as error:
        SampleQuality("gen", n=N).initialize(SimpleNamespace(updater=updater))
    assert_one_line(error, "got (1, 3, 28, 28)")

    trainer = Trainer(updater, (1, "epoch"), out=tmp_path)
    path = trainer.save(tmp_path / "rgb.pt")
    with pytest.raises(UserError) as error:
        evaluate.run(parse("evaluate", str(path), "-n", "100"))
    assert_one_line(error, "(N, 1, 28, 28)", "got (100, 3, 28, 28)")


def test_bad_counts_and_missing_generator_are_one_line_errors(tmp_path):
    for n in (1, 6000):
        with pytest.raises(UserError) as error:
            SampleQuality("gen", n=n)
        assert_one_line(error, f"got {n}")
    with pytest.raises(UserError) as error:
        SampleQuality("generator", n=N).initialize(SimpleNamespace(updater=tiny_gan()))
    assert_one_line(error, "no model 'generator'")
    path = Trainer(make_regression_updater(), (1, "epoch"), out=tmp_path).save(tmp_path / "r.pt")
    with pytest.raises(UserError) as error:
        evaluate.run(parse("evaluate", str(path)))
    assert_one_line(error, "no generator 'gen'", "models: main")


def _sharded_scores(local_rank: int, gen_state: dict, results: dict, loads: list) -> None:
    load = sample_quality_extension.load_classifier

    def logged_load(*args, **kwargs):
        # Rank 0 is slow to load, as when it trains the classifier the first time: rank
        # 1 must wait for it rather than train a second copy at the same time.
        loads.append(("start", idist.get_rank()))
        if idist.get_rank() == 0:
            time.sleep(1)
        loaded = load(*args, **kwargs)
        loads.append(("end", idist.get_rank()))
        return loaded

    sample_quality_extension.load_classifier = logged_load
    gen = build_model("dcgan-article-generator", z_dim=8, hidden=8)
    gen.load_state_dict(gen_state)
    scores = score_generator(gen, N, seed=3)
    if idist.get_rank() == 0:
        results.update(scores)


@pytest.mark.distributed
def test_two_processes_score_like_one():
    updater = tiny_gan(seed=1)
    state = updater.models["gen"].state_dict()
    single = score_generator(updater.models["gen"], N, seed=3)
    manager = torch.multiprocessing.get_context("spawn").Manager()
    results, loads = manager.dict(), manager.list()
    with idist.Parallel(backend="gloo", nproc_per_node=2, master_port=free_port()) as parallel:
        parallel.run(_sharded_scores, state, results, loads)
    for name, value in single.items():
        assert results[name] == pytest.approx(value, rel=1e-6), name
    assert list(loads) == [("start", 0), ("end", 0), ("start", 1), ("end", 1)]
