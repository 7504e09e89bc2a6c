"""The command line as a user meets it: help, a short training run, inspect, sample, errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch
from conftest import assert_one_line_error, make_regression_updater, run_cli
from PIL import Image

from ignite_gen import GANUpdater, Trainer, load_snapshot
from ignite_gen.cli import main
from ignite_gen.extensions import snapshot
from ignite_gen.models import build_model
from ignite_gen.run_lock import RunLock

QUICK = [
    "--epochs",
    "2",
    "--batch-size",
    "32",
    "--max-images",
    "256",
    "--device",
    "cpu",
    "--no-progress",
    "--metric-samples",
    "0",
]


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan")
    result = run_cli("train", "gan", *QUICK, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.mark.parametrize("command", [[], ["train"], ["train", "gan"], ["inspect"], ["sample"]])
def test_help_is_complete(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "usage: ignite-gen" in text
    if command == ["train", "gan"]:
        for option in (
            "--epochs",
            "--batch-size",
            "--out",
            "--device",
            "--seed",
            "--resume",
            "--data-root",
        ):
            assert option in text


@pytest.mark.subprocess
def test_train_gan_leaves_outputs(gan_run):
    out, result = gan_run
    assert (out / "log.jsonl").read_text().count("\n") == 2
    assert (out / "loss.png").stat().st_size > 0
    for epoch in (1, 2):
        assert Image.open(out / f"images/epoch_{epoch:04d}.png").size[0] > 8 * 28
        assert (out / f"snapshot_epoch_{epoch:04d}.pt").is_file()
    assert "dis/loss" in result.stdout  # the per-epoch table


@pytest.mark.subprocess
def test_inspect_directory_and_file(gan_run):
    out, _ = gan_run
    table = run_cli("inspect", str(out))
    assert table.returncode == 0, table.stderr
    rows = table.stdout.strip().splitlines()
    assert rows[0].split()[:4] == ["snapshot", "epoch", "iteration", "elapsed"]
    assert "gen/loss" in rows[0] and len(rows) == 3
    assert rows[2].split()[:3] == ["snapshot_epoch_0002.pt", "2", "16"]
    detail = run_cli("inspect", str(out / "snapshot_epoch_0002.pt"))
    assert detail.returncode == 0, detail.stderr
    for fragment in ("dcgan-generator", "parameters", "Adam", "iteration 16", "gen/loss"):
        assert fragment in detail.stdout


@pytest.mark.subprocess
def test_sample_writes_a_grid(gan_run, tmp_path):
    out, _ = gan_run
    target = tmp_path / "grid.png"
    result = run_cli(
        "sample", str(out / "snapshot_epoch_0002.pt"), "-n", "16", "--nrow", "4", "-o", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert Image.open(target).size == (4 * 30 + 2, 4 * 30 + 2)
    # Seed 0 and 64 images redraw the epoch grid ImageGrid wrote during training.
    epoch_grid = tmp_path / "epoch.png"
    result = run_cli("sample", str(out / "snapshot_epoch_0002.pt"), "-o", str(epoch_grid))
    assert result.returncode == 0, result.stderr
    assert epoch_grid.read_bytes() == (out / "images" / "epoch_0002.png").read_bytes()


@pytest.mark.subprocess
def test_existing_run_needs_resume(gan_run):
    out, _ = gan_run
    assert_one_line_error(run_cli("train", "gan", *QUICK, "--out", str(out)), "--resume")


@pytest.mark.subprocess
def test_resume_of_a_finished_run_trains_further(gan_run, tmp_path):
    out, _ = gan_run
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(out), str(copy)], check=True)
    longer = ["--epochs", "3", *QUICK[2:]]
    same = run_cli("train", "gan", *QUICK, "--out", str(copy), "--resume")
    assert same.returncode == 0 and "already" in same.stdout, same.stderr
    result = run_cli("train", "gan", *longer, "--out", str(copy), "--resume")
    assert result.returncode == 0, result.stderr
    assert (copy / "snapshot_epoch_0003.pt").is_file()
    assert (copy / "log.jsonl").read_text().count("\n") == 3


@pytest.mark.subprocess
def test_missing_data_root(tmp_path):
    missing = tmp_path / "nowhere"
    assert_one_line_error(
        run_cli("train", "gan", *QUICK, "--out", str(tmp_path / "o"), "--data-root", str(missing)),
        str(missing),
    )


@pytest.mark.subprocess
def test_busy_output_directory(tmp_path):
    with RunLock(tmp_path):
        assert_one_line_error(
            run_cli("train", "gan", *QUICK, "--out", str(tmp_path)), "in use by another live run"
        )


@pytest.mark.subprocess
def test_corrupt_snapshot_everywhere(gan_run, tmp_path):
    out, _ = gan_run
    bad = tmp_path / "snapshot_epoch_0001.pt"
    bad.write_bytes((out / "snapshot_epoch_0001.pt").read_bytes()[:1000])
    assert_one_line_error(run_cli("inspect", str(bad)), "truncated or corrupt", str(bad))
    assert_one_line_error(run_cli("sample", str(bad)), "truncated or corrupt")
    assert_one_line_error(
        run_cli("train", "gan", *QUICK, "--out", str(tmp_path), "--resume"), "truncated or corrupt"
    )


@pytest.mark.subprocess
def test_sample_needs_a_generator(tmp_path):
    trainer = Trainer(make_regression_updater(), (1, "epoch"), out=tmp_path)
    trainer.extend(snapshot())
    trainer.run()
    assert_one_line_error(
        run_cli("sample", str(tmp_path / "snapshot_epoch_0001.pt")), "no generator 'gen'"
    )


@pytest.mark.subprocess
def test_resume_with_other_network_settings_names_both(gan_run, tmp_path):
    out, _ = gan_run
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(out), str(copy)], check=True)
    result = run_cli("train", "gan", *QUICK, "--out", str(copy), "--resume", "--z-dim", "32")
    assert_one_line_error(result, "--z-dim 64", "this one has --z-dim 32")


@pytest.mark.subprocess
def test_nan_loss_stops_with_key_and_iteration(tmp_path):
    # A learning rate of 1e38 overflows the weights within the first steps.
    result = run_cli("train", "gan", *QUICK, "--out", str(tmp_path), "--lr", "1e38")
    assert_one_line_error(result, "non-finite value in '", "/loss' at iteration ")
    assert not list(tmp_path.glob("snapshot*.pt"))


@pytest.mark.subprocess
def test_montage_draws_one_row_per_snapshot(gan_run, tmp_path):
    out, _ = gan_run
    target = tmp_path / "montage.png"
    result = run_cli("montage", str(out), "-o", str(target), "-n", "6")
    assert result.returncode == 0, result.stderr
    assert "2 rows of 6 samples" in result.stdout
    width, height = Image.open(target).size
    assert height == 2 * (2 * 30 + 2)  # two rows of 28-pixel samples, drawn at double size
    assert width == 2 * (6 * 30 + 2) + 110  # plus the margin of the row labels
    assert_one_line_error(run_cli("montage", str(tmp_path)), "no snapshot*.pt files")


@pytest.mark.subprocess
def test_metrics_each_epoch_agree_with_evaluate(tmp_path):
    args = [*QUICK[:-2], "--metric-samples", "200", "--epochs", "1", "--ema-decay", "0.9"]
    result = run_cli("train", "gan", *args, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "untrained generator: FID" in result.stdout and "final generator: FID" in result.stdout
    record = json.loads((tmp_path / "log.jsonl").read_text().splitlines()[-1])
    evaluated = run_cli("evaluate", str(tmp_path / "snapshot_epoch_0001.pt"), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    scores = json.loads(evaluated.stdout)
    assert scores["model"] == "gen_ema" and scores["n"] == 200
    for key in ("fid", "is", "coverage"):
        assert scores[key] == pytest.approx(record[f"gen/{key}"], rel=1e-6)
    table = run_cli("inspect", str(tmp_path))
    assert "gen/fid" in table.stdout.splitlines()[0]
    # A resumed run keeps the untrained generator's scores, its yardstick.
    more = [*args[:-4], "--epochs", "2", "--ema-decay", "0.9", "--resume"]
    resumed = run_cli("train", "gan", *more, "--out", str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr
    first, second = (load_snapshot(tmp_path / f"snapshot_epoch_000{e}.pt").metadata for e in (1, 2))
    assert second["initial_quality"] == first["initial_quality"]


@pytest.mark.subprocess
def test_unknown_method_is_a_one_line_error():
    unknown = run_cli("train", "vae")
    assert_one_line_error(unknown, "invalid choice: 'vae'", "ignite-gen train --help")
    assert_one_line_error(run_cli("train", "gan", "--epochs", "x"), "--epochs", "'x'")


@pytest.mark.subprocess
def test_metrics_of_non_mnist_samples_are_a_one_line_error(tmp_path):
    torch.manual_seed(0)
    gen = build_model("dcgan-generator", z_dim=8, hidden=8, channels=3)
    dis = build_model("dcgan-discriminator", channels=3, hidden=8)
    sgd = lambda m: torch.optim.SGD(m.parameters(), lr=0.01)  # noqa: E731
    colour = [torch.rand(4, 3, 28, 28) * 2 - 1]
    updater = GANUpdater(colour, gen, dis, sgd(gen), sgd(dis), device="cpu")
    trainer = Trainer(updater, (1, "epoch"), out=tmp_path)
    trainer.extend(snapshot())
    trainer.run()
    result = run_cli("evaluate", str(tmp_path / "snapshot_epoch_0001.pt"), "-n", "50")
    assert_one_line_error(result, "MNIST-shaped samples (N, 1, 28, 28)", "got (50, 3, 28, 28)")


@pytest.mark.subprocess
def test_train_seq2seq_on_the_bundled_grammar(tmp_path):
    args = ["--epochs", "1", "--max-pairs", "600", "--hidden", "32", "--embed", "32"]
    args += ["--tie-embeddings", "--lr", "0.002"]
    result = run_cli("train", "seq2seq", *args, "--no-progress", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "validation: BLEU" in result.stdout and "src: " in result.stdout
    record = json.loads((tmp_path / "log.jsonl").read_text().splitlines()[-1])
    assert {"validation/main/loss", "validation/main/bleu", "validation/main/chrf"} <= set(record)
    # The epoch's record averages the cosine schedule's rates over its iterations.
    n = record["iteration"]
    cosine = [0.001 * (1 + math.cos(math.pi * i / n)) for i in range(n)]
    assert record["lr"] == pytest.approx(sum(cosine) / n)
    assert (tmp_path / "translations" / "epoch_0001.txt").read_text().count("hyp: ") > 10
    metadata = load_snapshot(tmp_path / "snapshot_epoch_0001.pt").metadata
    assert metadata["src_vocab"]["itos"][:4] == ["<pad>", "<sos>", "<eos>", "<unk>"]
    assert metadata["src_tokenizer"]["name"] == "japanese"
    detail = run_cli("inspect", str(tmp_path / "snapshot_epoch_0001.pt"))
    vocab = len(metadata["src_vocab"]["itos"])
    assert f"vocabulary source {vocab:,} tokens" in detail.stdout, detail.stderr
    assert "seq2seq-gru" in detail.stdout and "attention" in detail.stdout
    model = load_snapshot(tmp_path / "snapshot_epoch_0001.pt").model("main")
    assert model.output.weight is model.tgt_embed.weight


@pytest.mark.subprocess
def test_translate_arguments_stdin_and_errors(gan_run, tmp_path):
    args = ["--epochs", "1", "--max-pairs", "300", "--hidden", "16", "--embed", "16"]
    result = run_cli("train", "seq2seq", *args, "--no-progress", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    snap = str(tmp_path / "snapshot_epoch_0001.pt")
    two = run_cli("translate", snap, "私は本を読みます。", "彼は学校に行きました。", "--beam", "3")
    assert two.returncode == 0, two.stderr
    assert len(two.stdout.splitlines()) == 2
    piped = subprocess.run(
        [sys.executable, "-m", "ignite_gen", "translate", snap],
        input="猫は牛乳を飲みます。\n\n犬は寝ます。\n",
        capture_output=True,
        text=True,
    )
    # One line out per line in, the blank one too.
    assert piped.returncode == 0 and len(piped.stdout.splitlines()) == 3, piped.stderr
    out, _ = gan_run
    gan = run_cli("translate", str(out / "snapshot_epoch_0002.pt"), "猫")
    assert_one_line_error(gan, "not a seq2seq snapshot")


@pytest.mark.subprocess
def test_bad_corpora_are_one_line_errors(tmp_path):
    ja, en = tmp_path / "ja.txt", tmp_path / "en.txt"
    ja.write_text("猫です。\n犬です。\n", "utf-8")
    en.write_text("It is a cat.\n", "utf-8")
    quick = ["--epochs", "1", "--no-progress", "--out", str(tmp_path / "o")]
    misaligned = run_cli("train", "seq2seq", "--src", str(ja), "--tgt", str(en), *quick)
    assert_one_line_error(misaligned, str(ja), str(en), "2", "1")
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("It is a cat.\t猫です。\nno tab on this line\n", "utf-8")
    assert_one_line_error(run_cli("train", "seq2seq", "--data", str(tsv), *quick), f"{tsv}:2")
    tsv.write_bytes("It is a cat.\t猫です。\n".encode() + b"bad \xff bytes\t\xfe\n")
    assert_one_line_error(run_cli("train", "seq2seq", "--data", str(tsv), *quick), f"{tsv}:2")


def test_training_processes_are_seeded_and_flush_subnormals_to_zero():
    from ignite_gen.methods import prepare_process

    subnormal = torch.tensor([1e-40])
    torch.set_flush_denormal(False)  # an earlier in-process CLI run may have set it
    assert (subnormal * 1.0).item() != 0.0
    try:
        prepare_process(3)
        first = torch.rand(4)
        prepare_process(3)
        assert torch.equal(torch.rand(4), first)
        assert (subnormal * 1.0).item() == 0.0
    finally:
        torch.set_flush_denormal(False)
