"""Per-epoch label metrics, conditional grids and samples, and code traversals, on real
components: every reported number equals its metric called directly on the same model,
every grid cell equals a direct call of the generator."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from ignite_gen import ArgumentError, ArgumentTypeError, Trainer, UserError, report_scope
from ignite_gen.data import TensorLoader
from ignite_gen.extensions.code_traversal import CodeTraversal, code_traversal
from ignite_gen.extensions.image_grid import ImageGrid, fixed_noise, label_grid_inputs
from ignite_gen.extensions.label_metrics import (
    CodePurityReport,
    ConditionalAccuracy,
    PredictorAccuracy,
    StyleTransferAccuracy,
)
from ignite_gen.extensions.log_report import LogReport
from ignite_gen.extensions.sample_quality import SampleQuality, generator_samples
from ignite_gen.metrics.classifier import held_out_split, load_classifier
from ignite_gen.metrics.code_purity import code_purity
from ignite_gen.metrics.conditional import conditional_accuracy, predictor_accuracy
from ignite_gen.metrics.style_transfer import style_transfer_accuracy
from ignite_gen.models import build_model
from ignite_gen.updaters.cvae import CVAEUpdater
from ignite_gen.updaters.cvaegan import CVAEGANUpdater
from ignite_gen.updaters.infogan import InfoGANUpdater


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def loader(n: int = 96, labels: bool = True) -> TensorLoader:
    train_x, train_y, _, _ = held_out_split()
    index = torch.arange(n) * 41 % len(train_x)  # the split is sorted by digit: spread out
    tensors = (train_x[index], train_y[index]) if labels else (train_x[index],)
    return TensorLoader(*tensors, batch_size=32, drop_last=True, seed=0)


def adam(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.5, 0.999))


def cvae_updater(kind: str = "cvae-mlp") -> CVAEUpdater:
    torch.manual_seed(0)
    model = build_model(kind, z_dim=2, hidden=32)
    return CVAEUpdater(loader(), model, adam(model), device="cpu")


def cvaegan_updater() -> CVAEGANUpdater:
    torch.manual_seed(0)
    nets = [
        build_model("cvaegan-encoder", z_dim=4, hidden=4, width=16),
        build_model("cvaegan-generator", z_dim=4, hidden=4),
        build_model("cvaegan-discriminator", hidden=4, features=8),
        build_model("cvaegan-classifier", hidden=4, features=8),
    ]
    optimizers = [adam(net) for net in nets]
    return CVAEGANUpdater(loader(), *nets, *optimizers, device="cpu", ema_decay=0.5)


def infogan_updater() -> InfoGANUpdater:
    torch.manual_seed(0)
    gen = build_model("infogan-generator", hidden=4, fc=16)
    dis = build_model("infogan-discriminator", hidden=4, fc=16, q_hidden=8)
    return InfoGANUpdater(
        loader(labels=False), gen, dis, adam(gen), adam(dis), device="cpu", ema_decay=0.5
    )


def last_record(tmp_path, updater, *extensions) -> dict:
    """The LogReport record of a one-epoch run with ``extensions``."""
    trainer = Trainer(updater, (1, "epoch"), out=tmp_path)
    trainer.extend(LogReport())  # first: only the writer priority puts the metrics before it
    for extension in extensions:
        trainer.extend(extension)
    trainer.run()
    return trainer.get_extension("LogReport").log[-1]


# --- label metrics in a trainer ---------------------------------------------------------


@pytest.mark.slow
def test_conditional_accuracy_and_grid_of_a_cvae_run(tmp_path):
    updater = cvae_updater()
    extension = ConditionalAccuracy("main", n_per_class=20, seed=3)
    record = last_record(tmp_path, updater, extension, ImageGrid("main", n=30))
    direct = conditional_accuracy(updater.models["main"], load_classifier(), 20, seed=3)
    assert record["main/conditional_accuracy"] == pytest.approx(direct, abs=1e-12)
    assert extension.state_dict() == {
        "conditional_accuracy": {"generator": "main", "n_per_class": 20, "seed": 3}
    }
    with Image.open(tmp_path / "images" / "epoch_0001.png") as image:
        assert image.size == (3 * 30 + 2, 10 * 30 + 2)  # 3 columns, one row per digit


def test_label_grid_inputs_put_label_r_on_row_r_with_the_same_noise_in_every_column():
    cvae = build_model("cvae-mlp", z_dim=2, hidden=8)
    noise, labels = label_grid_inputs(cvae, 24, seed=5)  # 24 rounds to 2 columns
    assert labels.tolist() == [r for r in range(10) for _ in range(2)]
    expected = fixed_noise(cvae, 2, seed=5)
    for row in range(10):
        assert torch.equal(noise[2 * row : 2 * row + 2], expected)
    with pytest.raises(ArgumentError, match=r"label_grid_inputs: .* takes no labels"):
        label_grid_inputs(build_model("dcgan-generator"), 10, seed=0)


@pytest.mark.slow
def test_predictor_accuracy_of_a_cvae_predictor_run(tmp_path):
    updater = cvae_updater("cvae-predictor-mlp")
    record = last_record(tmp_path, updater, PredictorAccuracy(samples=4, seed=1))
    direct = predictor_accuracy(updater.models["main"], samples=4, seed=1)
    assert record["main/accuracy"] == pytest.approx(direct, abs=1e-12)


@pytest.mark.slow
def test_style_transfer_and_conditional_accuracy_of_a_cvaegan_run_use_the_ema(tmp_path):
    updater = cvaegan_updater()
    extensions = [StyleTransferAccuracy("enc", "gen", seed=2), ConditionalAccuracy("gen")]
    record = last_record(tmp_path, updater, *extensions)
    enc, gen = updater.models["enc"], updater.models["gen_ema"]
    _, _, images, labels = held_out_split()
    transfer = style_transfer_accuracy(enc, gen, load_classifier(), images, labels, seed=2)
    assert record["gen/style_transfer"] == pytest.approx(transfer, abs=1e-12)
    assert record["gen/conditional_accuracy"] == pytest.approx(conditional_accuracy(gen), abs=1e-12)
    assert extensions[0].state_dict() == {
        "style_transfer": {"generator": "gen", "encoder": "enc", "seed": 2}
    }


@pytest.mark.slow
def test_code_purity_and_traversal_of_an_infogan_run(tmp_path):
    updater = infogan_updater()
    traversal = CodeTraversal("gen", code=1, steps=5)
    record = last_record(tmp_path, updater, CodePurityReport(n_per_code=20, key="q"), traversal)
    direct = code_purity(updater.models["gen_ema"], load_classifier(), n_per_code=20, seed=0)
    assert record["q/code_purity"] == pytest.approx(direct.purity, abs=1e-12)
    with Image.open(tmp_path / "traversal" / "epoch_0001.png") as image:
        assert image.size == (5 * 30 + 2, 10 * 30 + 2)


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extension, fragments",
    [
        (ConditionalAccuracy("gen"), ["ConditionalAccuracy", "no model 'gen'", "['main']"]),
        (PredictorAccuracy("pred"), ["PredictorAccuracy", "no model 'pred'"]),
        (StyleTransferAccuracy("enc", "main"), ["StyleTransferAccuracy", "no model 'enc'"]),
        (CodePurityReport(), ["CodePurityReport", "no model 'gen'"]),
        (CodeTraversal(), ["CodeTraversal", "no model 'gen'"]),
        (PredictorAccuracy("main"), ["PredictorAccuracy: predictor 'main' (CVAE) has no predict"]),
        (CodePurityReport("main"), ["generator 'main' (CVAE) has no n_categories, sample_codes"]),
        (CodeTraversal("main"), ["CodeTraversal: generator (CVAE) has no n_categories"]),
    ],
)
def test_a_wrong_model_is_one_line_naming_the_extension(extension, fragments):
    with pytest.raises(UserError) as error:
        extension.initialize(SimpleNamespace(updater=cvae_updater()))
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_an_unconditional_generator_is_refused_before_training():
    updater = SimpleNamespace(models={"gen": build_model("dcgan-generator", z_dim=8)})
    with pytest.raises(UserError, match=r"ConditionalAccuracy: generator 'gen' .* no n_classes"):
        ConditionalAccuracy().initialize(SimpleNamespace(updater=updater))


@pytest.mark.parametrize(
    "make, error, fragment",
    [
        (lambda: ConditionalAccuracy(42), ArgumentTypeError, "ConditionalAccuracy: generator"),
        (lambda: ConditionalAccuracy(n_per_class=0), ArgumentError, "n_per_class must be"),
        (lambda: PredictorAccuracy(samples=2.5), ArgumentTypeError, "PredictorAccuracy: samples"),
        (lambda: StyleTransferAccuracy(encoder=None), ArgumentTypeError, "encoder"),
        (lambda: StyleTransferAccuracy(key=3), ArgumentTypeError, "key"),
        (lambda: CodePurityReport(seed="0"), ArgumentTypeError, "CodePurityReport: seed"),
        (lambda: CodePurityReport(n_per_code=-1), ArgumentError, "n_per_code"),
        (lambda: CodeTraversal(steps=1), ArgumentError, "CodeTraversal: steps"),
        (lambda: CodeTraversal(filename="t/{epok}.png"), ArgumentError, "filename"),
        (lambda: CodeTraversal(span=0), ArgumentError, "span"),
    ],
)
def test_bad_arguments_raise_at_the_constructor(make, error, fragment):
    with pytest.raises(error, match=fragment):
        make()


# --- conditional generators in ImageGrid and SampleQuality ------------------------------


def to_pixels(images: torch.Tensor) -> np.ndarray:
    # What save_image writes for value_range (-1, 1).
    return ((images + 1) / 2 * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()


def test_conditional_grid_row_r_column_j_is_gen_of_noise_j_and_label_r(tmp_path):
    gen = cvae_updater().models["main"]
    grid = ImageGrid(gen, n=23, seed=4)  # rounds to 20: 10 rows of 2
    assert (grid.n, grid.nrow) == (20, 2)
    grid(SimpleNamespace(out=tmp_path, epoch=1, iteration=1))
    with Image.open(tmp_path / "images" / "epoch_0001.png") as image:
        pixels = np.asarray(image)[:, :, 0].astype(int)
    noise = torch.randn(2, gen.z_dim, generator=torch.Generator().manual_seed(4))
    gen.eval()
    for r in range(10):
        for j in range(2):
            with torch.no_grad():
                expected = to_pixels(gen(noise[j : j + 1], torch.tensor([r])))[0, 0]
            top, left = 2 + 30 * r, 2 + 30 * j
            cell = pixels[top : top + 28, left : left + 28]
            assert np.abs(cell - expected).max() <= 1, (r, j)


class RecordingGenerator(nn.Module):
    """A conditional generator (3 labels) that records the noise and labels it gets."""

    n_classes = 3
    z_dim = 2

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2 + 3, 28 * 28)
        self.calls: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, z, labels):
        self.calls.append((z, labels))
        one_hot = nn.functional.one_hot(labels, 3).float()
        return torch.tanh(self.linear(torch.cat([z, one_hot], 1))).view(-1, 1, 28, 28)


@pytest.mark.slow
def test_sample_quality_of_a_conditional_generator_draws_label_i_mod_n_classes():
    gen = RecordingGenerator()
    assert len(generator_samples(gen, 1001, seed=5)) == 1001  # three chunks: 500, 500, 1
    labels = torch.cat([y for _, y in gen.calls])
    noise = torch.cat([z for z, _ in gen.calls])
    assert torch.equal(labels, torch.arange(1001) % 3)
    assert torch.equal(noise, torch.randn(1001, 2, generator=torch.Generator().manual_seed(5)))

    gen.calls.clear()
    extension = SampleQuality(gen, n=30)
    trainer = SimpleNamespace(updater=SimpleNamespace(models={}))
    extension.initialize(trainer)
    with report_scope({}) as observation:
        extension(trainer)
    assert torch.equal(torch.cat([y for _, y in gen.calls[1:]]), torch.arange(30) % 3)
    assert 0 <= observation["gen/coverage"] <= 10


def test_unconditional_samples_are_the_plain_seeded_noise_through_the_generator():
    torch.manual_seed(0)
    gen = build_model("dcgan-article-generator", z_dim=8, hidden=8)
    samples = generator_samples(gen, 40, seed=6)
    gen.eval()
    with torch.no_grad():
        expected = gen(torch.randn(40, 8, generator=torch.Generator().manual_seed(6)))
    assert torch.equal(samples, expected)


# --- code traversal -----------------------------------------------------------------------


def test_traversal_row_r_column_j_is_category_r_with_code_swept():
    gen = infogan_updater().models["gen"]
    images = code_traversal(gen, code=1, steps=4, span=1.5, seed=2)
    assert images.shape == (40, 1, 28, 28) and gen.training
    noise = torch.randn(10, gen.z_dim, generator=torch.Generator().manual_seed(2))
    gen.eval()
    for r in range(10):
        for j, value in enumerate([-1.5, -0.5, 0.5, 1.5]):
            continuous = torch.tensor([[0.0, value]])
            with torch.no_grad():
                expected = gen(gen.latent(noise[r : r + 1], torch.tensor([r]), continuous))
            torch.testing.assert_close(images[4 * r + j], expected[0], rtol=0, atol=1e-6)


def test_a_code_out_of_range_names_code_and_the_valid_range():
    gen = infogan_updater().models["gen"]  # two continuous codes
    with pytest.raises(ArgumentError, match=r"^code must be in 0 \.\. 1 .*got 2$"):
        code_traversal(gen, code=2)
    with pytest.raises(ArgumentError, match=r"^CodeTraversal: code must be in 0 \.\. 1"):
        CodeTraversal(gen, code=2)
    trainer = SimpleNamespace(updater=SimpleNamespace(models={"gen": gen}))
    with pytest.raises(ArgumentError, match=r"^CodeTraversal: code must be in 0 \.\. 1"):
        CodeTraversal("gen", code=5).initialize(trainer)
    with pytest.raises(ArgumentTypeError, match=r"\(DCGANGenerator\) has no n_categories"):
        code_traversal(build_model("dcgan-generator", z_dim=8))
