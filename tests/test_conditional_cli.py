"""The command line on conditional and latent-code snapshots (issue 10, part 3): ``sample
--label/--code``, ``predict``, ``evaluate`` and ``montage`` on CVAE, CVAE-GAN and InfoGAN
runs, and their bad-input lines.

The snapshots come from a few real training iterations through the Python API (built
once per module); the CLI runs in-process, one subprocess proves the real exit status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import assert_one_line_error, run_cli
from PIL import Image
from torchvision.utils import save_image

from ignite_gen import Trainer, load_snapshot
from ignite_gen.cli import main
from ignite_gen.data.loader import TensorLoader
from ignite_gen.extensions import snapshot
from ignite_gen.extensions.code_traversal import code_traversal
from ignite_gen.extensions.image_grid import ImageGrid, generate
from ignite_gen.extensions.label_metrics import (
    CodePurityReport,
    ConditionalAccuracy,
    PredictorAccuracy,
    StyleTransferAccuracy,
)
from ignite_gen.extensions.sample_quality import SampleQuality
from ignite_gen.metrics.classifier import held_out_split, load_classifier
from ignite_gen.metrics.code_purity import code_purity
from ignite_gen.metrics.conditional import conditional_accuracy, predictor_accuracy
from ignite_gen.metrics.style_transfer import style_transfer_accuracy
from ignite_gen.models.registry import build_model
from ignite_gen.updaters.cvae import CVAEUpdater
from ignite_gen.updaters.cvaegan import CVAEGANUpdater
from ignite_gen.updaters.gan import GANUpdater
from ignite_gen.updaters.infogan import InfoGANUpdater


@dataclass(frozen=True)
class Runs:
    """Result directories of one short run per kind of snapshot."""

    cvae: Path  # two epochs: a cvae-mlp generator "main"
    predictor: Path  # a cvae-predictor-mlp "main"
    cvaegan: Path  # enc, gen, dis, cls, gen_ema
    infogan: Path  # gen, dis
    gan: Path  # a DCGAN's gen, dis

    def snap(self, kind: str, epoch: int = 1) -> str:
        return str(getattr(self, kind) / f"snapshot_epoch_{epoch:04d}.pt")


def _adam(module: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam(module.parameters(), lr=1e-3)


def _train(updater, out: Path, epochs: int = 1, extensions=()) -> Path:
    trainer = Trainer(updater, (epochs, "epoch"), out=out)
    for extension in extensions:
        trainer.extend(extension)
    trainer.extend(snapshot())
    trainer.run()
    return out


# Every test reads the runs below, whose label metrics need the metric classifiers.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _build_runs(tmp_path_factory)
    finally:
        torch.set_num_threads(threads)


def _build_runs(tmp_path_factory) -> Runs:
    train_x, train_y = (t[:256] for t in held_out_split()[:2])

    def labelled() -> TensorLoader:
        return TensorLoader(train_x, train_y, batch_size=64, seed=0)

    def out(name: str) -> Path:
        return tmp_path_factory.mktemp(name)

    # Each metric extension with settings of its own, which evaluate must take as defaults.
    torch.manual_seed(0)
    cvae = build_model("cvae-mlp", z_dim=2, hidden=32)
    cvae_run = _train(
        CVAEUpdater(labelled(), cvae, _adam(cvae), device="cpu"),
        out("cvae"),
        2,
        [
            ImageGrid("main", n=32),
            SampleQuality("main", n=100, seed=2),
            ConditionalAccuracy("main", n_per_class=20, seed=3),
        ],
    )
    predictor = build_model("cvae-predictor-mlp", z_dim=2, hidden=32)
    predictor_run = _train(
        CVAEUpdater(labelled(), predictor, _adam(predictor), device="cpu"),
        out("predictor"),
        extensions=[PredictorAccuracy("main", samples=4, seed=6)],
    )
    networks = [
        build_model("cvaegan-encoder", z_dim=4, hidden=4, width=16),
        build_model("cvaegan-generator", z_dim=4, hidden=4),
        build_model("cvaegan-discriminator", hidden=4, features=8),
        build_model("cvaegan-classifier", hidden=4, features=8),
    ]
    cvaegan_updater = CVAEGANUpdater(
        labelled(), *networks, *map(_adam, networks), device="cpu", ema_decay=0.9
    )
    cvaegan_run = _train(
        cvaegan_updater, out("cvaegan"), extensions=[StyleTransferAccuracy(seed=4)]
    )
    images = TensorLoader(train_x, batch_size=64, drop_last=True, seed=0)
    gen = build_model("infogan-generator", hidden=8, fc=32)
    dis = build_model("infogan-discriminator", hidden=8, fc=32, q_hidden=16)
    infogan_updater = InfoGANUpdater(images, gen, dis, _adam(gen), _adam(dis), device="cpu")
    infogan_run = _train(
        infogan_updater, out("infogan"), extensions=[CodePurityReport(n_per_code=10, seed=5)]
    )
    gen = build_model("dcgan-generator", z_dim=8, hidden=8)
    dis = build_model("dcgan-discriminator", hidden=8)
    gan_run = _train(GANUpdater(images, gen, dis, _adam(gen), _adam(dis), device="cpu"), out("gan"))
    return Runs(cvae_run, predictor_run, cvaegan_run, infogan_run, gan_run)


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """``ignite-gen ARGV`` in-process: exit status, stdout, stderr."""
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's errors exit from inside parse_args
        code = stop.code if isinstance(stop.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_error(result: tuple[int, str, str], *fragments: str) -> str:
    """Exit 2 and one ``ignite-gen: error:`` line holding every fragment."""
    code, _, err = result
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ignite-gen: error: "), err
    assert code == 2, err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def _png(path: Path, pixels: np.ndarray) -> str:
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return str(path)


# predict ----------------------------------------------------------------------------------


def test_predict_prints_the_digit_the_predictor_reads(runs, tmp_path, capsys):
    _, _, held_x, held_y = held_out_split()
    pixels = ((held_x[:3, 0] + 1) * 127.5).round().numpy()
    files = [_png(tmp_path / f"digit{i}.png", pixels[i]) for i in range(3)]
    code, out, err = cli(["predict", runs.snap("predictor"), *files, "--json"], capsys)
    assert code == 0, err
    records = [json.loads(line) for line in out.strip().splitlines()]
    predictor = load_snapshot(runs.snap("predictor")).model("main")
    for i, record in enumerate(records):
        x = torch.from_numpy(pixels[i]).float().div(255).mul(2).sub(1)[None, None]
        with torch.no_grad():
            expected = predictor.predict(x, samples=32, generator=torch.Generator().manual_seed(0))
        assert record["image"] == files[i]
        assert record["digit"] == int(expected.argmax(1))
        assert record["probabilities"] == pytest.approx(expected[0].tolist(), abs=1e-6)
        assert sum(record["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    # A few iterations already read most held-out digits (chance is 1 in 10).
    assert sum(r["digit"] == int(y) for r, y in zip(records, held_y[:3], strict=True)) >= 1

    code, table, err = cli(["predict", runs.snap("predictor"), *files, "--seed", "0"], capsys)
    assert code == 0, err
    header, *rows = table.strip().splitlines()
    assert header.split() == ["image", "digit", *map(str, range(10))]
    for row, record in zip(rows, records, strict=True):
        name, digit, *probabilities = row.split()
        assert (name, int(digit)) == (record["image"], record["digit"])
        assert [float(p) for p in probabilities] == pytest.approx(record["probabilities"], abs=5e-4)
    assert len({len(row) for row in rows}) == 1  # aligned columns


def test_predict_answer_does_not_depend_on_other_images(runs, tmp_path, capsys):
    pixels = ((held_out_split()[2][:2, 0] + 1) * 127.5).round().numpy()
    first, second = (_png(tmp_path / f"d{i}.png", pixels[i]) for i in range(2))
    alone = cli(["predict", runs.snap("predictor"), first, "--json"], capsys)[1]
    both = cli(["predict", runs.snap("predictor"), second, first, "--json"], capsys)[1]
    assert json.loads(alone) == json.loads(both.splitlines()[1])


def test_predict_bad_input_is_one_line(runs, tmp_path, capsys):
    digit = _png(tmp_path / "ok.png", np.zeros((28, 28)))
    big = _png(tmp_path / "big.png", np.zeros((32, 40)))
    assert_error(
        cli(["predict", runs.snap("predictor"), digit, big], capsys),
        str(big),
        "40x32",
        "28x28",
    )
    assert_error(
        cli(["predict", runs.snap("cvae"), digit], capsys),
        "cvae-mlp",
        "not a label predictor",
        "ignite-gen train cvae --task predict",
    )
    assert_error(
        cli(["predict", runs.snap("gan"), digit], capsys),
        "no label predictor",
        "gen, dis",
        "ignite-gen train cvae --task predict",
    )
    (tmp_path / "notes.png").write_text("not an image")
    assert_error(
        cli(["predict", runs.snap("predictor"), str(tmp_path / "notes.png")], capsys),
        "notes.png: cannot read it as an image",
    )
    assert_error(
        cli(["predict", runs.snap("predictor"), str(tmp_path / "gone.png")], capsys),
        "gone.png: no such image file",
    )
    assert_error(
        cli(["predict", runs.snap("predictor"), digit, "--samples", "0"], capsys), "--samples"
    )


@pytest.mark.subprocess
def test_predict_errors_reach_a_real_process_as_one_line(runs, tmp_path):
    big = _png(tmp_path / "big.png", np.zeros((64, 64)))
    assert_one_line_error(run_cli("predict", runs.snap("predictor"), big), "64x64", "28x28")


# sample -----------------------------------------------------------------------------------


def _expected_grid(images: torch.Tensor, nrow: int, path: Path) -> bytes:
    save_image(images.float(), path, nrow=nrow, normalize=True, value_range=(-1, 1))
    return path.read_bytes()


def test_sample_label_draws_that_label_only(runs, tmp_path, capsys):
    target = tmp_path / "sevens.png"
    code, out, err = cli(
        ["sample", runs.snap("cvae"), "--label", "7", "-n", "12", "--nrow", "6", "-o", str(target)],
        capsys,
    )
    assert code == 0, err
    assert "12 samples of label 7" in out
    gen = load_snapshot(runs.snap("cvae")).model("main")
    noise = torch.randn(12, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        sevens = gen(noise, torch.full((12,), 7))
        threes = gen(noise, torch.full((12,), 3))
    assert target.read_bytes() == _expected_grid(sevens, 6, tmp_path / "expected.png")
    assert target.read_bytes() != _expected_grid(threes, 6, tmp_path / "other.png")


def test_sample_label_on_cvaegan_uses_the_ema_generator(runs, tmp_path, capsys):
    target = tmp_path / "twos.png"
    code, _, err = cli(
        ["sample", runs.snap("cvaegan"), "--label", "2", "-n", "8", "-o", str(target)], capsys
    )
    assert code == 0, err
    gen = load_snapshot(runs.snap("cvaegan")).model("gen_ema")
    noise = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = gen(noise, torch.full((8,), 2))
    assert target.read_bytes() == _expected_grid(expected, 8, tmp_path / "expected.png")


def test_sample_bad_labels_and_codes_are_one_line(runs, tmp_path, capsys):
    out = str(tmp_path / "x.png")
    assert_error(
        cli(["sample", runs.snap("cvae"), "--label", "12", "-o", out], capsys),
        "--label 12 is out of range",
        "labels 0 to 9",
    )
    assert_error(
        cli(["sample", runs.snap("cvae"), "--label", "-1", "-o", out], capsys), "--label -1"
    )
    assert_error(
        cli(["sample", runs.snap("gan"), "--label", "3", "-o", out], capsys),
        "--label 3",
        "takes no label",
    )
    assert_error(
        cli(["sample", runs.snap("infogan"), "--label", "3", "-o", out], capsys),
        "takes no label",
        "--code",
    )
    assert_error(
        cli(["sample", runs.snap("cvae"), "--code", "0", "-o", out], capsys),
        "--code 0",
        "no continuous latent code",
    )
    assert_error(
        cli(["sample", runs.snap("infogan"), "--code", "2", "-o", out], capsys),
        "--code 2 is out of range",
        "continuous codes 0 to 1",
    )
    assert_error(
        cli(["sample", runs.snap("infogan"), "--code", "0", "--label", "1", "-o", out], capsys),
        "--label",
        "not allowed with",
    )
    assert_error(
        cli(["sample", runs.snap("infogan"), "--code", "0", "-n", "5", "-o", out], capsys),
        "-n 5",
        "--steps",
    )
    assert_error(
        cli(["sample", runs.snap("predictor"), "-o", out], capsys),
        "label predictor",
        "ignite-gen predict",
    )
    assert not (tmp_path / "x.png").exists()


def test_sample_without_label_draws_one_row_per_label(runs, tmp_path, capsys):
    target = tmp_path / "digits.png"
    snap = runs.snap("cvae", 2)
    code, out, err = cli(["sample", snap, "-n", "32", "-o", str(target)], capsys)
    assert code == 0, err
    assert "30 samples, one row per label 0 to 9," in out  # 32 rounded to 3 per row
    gen = load_snapshot(snap).model("main")
    noise = torch.randn(3, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        rows = [gen(noise, torch.full((3,), label)) for label in range(10)]
    assert target.read_bytes() == _expected_grid(torch.cat(rows), 3, tmp_path / "expected.png")
    # Seed 0 redraws the epoch grid that ImageGrid wrote during training.
    assert target.read_bytes() == (runs.cvae / "images" / "epoch_0002.png").read_bytes()


def test_gan_sampling_is_unchanged(runs, tmp_path, capsys):
    target = tmp_path / "gan.png"
    code, out, err = cli(
        ["sample", runs.snap("gan"), "-n", "6", "--nrow", "3", "-o", str(target)], capsys
    )
    assert code == 0, err
    assert out.startswith(f"wrote 6 samples from {runs.snap('gan')} (epoch 1)")
    gen = load_snapshot(runs.snap("gan")).model("gen")
    with torch.no_grad():
        expected = gen(torch.randn(6, 8, generator=torch.Generator().manual_seed(0)))
    assert target.read_bytes() == _expected_grid(expected, 3, tmp_path / "expected.png")


# evaluate ---------------------------------------------------------------------------------


def _evaluate(argv: list[str], capsys) -> dict:
    code, out, err = cli(["evaluate", *argv, "--json"], capsys)
    assert code == 0, err
    return json.loads(out)


def test_evaluate_conditional_generator(runs, capsys):
    path = runs.snap("cvae", 2)
    snap = load_snapshot(path)
    result = _evaluate([path], capsys)
    # Every default from the run's own extensions; the numbers are the ones they logged.
    assert (result["model"], result["n"], result["seed"]) == ("main", 100, 2)
    assert result["settings"] == {"conditional_accuracy": {"n_per_class": 20, "seed": 3}}
    gen = snap.model("main")
    assert result["conditional_accuracy"] == conditional_accuracy(gen, n_per_class=20, seed=3)
    for key in ("conditional_accuracy", "fid", "coverage"):
        assert result[key] == pytest.approx(snap.observation[f"main/{key}"], rel=1e-6), key
    assert "style_transfer" not in result and "code_purity" not in result

    other = _evaluate([path, "--per-class", "10", "--seed", "1", "-n", "50"], capsys)
    assert other["conditional_accuracy"] == conditional_accuracy(gen, n_per_class=10, seed=1)
    assert (other["n"], other["seed"]) == (50, 1)

    code, text, err = cli(["evaluate", path, "-n", "50"], capsys)
    assert code == 0, err
    line = next(line for line in text.splitlines() if "conditional_accuracy" in line)
    assert f"{result['conditional_accuracy']:.4f}" in line and "20 per label, seed 3" in line


def test_evaluate_predictor_reports_its_accuracy_and_no_fid(runs, capsys):
    path = runs.snap("predictor")
    result = _evaluate([path], capsys)
    predictor = load_snapshot(path).model("main")
    assert result["predictor_accuracy"] == predictor_accuracy(predictor, samples=4, seed=6)
    assert result["predictor_accuracy"] == load_snapshot(path).observation["main/accuracy"]
    assert (result["samples"], result["seed"], result["images"]) == (4, 6, 1000)
    assert "fid" not in result
    code, text, err = cli(["evaluate", path], capsys)
    assert code == 0 and "predictor_accuracy" in text and "fid" not in text, err
    assert_error(cli(["evaluate", path, "-n", "100"], capsys), "-n 100", "label predictor")


def test_evaluate_cvaegan_adds_style_transfer(runs, capsys):
    path = runs.snap("cvaegan")
    snap = load_snapshot(path)
    result = _evaluate([path, "-n", "50"], capsys)
    assert result["model"] == "gen_ema"
    _, _, images, labels = held_out_split()
    expected = style_transfer_accuracy(
        snap.model("enc"), snap.model("gen_ema"), load_classifier(), images, labels, seed=4
    )
    assert result["style_transfer"] == expected == snap.observation["gen/style_transfer"]
    assert result["settings"]["style_transfer"] == {"seed": 4, "images": 1000}
    gen = snap.model("gen_ema")
    assert result["conditional_accuracy"] == conditional_accuracy(gen, n_per_class=100, seed=0)


def test_evaluate_infogan_adds_code_purity(runs, capsys):
    path = runs.snap("infogan")
    snap = load_snapshot(path)
    result = _evaluate([path, "-n", "50"], capsys)
    expected = code_purity(snap.model("gen"), n_per_code=10, seed=5).purity
    assert result["code_purity"] == expected == snap.observation["gen/code_purity"]
    assert result["settings"] == {"code_purity": {"n_per_code": 10, "seed": 5}}
    assert "conditional_accuracy" not in result


def test_evaluate_gan_is_unchanged(runs, capsys):
    result = _evaluate([runs.snap("gan"), "-n", "50"], capsys)
    assert set(result) == {
        "file",
        "fid",
        "is",
        "coverage",
        "kl_uniform",
        "floor_fid",
        "model",
        "n",
        "seed",
        "epoch",
        "iteration",
    }
    assert_error(cli(["evaluate", runs.snap("gan"), "--per-class", "5"], capsys), "--per-class 5")


# montage ----------------------------------------------------------------------------------


def test_montage_of_a_conditional_run(runs, tmp_path, capsys, monkeypatch):
    from ignite_gen.cli import montage

    drawn = []

    def recording_generate(model, *inputs):
        drawn.append(inputs)
        return generate(model, *inputs)

    monkeypatch.setattr(montage, "generate", recording_generate)
    target = tmp_path / "montage.png"
    code, out, err = cli(["montage", str(runs.cvae), "-n", "12", "-o", str(target)], capsys)
    assert code == 0, err
    assert "2 rows of 12 samples" in out
    assert Image.open(target).size[1] == 2 * (2 * 30 + 2)
    assert len(drawn) == 2
    for noise, labels in drawn:  # the same noise and labels i % 10 in every row
        assert torch.equal(noise, drawn[0][0]) and labels.tolist() == [i % 10 for i in range(12)]
    assert_error(cli(["montage", str(runs.predictor)], capsys), "label predictor")


def test_sample_code_draws_the_code_traversal(runs, tmp_path, capsys):
    target = tmp_path / "traversal.png"
    argv = ["sample", runs.snap("infogan"), "--code", "1", "--steps", "5", "--span", "1.5"]
    code, out, err = cli([*argv, "--seed", "3", "-o", str(target)], capsys)
    assert code == 0, err
    assert "the traversal of code 1 (10 categorical values x 5 steps from -1.5 to 1.5)" in out
    gen = load_snapshot(runs.snap("infogan")).model("gen")
    images = code_traversal(gen, code=1, steps=5, span=1.5, seed=3)
    assert images.shape == (50, 1, 28, 28)
    assert target.read_bytes() == _expected_grid(images, 5, tmp_path / "expected.png")
    other = code_traversal(gen, code=0, steps=5, span=1.5, seed=3)
    assert target.read_bytes() != _expected_grid(other, 5, tmp_path / "other.png")
