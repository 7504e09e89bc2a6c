"""Reporter scopes and on-device summaries against plain Python means."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from conftest import RegressionUpdater, make_regression_updater

from ignite_gen import ArgumentTypeError, DictSummary, Reporter, Trainer, report, report_scope
from ignite_gen.extensions import LogReport


def test_report_outside_scope_is_ignored():
    report({"x": 1.0})  # nothing open: must not raise


def test_report_detaches_tensors():
    w = torch.ones((), requires_grad=True)
    with report_scope({}) as observation:
        report({"loss": w * 2})
    assert not observation["loss"].requires_grad


def test_nested_scopes_route_to_innermost():
    outer, inner = {}, {}
    reporter = Reporter()
    with reporter.scope(outer):
        report({"a": 1})
        with report_scope(inner):
            report({"b": 2})
        report({"c": 3})
    assert outer == {"a": 1, "c": 3}
    assert inner == {"b": 2}


def test_dict_summary_matches_python_mean_over_many_folds():
    rng = random.Random(0)
    values = {"t": [rng.uniform(-1, 1) for _ in range(300)], "f": [rng.random() for _ in range(7)]}
    summary = DictSummary()
    for i, v in enumerate(values["t"]):
        observation = {"t": torch.tensor(v, dtype=torch.float64)}
        if i < len(values["f"]):
            observation["f"] = values["f"][i]
        summary.add(observation)
    means = summary.compute_mean()
    assert math.isclose(means["t"], sum(values["t"]) / 300, rel_tol=1e-9)
    assert math.isclose(means["f"], sum(values["f"]) / 7, rel_tol=1e-12)


def test_dict_summary_state_round_trip():
    summary = DictSummary()
    for v in (1.0, 2.0, 6.0):
        summary.add({"x": torch.tensor(v)})
    restored = DictSummary()
    restored.load_state_dict(summary.state_dict())
    restored.add({"x": torch.tensor(3.0)})
    assert restored.compute_mean() == {"x": 3.0}


def test_numpy_and_python_numbers_are_summed_as_python_numbers(tmp_path):
    values = [np.float32(1.5), np.float64(2.5), np.array(3.0), np.int64(4), True, 5, 6.0]
    summary = DictSummary()
    for value in values:
        with report_scope({}) as observation:
            report({"x": value})
        assert type(observation["x"]) in (float, int, bool)
        summary.add(observation)
    assert summary.compute_mean() == {"x": pytest.approx(23 / 7, rel=1e-12)}
    # The state holds no NumPy type, so a weights-only load (as snapshots use) accepts it.
    summary.add({"y": np.float32(0.25)})
    torch.save(summary.state_dict(), tmp_path / "state.pt")
    restored = DictSummary()
    restored.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True))
    assert restored.compute_mean() == {"x": pytest.approx(23 / 7, rel=1e-12), "y": 0.25}


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_values_are_summed_in_fp32(dtype):
    values = (1.0 + torch.linspace(0, 1, 1000, dtype=torch.float64).sin()).to(dtype)
    summary = DictSummary()
    for value in values:
        summary.add({"loss": value})
    exact = values.double().mean().item()
    assert summary.compute_mean()["loss"] == pytest.approx(exact, rel=1e-6)


def test_integer_and_bool_tensors_are_summed_as_floats():
    summary = DictSummary()
    for value in (torch.tensor(3), torch.tensor(True), torch.tensor([1, 2], dtype=torch.int8)):
        summary.add({"n": value})
    assert summary.compute_mean() == {"n": pytest.approx((3 + 1 + 1.5) / 3)}


def test_a_non_number_fails_at_the_report_not_at_the_epoch_end(tmp_path):
    class Careless(RegressionUpdater):
        def update_core(self, batch):
            super().update_core(batch)
            report({"main/note": "converging"})

    base = make_regression_updater()
    updater = Careless(base.iterator, base.models, base.optimizers, device="cpu")
    trainer = Trainer(updater, (1, "epoch"), out=tmp_path)
    trainer.extend(LogReport())
    with pytest.raises(ArgumentTypeError, match=r"report: 'main/note' is 'converging'"):
        trainer.run()
    assert trainer.iteration == 1  # the first of the epoch's 5 iterations
