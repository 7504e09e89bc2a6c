"""Options say the truth, and settings that cannot work are refused or warned about
(issue 21, classes 8 and 11).

- Every numeric option refuses NaN and the infinities as not finite numbers, and says
  the range it accepts; the range it accepts is the one the library accepts, so what
  parses also builds (``--ema-decay 0`` parsed, then failed in the updater).
- An unknown option points to the help of the sub-command it follows.
- ``--precision fp16`` on the CPU is refused before anything is written, and
  ``precision="fp16"`` on a CPU device is an ``ArgumentError`` of the updaters.
- A loss that grows by orders of magnitude gets one warning line; a healthy run none.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import warnings
from pathlib import Path

import pytest
import torch
from conftest import (
    RegressionUpdater,
    assert_one_line_error,
    make_regression_updater,
    run_cli,
    tiny_argv,
)
from test_bad_input import NO_GPU, QUICK, SEQ2SEQ, _run, assert_one_line
from test_no_host_sync import EPOCH_LENGTH, SyncCounter, watched_trainer

from ignite_gen import Trainer, report
from ignite_gen.cli import build_parser
from ignite_gen.errors import ArgumentError, UserError
from ignite_gen.extensions import LogReport, WarnOnExplodingLoss, snapshot
from ignite_gen.methods import METHODS, build_run, settings
from ignite_gen.models import build_model
from ignite_gen.updaters import ExponentialMovingAverage, GANUpdater, Seq2SeqUpdater, precision
from ignite_gen.updaters.precision import check_precision

# Bounded by the size of the data, not by the option's type.
DATA_BOUND = {"batch_size", "max_images", "max_pairs", "max_len"}
# Options that do not feed the run that build_run makes: where it is written, on which
# device, and how processes are launched (checked by plan_launch); and data paths.
NOT_BUILT = {
    "out",
    "device",
    "data_root",
    "data",
    "src",
    "tgt",
    "nproc_per_node",
    "nnodes",
    "node_rank",
    "master_port",
    "dist_timeout",
}


# -- class 8: messages that say the truth -------------------------------------------------

MESSAGES = [
    # (command line, what the one line must say)
    ("train gan --ema-decay 0", "--ema-decay: 0 is out of range: it must be in (0, 1)"),
    ("train gan --ema-decay nan", "--ema-decay: nan is not a finite number; it must be in (0, 1)"),
    ("train gan --lr inf", "--lr: inf is not a finite number; it must be greater than 0"),
    ("train gan --lr 1e400", "--lr: 1e400 is not a finite number; it must be greater than 0"),
    ("train gan --lr 0", "--lr: 0 is out of range: it must be greater than 0"),
    ("train gan --beta1 nan", "--beta1: nan is not a finite number; it must be in [0, 1)"),
    ("train gan --metric-samples -1", "-1 is out of range: it must be 0 (off) or 2 to 5000"),
    ("train gan --metric-samples 1", "it must be 0 (off) or 2 to 5000"),
    ("train wgan --gp inf", "--gp: inf is not a finite number; it must be at least 0"),
    ("train wgan --gp -1", "--gp: -1 is out of range: it must be at least 0 "),
    ("train lsgan --a inf", "--a: inf is not a finite number"),
    ("train lsgan --c nan", "--c: nan is not a finite number"),
    ("train seq2seq --teacher-forcing 1.5", "1.5 is out of range: it must be in [0, 1]"),
    ("train seq2seq --teacher-forcing nan", "--teacher-forcing: nan is not a finite number"),
    ("evaluate missing.pt -n -1", "-n/--num: -1 is out of range: it must be 2 to 5000"),
    ("evaluate missing.pt -n 6000", "-n/--num: 6000 is out of range: it must be 2 to 5000"),
    ("train gan --bogus", "unrecognized arguments: --bogus (see 'ignite-gen train gan --help')"),
    ("train seq2seq --lr 1 --bogus 3", "--bogus 3 (see 'ignite-gen train seq2seq --help')"),
    ("sample missing.pt --bogus", "arguments: --bogus (see 'ignite-gen sample --help')"),
]


@pytest.mark.parametrize(("command", "expected"), MESSAGES, ids=[c for c, _ in MESSAGES])
def test_a_refused_option_says_what_is_accepted(command, expected, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = command.split()
    code = _run([*argv, "--out", "run"] if argv[0] == "train" else argv)
    assert_one_line(code, capsys.readouterr().err, (expected,))
    assert list(tmp_path.iterdir()) == []  # refused while parsing: nothing written


def _command_parsers() -> dict[str, argparse.ArgumentParser]:
    """Every (sub-)command's parser by its prog: 'ignite-gen train gan', 'ignite-gen sample'."""
    found: dict[str, argparse.ArgumentParser] = {}
    pending = [build_parser()]
    while pending:
        parser = pending.pop()
        found[parser.prog] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(action.choices.values())
    return found


