"""The image commands keep their promises under attack (issue 21, classes 5 to 7 and
part of 8): every count a user gives is bounded, stated in ``--help`` and refused while
parsing; no file is silently overwritten; image files are read by the value range of
their mode; a directory, a file or an option in the wrong place gets a line that says
what it is and what to give instead.

The snapshots come from one or two real training iterations through the Python API
(built once per module); the images are real files written by Pillow; the command line
runs in-process.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from test_conditional_cli import assert_error, cli
from torch import nn

from ignite_gen import Trainer, load_snapshot
from ignite_gen.data import load_mnist_subset, load_sklearn_digits, to_unit_range
from ignite_gen.data.image_file import read_digit
from ignite_gen.data.loader import TensorLoader
from ignite_gen.extensions import snapshot
from ignite_gen.extensions.image_grid import GENERATE_CHUNK, generate
from ignite_gen.models.registry import build_model
from ignite_gen.snapshot import UnreadableSnapshot
from ignite_gen.updaters.cvae import CVAEUpdater
from ignite_gen.updaters.dualgan import DualGANUpdater
from ignite_gen.updaters.gan import GANUpdater
from ignite_gen.updaters.infogan import InfoGANUpdater


@dataclass(frozen=True)
class Runs:
    """Result directories of one short run per kind of snapshot."""

    gan: Path  # gen, dis
    cvae: Path  # a conditional generator "main"
    predictor: Path  # a label predictor "main"
    infogan: Path  # gen, dis with codes
    dualgan: Path  # gen_uv, gen_vu, dis_u, dis_v

    def snap(self, kind: str) -> str:
        return str(getattr(self, kind) / "snapshot_epoch_0001.pt")


def _adam(*modules: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam([p for module in modules for p in module.parameters()], lr=1e-3)


def _train(updater, out: Path) -> Path:
    trainer = Trainer(updater, (1, "epoch"), out=out)
    trainer.extend(snapshot())
    trainer.run()
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    images, labels = load_mnist_subset()
    x, y = to_unit_range(images[:128]), labels[:128].long()
    out = tmp_path_factory.mktemp
    torch.manual_seed(0)
    gan = [build_model("dcgan-generator", z_dim=8, hidden=8), build_model("dcgan-discriminator")]
    batches = TensorLoader(x, batch_size=64, drop_last=True, seed=0)
    gan_run = _train(
        GANUpdater(batches, *gan, _adam(gan[0]), _adam(gan[1]), device="cpu"), out("gan")
    )
    runs = {"gan": gan_run}
    for kind, name in (("cvae", "cvae-mlp"), ("predictor", "cvae-predictor-mlp")):
        model = build_model(name, z_dim=2, hidden=16)
        loader = TensorLoader(x, y, batch_size=64, seed=0)
        runs[kind] = _train(CVAEUpdater(loader, model, _adam(model), device="cpu"), out(kind))
    info = [build_model("infogan-generator", hidden=8, fc=32)]
    info.append(build_model("infogan-discriminator", hidden=8, fc=32, q_hidden=16))
    updater = InfoGANUpdater(batches, *info, _adam(info[0]), _adam(info[1]), device="cpu")
    runs["infogan"] = _train(updater, out("infogan"))
    nets = [build_model("dualgan-translator", hidden=4) for _ in range(2)]
    nets += [build_model("dcgan-discriminator", hidden=4) for _ in range(2)]
    pair = [(x[:6], to_unit_range(load_sklearn_digits()[0][:6]))]
    updater = DualGANUpdater(pair, *nets, _adam(*nets[:2]), _adam(*nets[2:]), device="cpu")
    runs["dualgan"] = _train(updater, out("dualgan"))
    return Runs(**runs)


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    """A real MNIST digit, 28x28 uint8, white on black."""
    return load_mnist_subset()[0][0, 0].numpy()


def _png(path: Path, pixels: np.ndarray) -> str:
    Image.fromarray(pixels).save(path)
    return str(path)


def _files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# Class 5: every count is bounded, says its bound in --help and is refused while parsing.

# Each with the option, its limit in the message, and the command line (-o into tmp).
OVER_LIMIT = {
    "sample -n": ("1 to 4096", "sample {gan} -n 4097 -o {out}"),
    "sample -n (the issue's)": ("1 to 4096", "sample {gan} -n 100000000 -o {out}"),
    "sample --nrow": ("1 to 4096", "sample {gan} --nrow 4097 -o {out}"),
    "sample --steps": ("2 to 100", "sample {infogan} --code 0 --steps 101 -o {out}"),
    "montage -n": ("1 to 100", "montage {gan_dir} -n 101 -o {out}"),
    "predict --samples": ("1 to 10000", "predict {predictor} {digit} --samples 10001"),
    "evaluate --per-class": ("1 to 500", "evaluate {cvae} --per-class 501"),
}


@pytest.mark.parametrize("case", list(OVER_LIMIT))
def test_a_count_over_its_limit_is_refused_while_parsing(runs, digit, tmp_path, case, capsys):
    limit, line = OVER_LIMIT[case]
    paths = {kind: runs.snap(kind) for kind in ("gan", "infogan", "predictor", "cvae")}
    digit_file = _png(tmp_path / "digit.png", digit)
    paths.update(gan_dir=str(runs.gan), digit=digit_file, out=str(tmp_path / "out.png"))
    before = _files(tmp_path), _files(runs.gan)
    start = time.monotonic()
    result = cli(line.format(**paths).split(), capsys)
    assert time.monotonic() - start < 5  # nothing was loaded, drawn or scored
    assert_error(result, f"argument {case.split()[1]}", limit)
    assert (_files(tmp_path), _files(runs.gan)) == before


HELP_LIMITS = {
    "sample": (
        "-n NUM, --num NUM number of images, 1 to 4096",
        "--nrow NROW images per row, 1 to 4096",
        "--steps STEPS with --code only: images per row, 2 to 100",
    ),
    "montage": ("samples per row, 1 to 100, and at most 4096 in all rows",),
    "predict": ("prior draws averaged per image, 1 to 10,000",),
    "evaluate": ("per code value (code purity), 1 to 500",),
}


@pytest.mark.parametrize("command", list(HELP_LIMITS))
def test_help_states_every_limit(command, capsys):
    code, out, _ = cli([command, "--help"], capsys)
    text = " ".join(out.split())
    assert code == 0
    for limit in HELP_LIMITS[command]:
        assert limit in text


def test_montage_refuses_more_images_than_it_holds_before_reading_any_snapshot(
    runs, tmp_path, capsys
):
    for epoch in range(41):
        (tmp_path / f"snapshot_epoch_{epoch:04d}.pt").symlink_to(runs.snap("gan"))
    # Reading the snapshots first would stop at this one with another message.
    (tmp_path / "snapshot_zzz.pt").write_text("not a snapshot")
    line = assert_error(cli(["montage", str(tmp_path), "-n", "100"], capsys))
    assert "42 snapshots x -n 100 is 4200 images" in line and "use -n 97 or less" in line
    assert not (tmp_path / "montage.png").exists()


class _CountingGenerator(nn.Module):
    """A generator that records how many noise vectors each call gets."""

    z_dim = 3

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 4)
        self.sizes: list[int] = []

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self.sizes.append(len(z))
        return self.linear(z).view(-1, 1, 2, 2)


def test_generation_runs_in_bounded_chunks():
    gen, noise = _CountingGenerator(), torch.randn(2 * GENERATE_CHUNK + 5, 3)
    images = generate(gen, noise)
    assert gen.sizes == [GENERATE_CHUNK, GENERATE_CHUNK, 5]
    torch.testing.assert_close(images, gen.linear(noise).detach().view(-1, 1, 2, 2))


# Class 6: files are never silently overwritten.


def _translate(runs: Runs, *argv: str) -> list[str]:
    return ["translate", runs.snap("dualgan"), *argv, "--to", "u"]


def test_two_inputs_with_one_output_name_are_refused_before_writing(runs, digit, tmp_path, capsys):
    png, gif = tmp_path / "seven.png", tmp_path / "seven.gif"
    Image.fromarray(digit).save(png)
    Image.fromarray(digit).save(gif)
    line = assert_error(cli(_translate(runs, str(png), str(gif)), capsys))
    assert f"{png} and {gif} would both be written to {tmp_path / 'seven_to_u.png'}" in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["seven.gif", "seven.png"]


def test_inputs_from_two_directories_into_one_output_directory_are_refused(
    runs, digit, tmp_path, capsys
):
    for name in "ab":
        (tmp_path / name).mkdir()
    sources = [_png(tmp_path / name / "7.png", digit) for name in "ab"]
    out = tmp_path / "out"
    line = assert_error(cli(_translate(runs, *sources, "-o", str(out)), capsys))
    assert f"{sources[0]} and {sources[1]} would both be written to {out / '7_to_u.png'}" in line
    assert not out.exists()


def test_an_output_that_would_replace_an_input_is_refused(runs, digit, tmp_path, capsys):
    source, other = _png(tmp_path / "a.png", digit), _png(tmp_path / "a_to_u.png", 255 - digit)
    before = _files(tmp_path)
    line = assert_error(cli(_translate(runs, source, other), capsys))
    assert f"{source} would be translated into {other}, which is an input too" in line
    assert _files(tmp_path) == before


def test_an_input_given_twice_or_an_output_that_is_a_directory_is_refused(
    runs, digit, tmp_path, capsys
):
    source = _png(tmp_path / "a.png", digit)
    assert_error(cli(_translate(runs, source, f"{tmp_path}/./a.png"), capsys), "given twice")
    (tmp_path / "a_to_u.png").mkdir()
    line = assert_error(cli(_translate(runs, source), capsys))
    assert f"{tmp_path / 'a_to_u.png'} (the translation of {source}) is a directory" in line


def test_replacing_an_earlier_translation_is_said(runs, digit, tmp_path, capsys):
    source = _png(tmp_path / "a.png", digit)
    code, out, _ = cli(_translate(runs, source), capsys)
    assert code == 0 and out.strip() == f"{source} -> {tmp_path / 'a_to_u.png'}"
    code, out, _ = cli(_translate(runs, source), capsys)
    assert code == 0 and out.strip().endswith("a_to_u.png (replaced the existing file)")


# Class 7: images are read as they are, by the value range of their mode.


def _written(path: Path, image: Image.Image) -> Path:
    image.save(path)
    return path


def _modes(digit: np.ndarray, root: Path) -> list[tuple[str, Path]]:
    """(mode, file) of the digit written by Pillow in each mode a file holds it exactly."""
    sixteen = digit.astype(np.uint16) * 257  # 255 * 257 == 65535: the same levels
    palette = Image.frombytes("P", (28, 28), digit.tobytes())
    palette.putpalette([level for value in range(256) for level in (value,) * 3])
    opaque = np.full_like(digit, 255)
    images = [
        ("I;16", "png", Image.fromarray(sixteen)),
        ("I;16B", "tif", Image.frombytes("I;16B", (28, 28), sixteen.astype(">u2").tobytes())),
        ("I", "pgm", Image.fromarray(sixteen.astype(np.int32))),
        ("I", "tif", Image.fromarray(sixteen.astype(np.int32))),
        ("F", "tif", Image.fromarray(digit.astype(np.float32) / 255)),
        ("RGB", "png", Image.fromarray(np.stack([digit] * 3, -1))),
        ("RGBA", "png", Image.fromarray(np.stack([digit] * 3 + [opaque], -1))),
        ("LA", "png", Image.fromarray(np.stack([digit, opaque], -1))),
        ("P", "png", palette),
        ("CMYK", "tif", Image.fromarray(digit).convert("CMYK")),
    ]
    return [
        (mode, _written(root / f"{mode.replace(';', '')}.{ext}", image))
        for mode, ext, image in images
    ]


def test_every_mode_reads_as_the_8_bit_digit(digit, tmp_path):
    expected = read_digit(Path(_png(tmp_path / "digit.png", digit)))
    for mode, path in _modes(digit, tmp_path):
        with Image.open(path) as image:
            assert image.mode == mode, path  # what the file holds, as Pillow opens it
        torch.testing.assert_close(read_digit(path), expected, atol=1e-6, rtol=0, msg=str(path))


def test_16_bit_levels_read_in_proportion(tmp_path):
    ramp = np.array([0, 16384, 32768, 49152, 65535] * 6, dtype=np.uint16)[:28]
    path = _written(tmp_path / "ramp.png", Image.fromarray(np.tile(ramp, (28, 1))))
    row = read_digit(path)[0, 0, :5]
    torch.testing.assert_close(row, torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0]), atol=1e-4, rtol=0)


def test_transparent_pixels_read_as_black_background(digit, tmp_path):
    white = np.full_like(digit, 255)
    rgba = _written(tmp_path / "rgba.png", Image.fromarray(np.stack([white] * 3 + [digit], -1)))
    la = _written(tmp_path / "la.png", Image.fromarray(np.stack([white, digit], -1)))
    expected = read_digit(Path(_png(tmp_path / "digit.png", digit)))
    for path in (rgba, la):
        torch.testing.assert_close(read_digit(path), expected, atol=1e-6, rtol=0)


def test_an_exif_rotation_is_applied(digit, tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 3  # Orientation: rotated 180 degrees
    rotated = tmp_path / "rotated.png"
    Image.fromarray(digit).save(rotated, exif=exif)
    upright = read_digit(Path(_png(tmp_path / "upright.png", digit[::-1, ::-1].copy())))
    torch.testing.assert_close(read_digit(rotated), upright)


def test_predict_and_translate_read_a_16_bit_png_as_its_8_bit_twin(runs, digit, tmp_path, capsys):
    eight = _png(tmp_path / "eight.png", digit)
    sixteen = _png(tmp_path / "sixteen.png", digit.astype(np.uint16) * 257)
    code, out, err = cli(["predict", runs.snap("predictor"), eight, sixteen, "--json"], capsys)
    assert code == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["digit"] == second["digit"]
    assert first["probabilities"] == pytest.approx(second["probabilities"], abs=1e-5)
    assert cli(_translate(runs, eight, sixteen), capsys)[0] == 0
    with (
        Image.open(tmp_path / "eight_to_u.png") as a,
        Image.open(tmp_path / "sixteen_to_u.png") as b,
    ):
        assert np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).max() <= 1


OUT_OF_RANGE = {
    "I TIFF above 65535": (np.full((28, 28), 70000, np.int32), "32-bit integer", "70000"),
    "I TIFF negative": (np.full((28, 28), -5, np.int32), "32-bit integer", "-5"),
    "F TIFF above 1": (np.full((28, 28), 2.0, np.float32), "32-bit float", "0 to 1"),
    "F TIFF NaN": (np.full((28, 28), np.nan, np.float32), "32-bit float", "non-finite"),
}


@pytest.mark.parametrize("case", list(OUT_OF_RANGE))
def test_pixels_outside_their_mode_range_are_refused(runs, tmp_path, case, capsys):
    pixels, *fragments = OUT_OF_RANGE[case]
    path = _written(tmp_path / "odd.tif", Image.fromarray(pixels))
    line = assert_error(cli(["predict", runs.snap("predictor"), str(path)], capsys), *fragments)
    assert line.startswith(f"ignite-gen: error: {path}: ") and "8- or 16-bit greyscale" in line


# Class 8: a directory, a file or an option in the wrong place says what to give.


def test_a_directory_given_as_an_image_says_so(runs, tmp_path, capsys):
    for argv in (
        ["predict", runs.snap("predictor"), str(tmp_path)],
        _translate(runs, str(tmp_path)),
    ):
        line = assert_error(cli(argv, capsys), f"{tmp_path}: is a directory, not an image")
        assert f"{tmp_path}/*.png" in line


@pytest.mark.parametrize("command", ["sample", "evaluate", "translate", "predict"])
def test_a_directory_given_as_a_snapshot_names_a_file_in_it(runs, digit, tmp_path, command, capsys):
    image = _png(tmp_path / "x.png", digit)
    extra = {"predict": [image], "sample": ["-o", str(tmp_path / "s.png")]}
    line = assert_error(cli([command, str(runs.gan), *extra.get(command, [])], capsys))
    assert f"{runs.gan}: is a directory, not a snapshot file" in line
    assert f"e.g. {runs.snap('gan')}" in line
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_error(cli([command, str(empty), *extra.get(command, [])], capsys), "no snapshot*.pt")
    assert not (tmp_path / "s.png").exists()


def test_load_snapshot_and_inspect_on_a_directory(runs, capsys):
    with pytest.raises(UnreadableSnapshot, match="is a directory, not a snapshot file"):
        load_snapshot(runs.gan)
    assert cli(["inspect", str(runs.gan)], capsys)[0] == 0  # a directory is what it lists


def test_translate_into_an_existing_file_says_it_is_a_file(runs, digit, tmp_path, capsys):
    source, target = _png(tmp_path / "a.png", digit), tmp_path / "notes.txt"
    target.write_text("keep me")
    line = assert_error(cli(_translate(runs, source, "-o", str(target)), capsys))
    assert f"-o {target} is a file, not a directory" in line and "--resume" not in line
    assert target.read_text() == "keep me" and not (tmp_path / "a_to_u.png").exists()


@pytest.mark.parametrize("command", ["sample", "montage"])
def test_a_translator_or_discriminator_named_with_model_says_what_it_is(
    runs, tmp_path, command, capsys
):
    def refused(kind: str, model: str) -> str:
        where = runs.snap(kind) if command == "sample" else str(getattr(runs, kind))
        return assert_error(
            cli([command, where, "--model", model, "-o", str(tmp_path / "x.png")], capsys)
        )

    for model, to in (("gen_uv", "v"), ("gen_vu", "u")):
        line = refused("dualgan", model)
        assert f"model {model!r} is a DualGAN translator, which takes images" in line
        assert re.search(rf"'ignite-gen translate \S+ IMAGE --to {to}'", line)
        assert "z_dim" not in line
    line = refused("gan", "dis")
    assert "model 'dis' (dcgan-discriminator) draws no images from noise" in line
    assert "(models: gen, dis)" in line and "z_dim" not in line
    assert not (tmp_path / "x.png").exists()


INAPPLICABLE = {
    "--span without --code": ("gan", ["--span", "3"], "--span 3 sets the --code traversal"),
    "--steps without --code": ("gan", ["--steps", "5"], "--steps 5 sets the --code traversal"),
    "--nrow with --code": ("infogan", ["--code", "0", "--nrow", "4"], "--nrow 4 does not apply"),
    "--nrow on the per-label grid": ("cvae", ["--nrow", "4"], "it has one row per label"),
}


@pytest.mark.parametrize("case", list(INAPPLICABLE))
def test_an_option_the_grid_would_ignore_is_refused(runs, tmp_path, case, capsys):
    kind, options, fragment = INAPPLICABLE[case]
    target = tmp_path / "grid.png"
    assert_error(cli(["sample", runs.snap(kind), *options, "-o", str(target)], capsys), fragment)
    assert not target.exists()


def test_the_traversal_defaults_still_apply(runs, tmp_path, capsys):
    target = tmp_path / "t.png"
    code, out, err = cli(["sample", runs.snap("infogan"), "--code", "0", "-o", str(target)], capsys)
    assert code == 0, err
    assert "10 steps from -2 to 2" in out and target.is_file()
