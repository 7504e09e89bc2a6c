"""DualGAN as a user meets it: 'train dualgan', its per-epoch cycle grids and label
preservation, 'translate IMAGE --to', 'evaluate', and the mistakes around them; and
label preservation itself against a plain per-image loop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import assert_one_line_error, run_cli
from PIL import Image
from torch import nn
from torchvision.utils import save_image

from ignite_gen import UserError
from ignite_gen.extensions import CycleGrid, LabelPreservation
from ignite_gen.metrics import held_out_split, label_preservation, load_classifier

TINY = ["--epochs", "1", "--max-images", "64", "--batch-size", "32", "--hidden", "4"]
TINY += ["--no-progress", "--device", "cpu", "--seed", "2"]


class Blank(nn.Module):
    """A "translator" that forgets everything: every image becomes an empty frame."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full_like(x, -1.0)


def test_label_preservation_equals_a_per_image_loop():
    _, _, images, labels = held_out_split("digits8x8")
    classifier = load_classifier("cpu", "mnist")
    expected = sum(
        int(classifier(image[None]).argmax(1)) == int(label)
        for image, label in zip(images, labels, strict=True)
    ) / len(images)
    identity = label_preservation(nn.Identity(), classifier, images, labels, batch_size=64)
    assert identity == expected
    blank = label_preservation(Blank(), classifier, images, labels)
    assert blank < 0.2  # every image becomes the same blank: one digit's share at most


def test_label_preservation_refuses_mismatched_labels():
    _, _, images, labels = held_out_split("mnist")
    with pytest.raises(UserError, match=r"labels must have shape \(1000,\)"):
        label_preservation(nn.Identity(), nn.Identity(), images, labels[:10])
    with pytest.raises(UserError, match="LabelPreservation: target must be one of"):
        LabelPreservation("gen_uv", "mnist", "svhn")
    with pytest.raises(UserError, match="CycleGrid: forward must be a module or a model name"):
        CycleGrid(3)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dualgan") / "run"
    result = run_cli("train", "dualgan", *TINY, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_train_writes_both_directions(run: Path):
    record = json.loads((run / "log.jsonl").read_text().splitlines()[-1])
    for key in ("gen_uv/label_preservation", "gen_vu/label_preservation", "gen/rec_u"):
        assert 0 <= record[key] <= 1 or key == "gen/rec_u"
    for name in ("u_to_v_0001.png", "v_to_u_0001.png"):
        with Image.open(run / "cycle" / name) as grid:
            # three rows (source, translated, back) of ten digits, 2-pixel padding
            assert grid.size == (10 * 30 + 2, 3 * 30 + 2)


def test_translate_and_evaluate_a_snapshot(run: Path, tmp_path: Path):
    snap = run / "snapshot_epoch_0001.pt"
    _, _, images, _ = held_out_split("mnist")
    source = tmp_path / "digit.png"
    save_image((images[0] + 1) / 2, source)
    result = run_cli("translate", str(snap), str(source), "--to", "v", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "digit_to_v.png") as translated:
        assert translated.size == (28, 28)  # so it can be translated back
    back = run_cli("translate", str(snap), str(tmp_path / "digit_to_v.png"), "--to", "u")
    assert back.returncode == 0, back.stderr
    assert (tmp_path / "digit_to_v_to_u.png").is_file()
    result = run_cli("evaluate", str(snap), "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["identity_u_to_v"] == pytest.approx(0.505, abs=0.05)
    assert 0 <= scores["u_to_v"] <= 1 and 0 <= scores["v_to_u"] <= 1


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        ([], ("holds image translators", "--to v")),
        (["--to", "w"], ("invalid choice: 'w'",)),
        (["--to", "v", "--beam", "0"], ("--beam",)),
    ],
    ids=["no-direction", "unknown-direction", "bad-beam"],
)
def test_translate_mistakes_are_one_line(run: Path, tmp_path: Path, extra, fragments):
    source = tmp_path / "digit.png"
    save_image(torch.zeros(1, 28, 28), source)
    result = run_cli("translate", str(run / "snapshot_epoch_0001.pt"), str(source), *extra)
    assert_one_line_error(result, *fragments)


def test_translate_refuses_a_wrongly_sized_image(run: Path, tmp_path: Path):
    source = tmp_path / "wide.png"
    save_image(torch.zeros(1, 28, 40), source)
    result = run_cli("translate", str(run / "snapshot_epoch_0001.pt"), str(source), "--to", "u")
    assert_one_line_error(result, "wide.png", "40x28 pixels", "28x28")


def test_evaluate_refuses_sample_options_for_translators(run: Path):
    result = run_cli("evaluate", str(run / "snapshot_epoch_0001.pt"), "-n", "100")
    assert_one_line_error(result, "-n", "DualGAN translators")
