"""Every method of the catalog (``ignite_gen.methods.METHODS``), with the tiny settings it
declares (``Method.tiny``): one step in this process, and ``ignite-gen train NAME`` on two
processes, resumed bit-exactly from its epoch-1 snapshot, the snapshot then inspected,
evaluated and used (sampled, translated or predicted from) in one process.

A method added to the catalog is tested here with no edit in ``tests/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from conftest import (
    assert_same_state,
    process_env,
    records,
    tiny_argv,
    tiny_settings,
    train_command,
)
from PIL import Image
from torchvision.utils import save_image

from ignite_gen import load_snapshot, report_scope
from ignite_gen.cli import main
from ignite_gen.methods import METHODS, build_run, hparams_of
from ignite_gen.metrics import DOMAINS, held_out_split, load_classifier
from ignite_gen.updaters.base import Updater

TWO = ["--nproc-per-node", "2", "--device", "cpu", "--no-progress", "--seed", "3"]


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_has_a_tiny_configuration(name):
    assert METHODS[name].tiny, (
        f"method {name!r} has no tiny test configuration: give its Method tiny='...', the "
        "arguments of a 'train' that takes seconds"
    )


@pytest.mark.parametrize("name", list(METHODS))
def test_a_step_moves_the_model_its_snapshots_serve(name):
    chosen = tiny_settings(name)
    run = build_run(chosen)
    assert isinstance(run.updater, Updater)
    served = METHODS[name].snapshot_use(hparams_of(chosen)).model
    model = run.updater.models[served]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with report_scope({}) as observed:
        run.updater.update(next(iter(run.updater.iterator)))
    after = model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before), f"{served} did not move"
    assert observed, "the step reported nothing"
    for key, value in observed.items():
        assert bool(torch.isfinite(torch.as_tensor(value)).all()), key


def _use_the_snapshot(name: str, snapshot: Path, tmp_path: Path, capsys) -> None:
    """``inspect``, ``evaluate`` and the command of what the snapshot is for, each in this
    process, each a success."""
    capsys.readouterr()
    assert main(["inspect", str(snapshot)]) == 0
    shown = capsys.readouterr().out
    assert all(model in shown for model in load_snapshot(snapshot).model_names)
    hparams = load_snapshot(snapshot).metadata["hparams"]
    task = METHODS[name].snapshot_use(hparams).task
    scored = []
    if task == "translate_text":  # BLEU needs references
        pairs = tmp_path / "pairs.tsv"
        pairs.write_text("I read a book.\t私は本を読みます。\nIt is cold.\t寒いです。\n")
        scored = ["--data", str(pairs)]
    assert main(["evaluate", str(snapshot), "--json", *scored]) == 0
    assert json.loads(capsys.readouterr().out)
    _, _, images, _ = held_out_split("mnist")
    digit = tmp_path / "digit.png"
    save_image((images[0] + 1) / 2, digit)
    if task == "generate":
        grid = tmp_path / "grid.png"
        assert main(["sample", str(snapshot), "-n", "4", "-o", str(grid)]) == 0
        assert Image.open(grid).size[0] > 28
    elif task == "translate_text":
        assert main(["translate", str(snapshot), "私は本を読みます。"]) == 0
        assert capsys.readouterr().out.strip()
    elif task == "translate_images":
        assert main(["translate", str(snapshot), str(digit), "--to", "v", "-o", str(tmp_path)]) == 0
        assert (tmp_path / "digit_to_v.png").is_file()
    else:
        assert main(["predict", str(snapshot), str(digit), "--json"]) == 0
        assert capsys.readouterr().out.strip()


@pytest.mark.subprocess
@pytest.mark.distributed
@pytest.mark.slow
@pytest.mark.parametrize("name", list(METHODS))
def test_two_processes_train_then_resume_bit_exactly_and_serve(name, tmp_path, capsys):
    # The metric classifiers, trained once for the session if need be, rather than by
    # both processes at once.
    for domain in DOMAINS:
        load_classifier(domain=domain)
    argv = train_command(name, *tiny_argv(name), *TWO, "--epochs", "2")
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    run = subprocess.run(
        [*argv, "--out", str(straight)], capture_output=True, text=True, env=process_env()
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("done: 2 epochs") == 1  # rank 0 alone reports

    # What a run killed in epoch 2 leaves (SIGKILL itself is method-independent, and
    # tests/test_resume.py and tests/test_distributed_launch.py kill real runs): the
    # epoch-1 snapshot, from which --resume continues on two processes.
    resumed.mkdir()
    shutil.copy2(straight / "snapshot_epoch_0001.pt", resumed)
    resume = [*argv, "--out", str(resumed), "--resume"]
    again = subprocess.run(resume, capture_output=True, text=True, env=process_env())
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr

    assert records(resumed) == records(straight)
    assert [record["epoch"] for record in records(resumed)] == [1, 2]
    names = sorted(p.name for p in resumed.glob("snapshot*"))
    assert names == ["snapshot_epoch_0001.pt", "snapshot_epoch_0002.pt"]
    a, b = (load_snapshot(out / "snapshot_epoch_0002.pt") for out in (straight, resumed))
    assert b.metadata["world_size"] == 2 and b.metadata["hparams"]["method"] == name
    assert b.metadata["elapsed_time"] > 0
    for part in ("models", "optimizers", "iterator", "iteration"):
        assert_same_state(a.payload["updater"][part], b.payload["updater"][part], part)
    # Both processes' generators, so a later resume would continue exactly too.
    assert_same_state(a.payload["rng"], b.payload["rng"], "rng")
    _use_the_snapshot(name, resumed / "snapshot_epoch_0002.pt", tmp_path, capsys)
