"""Shared fixtures: a tiny real regression problem trained by a real Trainer, and the
command line run as a user runs it."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import torch
from torch import nn

from ignite_gen import Updater, report, report_scope
from ignite_gen.cli import build_parser
from ignite_gen.methods import METHODS
from ignite_gen.metrics import classifier as classifier_module


@pytest.fixture(scope="session", autouse=True)
def metric_cache(tmp_path_factory, request):
    """One metric-classifier training per test session, in a private cache directory
    that CLI subprocesses inherit through the environment (never the user's cache).

    Under pytest-xdist (``make test`` runs two workers) the workers share one directory
    and train the two classifiers at once, one each (each trains on one thread), under
    a lock per classifier, so neither is trained twice. Only the tests marked ``slow``
    need them: a session without one (``make test-fast``) trains none.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        cache = tmp_path_factory.mktemp("ignite-gen-cache")
    else:
        cache = tmp_path_factory.getbasetemp().parent / "ignite-gen-cache"
        cache.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IGNITE_GEN_CACHE", str(cache))
        classifier_module._cached_payload.cache_clear()
        if worker is not None and any(
            item.get_closest_marker("slow") for item in request.session.items
        ):
            domains = sorted(classifier_module.DOMAINS, reverse=worker.endswith(("1", "3")))
            for domain in domains:
                with open(cache / f"{domain}.lock", "w") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    classifier_module.load_classifier(domain=domain)
        yield
    classifier_module._cached_payload.cache_clear()


@pytest.fixture(autouse=True)
def default_subnormals():
    """Each test starts with subnormals kept, whatever an in-process CLI run before it set
    (`ignite-gen train` flushes them to zero for the rest of its process)."""
    torch.set_flush_denormal(False)
    yield
    torch.set_flush_denormal(False)


class RegressionUpdater(Updater):
    """A linear model fitted by SGD; reports its loss each iteration."""

    def update_core(self, batch):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.models["main"](x), y)
        self.step("main", loss)
        report({"main/loss": loss})


def make_regression_updater(n_batches: int = 5, batch_size: int = 4, seed: int = 0) -> Updater:
    """An updater over ``n_batches`` fixed batches of a noisy linear target."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_batches * batch_size, 3, generator=generator)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1 * torch.randn(len(x), 1, generator=generator)
    batches = [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    return RegressionUpdater(
        batches, model, torch.optim.SGD(model.parameters(), lr=0.1), device="cpu"
    )


@pytest.fixture
def regression_updater() -> Updater:
    return make_regression_updater()


#: The options of a gan run that takes seconds, on the CPU, with a fixed seed.
TINY = [
    "--max-images",
    "256",
    "--batch-size",
    "32",
    "--metric-samples",
    "0",
    "--no-progress",
    "--device",
    "cpu",
    "--seed",
    "5",
]


def run_cli(*args: str, **options) -> subprocess.CompletedProcess:
    """``ignite-gen ARGS`` in a fresh interpreter; ``options`` go to :func:`subprocess.run`
    (``input``, ``cwd``, ``env``)."""
    return subprocess.run(
        [sys.executable, "-m", "ignite_gen", *args], capture_output=True, text=True, **options
    )


def free_port() -> int:
    """A port nothing listens on now: idist's fixed default (2222) would make two test
    runs on one machine, or two xdist workers, collide."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rank_processes(pid: int) -> list[int]:
    """The processes the launcher ``pid`` started (not the resource tracker), in start
    order, which is rank order."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sorted(
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ignite-gen: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def tiny_argv(name: str) -> list[str]:
    """The arguments of method ``name``'s tiny run (``Method.tiny``); a method without one
    fails the test that asks, naming it."""
    if not METHODS[name].tiny:
        pytest.fail(f"method {name!r} has no tiny test configuration (Method.tiny)")
    return shlex.split(METHODS[name].tiny)


def tiny_settings(name: str, *extra: str) -> argparse.Namespace:
    """The settings of ``ignite-gen train NAME TINY --device cpu EXTRA``, as
    :func:`ignite_gen.methods.settings` gives them."""
    parsed = build_parser().parse_args(["train", name, *tiny_argv(name), "--device", "cpu", *extra])
    for key in ("handler", "command", "given"):
        delattr(parsed, key)
    return parsed


def train_command(name: str, *args: str) -> list[str]:
    """The command line of ``ignite-gen train NAME ARGS`` in a fresh interpreter."""
    return [sys.executable, "-m", "ignite_gen", "train", name, *args]


def process_env() -> dict[str, str]:
    """This process's environment (read now: :func:`metric_cache` points the metric
    cache at the session's own directory), each process on one thread."""
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def records(out: Path) -> list[dict]:
    """The records of ``out/log.jsonl`` without their wall-clock times."""
    lines = (out / "log.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "elapsed_time"} for line in lines]


def sgd(model: nn.Module, lr: float = 0.05) -> torch.optim.Optimizer:
    """Plain SGD. Adam turns the zero gradient of a bias before BatchNorm into a full-size
    step of rounding noise; SGD keeps a comparison with a reference about the losses."""
    return torch.optim.SGD(model.parameters(), lr=lr)


def sgd_step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """A reference step written out: zero, back-propagate, step."""
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    """``a`` and ``b`` hold the same weights, up to float rounding."""
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=name)


def assert_steps_match(
    updater: Updater, batch, reference: Callable[[int], dict], seeds: Iterable[int]
) -> list[dict]:
    """For each seed: one ``updater`` step on ``batch`` and ``reference(seed)`` (the same
    step written out, returning what it would report), each after
    ``torch.manual_seed(seed)``; the reported values must agree. Returns what the updater
    reported at each step."""
    observations = []
    for seed in seeds:
        torch.manual_seed(seed)
        with report_scope({}) as observed:
            updater.update(batch)
        torch.manual_seed(seed)
        expected = reference(seed)
        assert observed.keys() == expected.keys()
        for key, value in expected.items():
            torch.testing.assert_close(observed[key], value, rtol=1e-5, atol=1e-6, msg=key)
        observations.append(observed)
    return observations


def assert_same_state(a, b, where: str) -> None:
    """``a`` and ``b`` are the same nested state: equal tensors (``torch.equal``), keys and
    plain values."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), f"{where} differs"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys differ"
        for key in a:
            assert_same_state(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_state(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"