def _numeric_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The options whose type makes numbers of what they parse."""
    return [
        action
        for action in parser._actions
        if action.option_strings and callable(action.type) and _parses_a_number(action)
    ]


def _parses_a_number(action: argparse.Action) -> bool:
    for text in ("1", "0", "0.5", "-1"):
        with contextlib.suppress(argparse.ArgumentTypeError, ValueError, TypeError):
            return isinstance(action.type(text), (int, float))  # type: ignore[misc]
    return False


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400"])
def test_every_numeric_option_refuses_what_is_not_a_finite_number(text):
    refused = []
    for prog, parser in _command_parsers().items():
        for action in _numeric_options(parser):
            try:
                action.type(text)  # type: ignore[misc]
            except argparse.ArgumentTypeError as error:
                message = str(error)
                words = ("not a finite number", "is not a whole number")
                assert any(w in message for w in words), (prog, action.dest, message)
                refused.append(action.dest)
            except ValueError:  # int: argparse says "invalid int value: 'nan'"
                refused.append(action.dest)
            else:
                raise AssertionError(f"{prog} {action.option_strings[-1]} {text} parses")
    assert {"lr", "ema_decay", "a", "teacher_forcing", "num", "metric_samples"} <= set(refused)


def _boundaries(action: argparse.Action) -> list[str]:
    """The lowest and highest of some boundary values that ``action`` accepts (-2, not
    -1: LSGAN's a and b must differ, and default to -1 and 1)."""
    accepted = []
    for text in ("-2", "0", "1e-9", "0.5", "1", "2", "1e300"):
        with contextlib.suppress(argparse.ArgumentTypeError, ValueError):
            action.type(text)  # type: ignore[misc]
            accepted.append(text)
    return sorted({accepted[0], accepted[-1]}) if accepted else []


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.slow
def test_what_an_option_accepts_the_method_builds_with(method):
    parser = _command_parsers()[f"ignite-gen train {method}"]
    tiny = tiny_argv(method)
    if "--tie-embeddings" in parser._option_string_actions:
        tiny.append("--no-tie-embeddings")  # sizes free of each other: tying needs them equal
    refused = []
    for action in _numeric_options(parser):
        if action.dest in NOT_BUILT or action.dest in DATA_BOUND:
            continue
        for text in _boundaries(action):
            args = parser.parse_args([*tiny, "--device", "cpu", action.option_strings[-1], text])
            try:
                build_run(args)
            except UserError as error:
                refused.append(f"{action.option_strings[-1]} {text}: {error}")
    assert refused == []


# -- class 11: settings that cannot work ---------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["train", "gan", *QUICK, "--precision", "fp16"],
        ["train", "seq2seq", *SEQ2SEQ, "--precision", "fp16"],
        ["train", "dualgan", *QUICK[:4], "--no-progress", "--device", "cpu", "--precision", "fp16"],
        pytest.param(
            ["train", "cvae", *QUICK[:-2], "--device", "auto", "--precision", "fp16"],
            marks=NO_GPU,
        ),
    ],
    ids=["gan", "seq2seq", "dualgan", "auto-without-cuda"],
)
def test_fp16_on_the_cpu_is_refused_before_anything_is_written(command, tmp_path, capsys):
    out = tmp_path / "run"
    code = _run([*command, "--out", str(out)])
    fragments = ("--precision fp16 needs a CUDA device", "use --precision fp32")
    assert_one_line(code, capsys.readouterr().err, fragments)
    assert not out.exists()


