"""The bad-input battery (issue 9, part 4): every mistake a user can make on the command
line ends with exit status 2 and ONE ``ignite-gen: error:`` line that names the argument
or file, never a traceback, and changes no file that existed before.

Most cases run ``ignite_gen.cli.main`` in-process (fast); a few run ``python -m
ignite_gen`` to prove the real exit status and stderr. ``benchmarks/RESULTS.md``
("Bad-input battery") counts the cases.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from conftest import assert_one_line_error, run_cli

from ignite_gen.cli import main
from ignite_gen.errors import ArgumentError, ArgumentTypeError
from ignite_gen.extensions import FailOnNonNumber, ImageGrid, log_report
from ignite_gen.run_lock import RunLock

QUICK = ["--epochs", "1", "--max-images", "128", "--batch-size", "64"]
QUICK += ["--metric-samples", "0", "--no-progress", "--device", "cpu"]
SEQ2SEQ = ["--epochs", "1", "--max-pairs", "200", "--hidden", "16", "--embed", "16"]
SEQ2SEQ += ["--no-progress", "--device", "cpu"]
NO_GPU = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's errors exit from inside parse_args
        return stop.code if isinstance(stop.code, int) else 1


def _hashes(*roots: Path) -> dict[Path, str]:
    # ``.lock`` holds the pid of the last run to take the directory: lock state, not data.
    return {
        path: hashlib.sha256(path.read_bytes()).hexdigest()
        for root in roots
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def assert_nothing_changed(before: dict[Path, str], *roots: Path) -> None:
    after = _hashes(*roots)
    changed = [str(path) for path, digest in before.items() if after.get(path) != digest]
    assert not changed, f"files changed or removed: {changed}"


def assert_one_line(code: int, stderr: str, fragments: tuple[str, ...] = ()) -> str:
    """Exit 2 and exactly one ``ignite-gen: error:`` line holding every fragment (in any case)."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ignite-gen: error: "), stderr
    assert code == 2, stderr
    for fragment in fragments:  # "No space ..." or "no space ...": the words, not the case
        assert fragment.lower() in lines[0].lower(), f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


