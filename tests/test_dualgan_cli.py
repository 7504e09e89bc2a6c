"""DualGAN as a user meets it: 'train dualgan', its per-epoch cycle grids and label
preservation, 'translate IMAGE --to', 'evaluate', and the mistakes around them; and
label preservation itself against a plain per-image loop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import run_cli
from PIL import Image
from torch import nn
from torchvision.utils import save_image

from ignite_gen import UserError
from ignite_gen.cli import main
from ignite_gen.extensions import CycleGrid, LabelPreservation
from ignite_gen.metrics import held_out_split, label_preservation, load_classifier


def in_process(capsys, *argv: str) -> str:
    """Run ``ignite-gen ARGV`` in this process (no interpreter start-up): a mistake must
    exit 2 with one ``ignite-gen: error:`` line, which is returned."""
    try:
        code = main(list(argv))
    except SystemExit as stop:  # argparse exits from inside parse_args
        code = stop.code
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("ignite-gen: error: "), lines
    return lines[0]


TINY = ["--epochs", "1", "--max-images", "64", "--batch-size", "32", "--hidden", "4"]
TINY += ["--no-progress", "--device", "cpu", "--seed", "2"]


class Blank(nn.Module):
    """A "translator" that forgets everything: every image becomes an empty frame."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full_like(x, -1.0)


@pytest.mark.slow
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


@pytest.mark.subprocess
def test_train_writes_both_directions(run: Path):
    record = json.loads((run / "log.jsonl").read_text().splitlines()[-1])
    for key in ("gen_uv/label_preservation", "gen_vu/label_preservation", "gen/rec_u"):
        assert 0 <= record[key] <= 1 or key == "gen/rec_u"
    for name in ("u_to_v_0001.png", "v_to_u_0001.png"):
        with Image.open(run / "cycle" / name) as grid:
            # three rows (source, translated, back) of ten digits, 2-pixel padding
            assert grid.size == (10 * 30 + 2, 3 * 30 + 2)


@pytest.mark.subprocess
def test_translate_and_evaluate_a_snapshot(run: Path, tmp_path: Path, capsys):
    # In this process: the CLI's start-up is tested by the fixture's run already.
    snap = str(run / "snapshot_epoch_0001.pt")
    _, _, images, _ = held_out_split("mnist")
    source = tmp_path / "digit.png"
    save_image((images[0] + 1) / 2, source)
    assert main(["translate", snap, str(source), "--to", "v", "-o", str(tmp_path)]) == 0
    with Image.open(tmp_path / "digit_to_v.png") as translated:
        assert translated.size == (28, 28)  # so it can be translated back
    assert main(["translate", snap, str(tmp_path / "digit_to_v.png"), "--to", "u"]) == 0
    assert (tmp_path / "digit_to_v_to_u.png").is_file()
    capsys.readouterr()
    assert main(["evaluate", snap, "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["identity_u_to_v"] == pytest.approx(0.838, abs=0.05)
    assert scores["identity_v_to_u"] == pytest.approx(0.694, abs=0.05)
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
@pytest.mark.subprocess
def test_translate_mistakes_are_one_line(run: Path, tmp_path: Path, extra, fragments, capsys):
    source = tmp_path / "digit.png"
    save_image(torch.zeros(1, 28, 28), source)
    line = in_process(capsys, "translate", str(run / "snapshot_epoch_0001.pt"), str(source), *extra)
    assert all(fragment in line for fragment in fragments), line


@pytest.mark.subprocess
def test_translate_refuses_a_wrongly_sized_image(run: Path, tmp_path: Path, capsys):
    source = tmp_path / "wide.png"
    save_image(torch.zeros(1, 28, 40), source)
    snap = str(run / "snapshot_epoch_0001.pt")
    line = in_process(capsys, "translate", snap, str(source), "--to", "u")
    assert "wide.png" in line and "40x28 pixels" in line and "28x28" in line


@pytest.mark.subprocess
def test_evaluate_refuses_sample_options_for_translators(run: Path, capsys):
    line = in_process(capsys, "evaluate", str(run / "snapshot_epoch_0001.pt"), "-n", "100")
    assert "-n" in line and "DualGAN translators" in line


@pytest.mark.subprocess
def test_resume_with_another_adversarial_loss_is_refused(run: Path, capsys):
    argv = ["train", "dualgan", *TINY, "--out", str(run), "--resume"]
    line = in_process(capsys, *argv, "--adversarial", "wgan")
    assert "--adversarial nonsaturating" in line and "--adversarial wgan" in line


@pytest.mark.parametrize("command", ["sample", "montage"])
@pytest.mark.subprocess
def test_sample_and_montage_point_a_dualgan_snapshot_to_translate(run: Path, capsys, command):
    target = run / "snapshot_epoch_0001.pt" if command == "sample" else run
    line = in_process(capsys, command, str(target), "-o", str(run / "out.png"))
    assert "DualGAN translators" in line and "ignite-gen translate FILE IMAGE --to v|u" in line