def test_the_updaters_refuse_fp16_on_a_cpu_device():
    gen, dis = (
        build_model("dcgan-generator", z_dim=4, hidden=4),
        build_model("dcgan-discriminator", hidden=4),
    )
    adam = lambda m: torch.optim.Adam(m.parameters())  # noqa: E731
    images = [torch.zeros(2, 1, 28, 28)]
    with pytest.raises(
        ArgumentError, match=r"^precision='fp16' needs a CUDA device.*use precision='fp32'"
    ):
        GANUpdater(images, gen, dis, adam(gen), adam(dis), device="cpu", precision="fp16")
    run = build_run(settings("seq2seq", device="cpu", max_pairs=200, hidden=8, embed=8))
    model = run.updater.models["main"]
    with pytest.raises(ArgumentError, match=r"^precision='fp16' needs a CUDA device"):
        Seq2SeqUpdater(run.updater.iterator, model, adam(model), device="cpu", precision="fp16")
    # bf16 stays: it is native on CPUs with AVX512-BF16 or AMX.
    assert GANUpdater(images, gen, dis, adam(gen), adam(dis), device="cpu", precision="bf16")


@pytest.mark.parametrize("native", [True, False], ids=["native-bf16", "emulated-bf16"])
@pytest.mark.slow
def test_bf16_on_a_cpu_without_bfloat16_instructions_warns_once(
    native, monkeypatch, recwarn, tmp_path
):
    # Which CPU this is decides; the answer is what the warning follows.
    monkeypatch.setattr(precision, "_native_cpu_bf16", lambda: native)
    argv = ["train", "gan", *QUICK, "--max-images", "64", "--batch-size", "32"]
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # pytest records every repeat; a user sees one
        # The options are checked, then the updater: two checks, one line.
        assert _run([*argv, "--precision", "bf16", "--out", str(tmp_path / "run")]) == 0
    told = [str(w.message) for w in recwarn.list if "bfloat16" in str(w.message)]
    expected = (
        "bf16 on this CPU, which has no bfloat16 instructions (AVX512-BF16 or AMX), is "
        "emulated, many times slower than fp32: train in fp32 here"
    )
    assert told == ([] if native else [expected])


@pytest.mark.skipif(precision._native_cpu_bf16(), reason="this CPU runs bfloat16 natively")
def test_this_cpu_without_bfloat16_instructions_is_told(recwarn):
    check_precision("bf16", torch.device("cpu"))
    assert any("no bfloat16 instructions" in str(w.message) for w in recwarn.list)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda u: type(u)(
                u.iterator, u.models, u.optimizers, device="cpu", grad_clip=float("inf")
            ),
            "grad_clip is inf, not a finite number; it must be positive",
        ),
        (
            lambda u: type(u)(
                u.iterator, u.models, u.optimizers, device="cpu", ema={"main": float("nan")}
            ),
            r"ema\['main'\] is nan, not a finite number; it must be in \(0, 1\)",
        ),
        (
            lambda u: ExponentialMovingAverage(u.models["main"], float("inf")),
            r"decay is inf, not a finite number; it must be in \(0, 1\)",
        ),
    ],
    ids=["grad-clip-inf", "ema-nan", "decay-inf"],
)
def test_python_api_messages_say_that_nan_and_inf_are_not_finite(build, expected):
    with pytest.raises(ArgumentError, match=expected):
        build(make_regression_updater())


def _grew(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "grew from" in str(w.message)]


@pytest.mark.slow
def test_a_learning_rate_that_explodes_the_losses_warns_once(tmp_path, capsys):
    out = tmp_path / "run"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        argv = ["train", "gan", *QUICK, "--lr", "1e6", "--out", str(out)]
        code = _run(argv)
    assert code == 0, capsys.readouterr().err  # a warning: the run and its snapshot stay
    messages = _grew(caught)
    assert len(messages) == 1 and "\n" not in messages[0], messages
    assert messages[0].startswith("dis/loss grew from 0.")
    assert messages[0].endswith(
        "by iteration 2; the learning rate may be too high, or the method diverged"
    )
    # The log holds what the warning says: the loss exploded, though it stayed finite.
    record = json.loads((out / "log.jsonl").read_text())
    assert 1e6 < record["dis/loss"] < math.inf