@dataclass(frozen=True)
class Files:
    """The module's shared inputs: one GAN run, one seq2seq run, and bad files."""

    gan: Path
    s2s: Path
    bad: Path

    def paths(self, tmp: Path) -> dict[str, str]:
        return {
            "gan": str(self.gan),
            "gan_snap": str(self.gan / "snapshot_epoch_0001.pt"),
            "s2s": str(self.s2s),
            "s2s_snap": str(self.s2s / "snapshot_epoch_0001.pt"),
            "bad": str(self.bad),
            "tmp": str(tmp),
            "copy": str(tmp / "copy"),
        }


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Files:
    root = tmp_path_factory.mktemp("battery")
    gan, s2s, bad = root / "gan", root / "s2s", root / "bad"
    assert main(["train", "gan", *QUICK, "--out", str(gan)]) == 0
    assert main(["train", "seq2seq", *SEQ2SEQ, "--out", str(s2s)]) == 0
    bad.mkdir()
    snap = (gan / "snapshot_epoch_0001.pt").read_bytes()
    (bad / "empty.pt").write_bytes(b"")
    (bad / "truncated.pt").write_bytes(snap[: len(snap) // 2])
    corrupt = bytearray(snap)
    for index in range(2000, len(corrupt), 997):
        corrupt[index] ^= 0xFF
    (bad / "corrupt.pt").write_bytes(bytes(corrupt))
    (bad / "text.pt").write_text("these are my notes, not a snapshot\n")
    shutil.copy(gan / "images" / "epoch_0001.png", bad / "image.png")
    torch.save({"weights": torch.zeros(3)}, bad / "foreign.pt")
    (bad / "empty_dir").mkdir()
    (bad / "empty.tsv").write_text("")
    (bad / "no_tab.tsv").write_text("It is a cat.\t猫です。\nno tab on this line\n", "utf-8")
    (bad / "pairs.tsv").write_text("It is a cat.\t猫です。\nIt is a dog.\t犬です。\n", "utf-8")
    (bad / "ja.txt").write_text("猫です。\n犬です。\n", "utf-8")
    (bad / "en.txt").write_text("It is a cat.\n", "utf-8")
    return Files(gan, s2s, bad)


@dataclass(frozen=True)
class Case:
    """``argv`` (with ``{gan_snap}``-style placeholders) and what its one line must say."""

    argv: tuple[str, ...]
    fragments: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


def case(id: str, argv: str, *fragments: str, absent: tuple[str, ...] = ()):
    marks = []
    if "--device cuda" in argv:
        marks.append(NO_GPU)
    return pytest.param(Case(tuple(argv.split()), fragments, absent), id=id, marks=marks)


TRAIN = "train gan " + " ".join(QUICK) + " --out {tmp}/out"
TRAIN_S2S = "train seq2seq " + " ".join(SEQ2SEQ) + " --out {tmp}/out"
SAMPLE = "sample {gan_snap} -o {tmp}/grid.png"

CASES = [
    # The command line itself.
    case("no-arguments", "", "COMMAND"),
    case("unknown-command", "bogus", "'bogus'"),
    case("missing-method", "train", "METHOD"),
    case("unknown-method", "train vae", "'vae'"),
    case("unknown-flag-train", "train gan --bogus", "--bogus"),
    case("unknown-flag-sample", f"{SAMPLE} --bogus", "--bogus"),
    case("missing-file-argument", "sample", "file"),
    # Numbers.
    case("epochs-not-a-number", f"{TRAIN} --epochs x", "--epochs", "'x'"),
    case("epochs-fraction", f"{TRAIN} --epochs 1.5", "--epochs", "'1.5'"),
    case("epochs-zero", f"{TRAIN} --epochs 0", "--epochs"),
    case("epochs-negative", f"{TRAIN} --epochs -3", "--epochs"),
    case("batch-size-zero", f"{TRAIN} --batch-size 0", "--batch-size"),
    case("batch-size-over-data", f"{TRAIN} --max-images 10", "--batch-size 64", "10"),
    case("lr-negative", f"{TRAIN} --lr -1", "--lr"),
    case("lr-nan", f"{TRAIN} --lr nan", "--lr"),
    case("beta1-above-one", f"{TRAIN} --beta1 5", "--beta1"),
    case("n-dis-zero", f"{TRAIN} --n-dis 0", "--n-dis"),
    case("n-critic-zero", TRAIN.replace("gan", "wgan", 1) + " --n-critic 0", "--n-critic"),
    case("clip-negative", TRAIN.replace("gan", "wgan", 1) + " --clip -1", "--clip"),
    case("margin-negative", TRAIN.replace("gan", "ebgan", 1) + " --margin -1", "--margin"),
    case("max-images-negative", f"{TRAIN} --max-images -4990", "--max-images"),
    case("z-dim-zero", f"{TRAIN} --z-dim 0", "--z-dim"),
    case("grad-clip-negative", f"{TRAIN} --grad-clip -1", "--grad-clip"),
    case("n-retains-zero", f"{TRAIN} --n-retains 0", "--n-retains"),
    case("metric-samples-one", f"{TRAIN} --metric-samples 1", "--metric-samples"),
    case("seed-negative", f"{TRAIN} --seed -1", "--seed"),
    case("sample-n-zero", f"{SAMPLE} -n 0", "-n/--num", "0"),
    case("sample-n-negative", f"{SAMPLE} -n -4", "-n/--num", "-4"),
    case("sample-n-not-a-number", f"{SAMPLE} -n x", "-n", "'x'"),
    case("sample-nrow-zero", f"{SAMPLE} --nrow 0", "--nrow"),
    case("sample-nrow-negative", f"{SAMPLE} --nrow -1", "--nrow"),
    case("montage-n-zero", "montage {gan} -o {tmp}/m.png -n 0", "-n"),
    case("evaluate-n-zero", "evaluate {gan_snap} -n 0", "-n/--num", "0"),
    case("evaluate-n-too-many", "evaluate {gan_snap} -n 99999", "-n/--num", "99999"),
    case("translate-beam-zero", "translate {s2s_snap} 猫 --beam 0", "--beam"),
    case(
        "translate-max-len-zero",
        "translate {s2s_snap} 猫 --max-len 0",
        "--max-len",
    ),
    case("seq2seq-hidden-zero", f"{TRAIN_S2S} --hidden 0", "--hidden"),
    case("seq2seq-layers-zero", f"{TRAIN_S2S} --layers 0", "--layers"),
    case("seq2seq-dropout-two", f"{TRAIN_S2S} --dropout 2", "--dropout"),
    case("seq2seq-min-freq-zero", f"{TRAIN_S2S} --min-freq 0", "--min-freq"),
    case("seq2seq-beam-zero", f"{TRAIN_S2S} --beam 0", "--beam"),
    # Devices (the CUDA cases only mean something on a machine without CUDA).
    case("sample-device-cuda", f"{SAMPLE} --device cuda", "--device", "cuda"),
    case("sample-device-nonsense", f"{SAMPLE} --device nonsense", "--device", "nonsense"),
    case("evaluate-device-cuda", "evaluate {gan_snap} --device cuda", "--device", "cuda"),
    case(
        "evaluate-translation-device-cuda",
        "evaluate {s2s_snap} --data {bad}/pairs.tsv --device cuda",
        "--device",
    ),
    case(
        "translate-device-cuda",
        "translate {s2s_snap} 猫 --device cuda",
        "--device",
    ),
    case(
        "translate-device-nonsense",
        "translate {s2s_snap} 猫 --device nonsense",
        "--device",
    ),
    case("train-device-cuda", f"{TRAIN} --device cuda", "--device cuda"),
    case("train-device-nonsense", f"{TRAIN} --device nonsense", "--device"),
    # Outputs that cannot be written.
    case("sample-output-without-extension", "sample {gan_snap} -o {tmp}/grid", "-o", "grid"),
    case("sample-output-unknown-extension", "sample {gan_snap} -o {tmp}/grid.xyz", "-o", ".xyz"),
    case("sample-output-is-a-directory", "sample {gan_snap} -o {bad}/empty_dir", "-o", "empty_dir"),
    case("sample-output-unwritable", "sample {gan_snap} -o /proc/x.png", "/proc/x.png"),
    case("montage-output-without-extension", "montage {gan} -o {tmp}/montage", "-o", "montage"),
    case("montage-output-is-a-directory", "montage {gan} -o {bad}/empty_dir", "-o", "empty_dir"),
    case("montage-output-unwritable", "montage {gan} -o /proc/m.png", "/proc/m.png"),
    case("train-out-is-a-file", TRAIN.replace("{tmp}/out", "{bad}/text.pt"), "text.pt"),
    case("train-out-unwritable", TRAIN.replace("{tmp}/out", "/proc/nope"), "/proc/nope"),
    case("train-out-holds-a-run", TRAIN.replace("{tmp}/out", "{gan}"), "--resume"),
    case(
        "resume-with-lsgan",
        TRAIN.replace("gan", "lsgan", 1).replace("{tmp}/out", "{copy}") + " --resume",
        "lsgan",
        "gan",
    ),
    case(
        "resume-with-wgan",
        TRAIN.replace("gan", "wgan", 1).replace("{tmp}/out", "{copy}") + " --resume",
        "wgan",
        "gan",
    ),
    # Snapshot files: missing, empty, truncated, corrupt, foreign, not a file.
    case("sample-missing-file", "sample {tmp}/nope.pt", "nope.pt"),
    case("sample-empty-file", "sample {bad}/empty.pt -o {tmp}/g.png", "empty.pt"),
    case("sample-truncated-file", "sample {bad}/truncated.pt -o {tmp}/g.png", "truncated.pt"),
    case("sample-corrupt-file", "sample {bad}/corrupt.pt -o {tmp}/g.png", "corrupt.pt"),
    case("sample-foreign-torch-file", "sample {bad}/foreign.pt", "foreign.pt", "not an ignite-gen"),
    case("sample-text-file", "sample {bad}/text.pt", "text.pt"),
    case(
        "sample-png-file",
        "sample {bad}/image.png",
        "image.png",
        "not an ignite-gen",
        absent=("delete it",),
    ),
    case("sample-directory-as-file", "sample {bad}/empty_dir", "empty_dir"),
    case("inspect-missing-path", "inspect {tmp}/nowhere", "nowhere"),
    case("inspect-empty-directory", "inspect {bad}/empty_dir", "empty_dir"),
    case("inspect-truncated-file", "inspect {bad}/truncated.pt", "truncated.pt"),
    case("evaluate-corrupt-file", "evaluate {bad}/corrupt.pt", "corrupt.pt"),
    case("translate-missing-file", "translate {tmp}/nope.pt 猫", "nope.pt"),
    # A snapshot of the wrong kind.
    case("sample-seq2seq-snapshot", "sample {s2s_snap} -o {tmp}/g.png", "s2s", "translate"),
    case("montage-seq2seq-directory", "montage {s2s} -o {tmp}/m.png", "s2s", "translate"),
    case("evaluate-seq2seq-as-gan", "evaluate {s2s_snap}", "s2s", "--data"),
    case("evaluate-gan-with-data", "evaluate {gan_snap} --data {bad}/pairs.tsv", "--data"),
    case("translate-gan-snapshot", "translate {gan_snap} 猫", "gan", "not a seq2seq snapshot"),
    case("translate-to-gan", "translate {gan_snap} x.png --to v", "--to is for image translators"),
    case("translate-to-seq2seq", "translate {s2s_snap} 猫 --to u", "--to", "holds main"),
    # Directories without snapshots.
    case("montage-empty-directory", "montage {bad}/empty_dir", "empty_dir"),
    case("montage-missing-directory", "montage {tmp}/nowhere", "nowhere"),
    # Training data.
    case("data-root-without-mnist", f"{TRAIN} --data-root {{bad}}/empty_dir", "--data-root"),
    case("data-root-missing", f"{TRAIN} --data-root {{tmp}}/nowhere", "nowhere"),
    case("seq2seq-data-missing", f"{TRAIN_S2S} --data {{tmp}}/nope.tsv", "nope.tsv"),
    case("seq2seq-data-empty", f"{TRAIN_S2S} --data {{bad}}/empty.tsv", "empty.tsv"),
    case("seq2seq-data-without-tab", f"{TRAIN_S2S} --data {{bad}}/no_tab.tsv", "no_tab.tsv:2"),
    case(
        "seq2seq-misaligned",
        f"{TRAIN_S2S} --src {{bad}}/ja.txt --tgt {{bad}}/en.txt",
        "ja.txt",
        "en.txt",
    ),
    case("seq2seq-src-without-tgt", f"{TRAIN_S2S} --src {{bad}}/ja.txt", "--tgt"),
]


@pytest.mark.parametrize("bad", CASES)
def test_mistake_is_one_line(bad: Case, files: Files, tmp_path: Path, capsys) -> None:
    paths = files.paths(tmp_path)
    argv = [part.format(**paths) for part in bad.argv]
    if any("{copy}" in part for part in bad.argv):
        shutil.copytree(files.gan, tmp_path / "copy")
    roots = (files.gan, files.s2s, files.bad, tmp_path)
    before = _hashes(*roots)
    code = _run(argv)
    line = assert_one_line(code, capsys.readouterr().err, bad.fragments)
    for fragment in bad.absent:
        assert fragment not in line
    assert_nothing_changed(before, *roots)


def test_translate_without_sentences(files: Files, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\n  \n")))
    code = _run(["translate", str(files.s2s / "snapshot_epoch_0001.pt")])
    assert_one_line(code, capsys.readouterr().err, ("no sentences",))


def test_output_directory_in_use(files: Files, tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    before = _hashes(tmp_path)
    with RunLock(tmp_path):
        code = _run(["train", "gan", *QUICK, "--out", str(tmp_path)])
    assert_one_line(code, capsys.readouterr().err, (str(tmp_path), "in use"))
    assert_nothing_changed(before, tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_snapshot(files: Files, tmp_path: Path, capsys) -> None:
    locked = tmp_path / "snapshot_epoch_0001.pt"
    shutil.copy(files.gan / "snapshot_epoch_0001.pt", locked)
    locked.chmod(0)
    try:
        code = _run(["sample", str(locked), "-o", str(tmp_path / "g.png")])
    finally:
        locked.chmod(0o644)
    assert_one_line(code, capsys.readouterr().err, (str(locked),))


@pytest.mark.slow
def test_nan_loss_stops_with_one_line(files: Files, tmp_path: Path, capsys) -> None:
    # Adam at 1e38 overflows the weights within the first steps; the line names the
    # key that went non-finite first, so the loss really became NaN or infinite.
    code = _run(["train", "gan", *QUICK, "--out", str(tmp_path), "--lr", "1e38"])
    line = assert_one_line(code, capsys.readouterr().err, ("non-finite value in '", "/loss'"))
    assert "learning rate" in line
    assert not list(tmp_path.glob("snapshot*.pt"))


def _resume_on_a_full_disk(files, tmp_path, capsys, *fragments: str) -> Path:
    """``train gan --resume --epochs 2`` on a copy of the 1-epoch run (the caller has
    made some write fail with ENOSPC): one line, no temporary file left behind, and
    every earlier file as it was, but log.jsonl and loss.png, which may gain epoch 2
    before the failing write: progress, not loss."""
    out = tmp_path / "run"
    before = _hashes(out)
    argv = ["train", "gan", *QUICK, "--epochs", "2", "--out", str(out), "--resume"]
    assert_one_line(_run(argv), capsys.readouterr().err, ("No space left on device", *fragments))
    leftovers = [p for p in out.rglob(".*") if p.name != ".lock"]
    assert not leftovers, leftovers
    for progress in ("log.jsonl", "loss.png"):
        before.pop(out / progress)
    assert_nothing_changed(before, out)
    return out


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.slow
def test_disk_full_during_snapshot(files, tmp_path, monkeypatch, capsys) -> None:
    shutil.copytree(files.gan, tmp_path / "run")
    real_save = torch.save

    def half_then_full(obj, file, *args, **kwargs):
        buffer = io.BytesIO()
        real_save(obj, buffer, *args, **kwargs)
        data = buffer.getvalue()[: len(buffer.getvalue()) // 2]
        if isinstance(file, (str, os.PathLike)):
            Path(file).write_bytes(data)
        else:
            file.write(data)
        _full()

    monkeypatch.setattr(torch, "save", half_then_full)
    out = _resume_on_a_full_disk(files, tmp_path, capsys, "snapshot_epoch_0002.pt", "--resume")
    assert [p.name for p in out.glob("*.pt")] == ["snapshot_epoch_0001.pt"]


@pytest.mark.slow
def test_disk_full_writing_the_image_grid(files, tmp_path, monkeypatch, capsys) -> None:
    shutil.copytree(files.gan, tmp_path / "run")

    def half_then_full(images, file, **kwargs):
        Path(file).write_bytes(b"\x89PNG\r\n")
        _full()

    monkeypatch.setattr("torchvision.utils.save_image", half_then_full)
    grid = str(tmp_path / "run" / "images" / "epoch_0002.png")
    _resume_on_a_full_disk(files, tmp_path, capsys, grid, "--resume")


@pytest.mark.slow
def test_disk_full_appending_to_the_log(files, tmp_path, monkeypatch, capsys) -> None:
    # LogReport appends with a plain open(): the kernel's own ENOSPC, from /dev/full.
    shutil.copytree(files.gan, tmp_path / "run")

    def to_full_device(path, *args, **kwargs):
        return open("/dev/full", *args, **kwargs)

    monkeypatch.setattr(log_report, "open", to_full_device, raising=False)
    _resume_on_a_full_disk(files, tmp_path, capsys, "log.jsonl", "--resume")


@pytest.mark.parametrize(
    "argv, fragments",
    [
        ([], ("COMMAND",)),
        (["sample", "{gan_snap}", "-o", "{tmp}/grid"], ("-o",)),
        (["sample", "{gan_snap}", "--nrow", "0", "-o", "{tmp}/g.png"], ("--nrow",)),
    ],
    ids=["no-arguments", "sample-output-without-extension", "nrow-zero"],
)
@pytest.mark.subprocess
def test_real_process_exits_2_without_traceback(argv, fragments, files, tmp_path) -> None:
    paths = files.paths(tmp_path)
    assert_one_line_error(run_cli(*(part.format(**paths) for part in argv)), *fragments)


# Python API mistakes in the extensions the CLI uses raise where they are made.
@pytest.mark.parametrize(
    "make, error, name",
    [
        (lambda: ImageGrid("gen", n=0), ArgumentError, "n"),
        (lambda: ImageGrid("gen", nrow=0), ArgumentError, "nrow"),
        (lambda: ImageGrid("gen", filename="images/{epoch:04d"), ArgumentError, "filename"),
        (lambda: ImageGrid("gen", filename="images/{epok}.png"), ArgumentError, "filename"),
        (lambda: ImageGrid("gen", value_range=(1, -1)), ArgumentError, "value_range"),
        (lambda: ImageGrid(42), ArgumentTypeError, "generator"),
        (lambda: FailOnNonNumber(keys="main/loss"), ArgumentTypeError, "keys"),
    ],
    ids=["n", "nrow", "filename-brace", "filename-field", "value-range", "generator", "keys"],
)
def test_extension_arguments_are_checked_at_construction(make, error, name) -> None:
    with pytest.raises(error, match=rf"\b{name}\b"):
        make()
