"""Reporter scopes and on-device summaries against plain Python means."""

from __future__ import annotations

import math
import random

import torch

from ignite_gen import DictSummary, Reporter, report, report_scope


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