@pytest.mark.slow
def test_a_healthy_run_does_not_warn(tmp_path, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = _run(["train", "gan", *QUICK, "--out", str(tmp_path / "run")])
    assert code == 0, capsys.readouterr().err
    assert _grew(caught) == []


def test_the_warning_reads_values_only_when_the_log_writes(tmp_path):
    trainer = watched_trainer(tmp_path)
    trainer.extend(LogReport(trigger=(1, "epoch")))
    trainer.extend(WarnOnExplodingLoss(keys=["main/loss", "main/out"]))
    try:
        trainer.run()
    finally:
        SyncCounter.trainer = None
    assert set(SyncCounter.reads) == {EPOCH_LENGTH, 2 * EPOCH_LENGTH}
    state = trainer.get_extension("WarnOnExplodingLoss").state_dict()
    assert set(state["first"]) == {"main/loss", "main/out"} and state["warned"] == []
    assert all(type(value) is float for value in state["first"].values())


class ExplodingUpdater(RegressionUpdater):
    """Reports a loss of 0.5 until iteration ``explode_at``, then of 5,000."""

    explode_at = 2

    def update_core(self, batch):
        report({"main/loss": torch.tensor(0.5 if self.iteration + 1 < self.explode_at else 5e3)})


def exploding_run(out: Path, epochs: int, explode_at: int) -> list[str]:
    """The warnings of an :class:`ExplodingUpdater` run of 5 iterations an epoch, which
    resumes from the newest snapshot in ``out``."""
    base = make_regression_updater()
    updater = ExplodingUpdater(base.iterator, base.models, base.optimizers, device="cpu")
    updater.explode_at = explode_at
    trainer = Trainer(updater, (epochs, "epoch"), out=out, resume="auto")
    trainer.extend(LogReport())
    trainer.extend(WarnOnExplodingLoss())
    trainer.extend(snapshot())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.run()
    return _grew(caught)


def test_the_warning_names_the_key_the_values_and_the_iteration(tmp_path):
    # 0.5 at iteration 1, 5,000 after: the first epoch's mean is 4,000.1, 8,000 times 0.5.
    assert exploding_run(tmp_path, 1, explode_at=2) == [
        "main/loss grew from 0.5 to 4e+03 by iteration 5; the learning rate may be too "
        "high, or the method diverged"
    ]


def test_the_warning_keeps_what_it_saw_across_a_resume(tmp_path):
    # Warned before the snapshot: not again after it.
    assert len(exploding_run(tmp_path / "early", 1, explode_at=2)) == 1
    assert exploding_run(tmp_path / "early", 2, explode_at=2) == []
    # Exploding after the snapshot: measured against the first value, from before it.
    assert exploding_run(tmp_path / "late", 1, explode_at=6) == []
    assert exploding_run(tmp_path / "late", 2, explode_at=6) == [
        "main/loss grew from 0.5 to 5e+03 by iteration 10; the learning rate may be too "
        "high, or the method diverged"
    ]


def test_the_warning_needs_a_log_report(tmp_path):
    trainer = Trainer(make_regression_updater(), (1, "epoch"), out=tmp_path)
    trainer.extend(WarnOnExplodingLoss())
    with pytest.raises(ArgumentError, match=r"LogReport named 'LogReport'.*with LogReport"):
        trainer.run()


@pytest.mark.subprocess
def test_an_unknown_option_points_to_its_command_help_from_the_real_command(tmp_path):
    result = run_cli("train", "cvae", "--task", "predict", "--bogus", cwd=tmp_path)
    assert_one_line_error(
        result, "unrecognized arguments: --bogus", "'ignite-gen train cvae --help'"
    )
    assert list(tmp_path.iterdir()) == []
