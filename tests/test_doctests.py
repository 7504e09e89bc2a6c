"""The ``Example:`` sections of the package's docstrings run as doctests.

Examples name objects they do not build (``loader``, ``gen``, ``trainer``, a snapshot
at ``result/snapshot_epoch_0003.pt``); :func:`example_names` builds small real ones,
afresh for each docstring, in a temporary working directory. Lines that cannot run in a
test (long training, a GPU, several processes) carry ``# doctest: +SKIP``.
"""

from __future__ import annotations

import argparse
import doctest
import errno
import importlib
import pkgutil
import re
import shutil
import types
import warnings
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torchvision.utils import save_image

import ignite_gen
from ignite_gen import GANUpdater, Trainer, data, extensions, metrics, models, snapshot, trainer
from ignite_gen.cli import build_parser
from ignite_gen.data import TensorLoader, load_mnist_subset, to_unit_range
from ignite_gen.methods import get_method
from ignite_gen.methods.training import settings
from ignite_gen.models import DCGANDiscriminator, DCGANGenerator, build_model

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: The public API, as a user who read the package's front page has it at hand.
PUBLIC = {
    name: getattr(package, name)
    for package in (ignite_gen, data, extensions, metrics, models, snapshot, trainer)
    for name in package.__all__
}

#: Modules whose examples mean another method's models by ``gen`` and ``dis``.
MODEL_PAIRS = {
    "ignite_gen.models.infogan": ("infogan-generator", "infogan-discriminator"),
    "ignite_gen.metrics.code_purity": ("infogan-generator", "infogan-discriminator"),
    "ignite_gen.extensions.code_traversal": ("infogan-generator", "infogan-discriminator"),
    "ignite_gen.metrics.style_transfer": ("cvaegan-generator", "cvaegan-discriminator"),
}


def _module_names() -> list[str]:
    names = ["ignite_gen"]
    for info in pkgutil.walk_packages(ignite_gen.__path__, prefix="ignite_gen."):
        if not info.name.endswith("__main__"):  # importing it would run the command
            names.append(info.name)
    return sorted(names)


def _docstring_tests(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    found = doctest.DocTestFinder(exclude_empty=True).find(module, module_name)
    return sorted((test for test in found if test.examples), key=lambda test: test.name)


def _all_tests() -> list[doctest.DocTest]:
    return [test for name in _module_names() for test in _docstring_tests(name)]


TESTS = _all_tests()

#: What needs the metric classifiers, which only sessions with ``slow`` tests train.
_NEEDS_CLASSIFIER = re.compile(
    r"\b(load_classifier\w*|classifier_accuracy|train_classifier|classify|sample_quality"
    r"|real_data_scores|score_generator|scores_from_outputs|conditional_accuracy\w*"
    r"|predictor_accuracy|label_preservation|style_transfer_accuracy|code_purity"
    r"|evaluate_snapshot)\("
)


def _param(test: doctest.DocTest) -> Any:
    source = "".join(example.source for example in test.examples)
    slow = _NEEDS_CLASSIFIER.search(source) is not None
    return pytest.param(test, id=test.name, marks=[pytest.mark.slow] if slow else [])


def _tiny_run(directory: Path, epochs: int = 1) -> Trainer:
    """A DCGAN on 64 MNIST images, 4 iterations an epoch, writing under ``directory``."""
    torch.manual_seed(0)
    images, _ = load_mnist_subset()
    loader = TensorLoader(to_unit_range(images[:64]), batch_size=16, seed=0)
    gen, dis = DCGANGenerator(z_dim=100, hidden=8), DCGANDiscriminator(hidden=8)
    opt_gen = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_dis = torch.optim.Adam(dis.parameters(), lr=2e-4, betas=(0.5, 0.999))
    updater = GANUpdater(loader, gen, dis, opt_gen, opt_dis, device="cpu")
    return Trainer(updater, (epochs, "epoch"), out=directory)


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``result/`` directory with the snapshots of a real three-epoch run."""
    root = tmp_path_factory.mktemp("saved-run")
    trainer = _tiny_run(root / "result", epochs=3)
    trainer.extend(extensions.snapshot())
    trainer.run()
    return root / "result"


#: Objects of a training run that examples name without building them.
RUN_NAMES = ("loader", "gen", "dis", "opt_gen", "opt_dis", "updater", "trainer")

#: Models that examples name without building them, built only when named.
MODELS: dict[str, tuple[str, dict[str, int]]] = {
    "cvae": ("cvae-mlp", {"hidden": 16}),
    "predictor": ("cvae-predictor-mlp", {"hidden": 16}),
    "enc": ("cvaegan-encoder", {}),
    "gen_uv": ("dualgan-translator", {}),
    "gen_vu": ("dualgan-translator", {}),
}


def example_names(test: doctest.DocTest, saved: Path, directory: Path) -> dict[str, Any]:
    """What ``test``'s examples use without building it, built for real and small; the
    models and the run only when the examples name them (building them all for each of
    the ~300 docstrings would take most of the run)."""
    source = "".join(example.source for example in test.examples)
    named = set(re.findall(r"\w+", source))
    shutil.copytree(saved, directory / "result")
    images, labels = load_mnist_subset()
    names: dict[str, Any] = {
        **PUBLIC,
        "extensions": extensions,
        "idist": idist,
        "argparse": argparse,
        "errno": errno,
        "parser": argparse.ArgumentParser(),
        "build_parser": build_parser,
        "settings": settings,
        "get_method": get_method,
        "save_image": save_image,
        "device": torch.device("cpu"),
        "Image": Image,
        "torch": torch,
        "nn": nn,
        "np": np,
        "Path": Path,
        "warnings": warnings,
        "images": to_unit_range(images[:64]),
        "labels": labels[:64],
        "mnist_images": to_unit_range(images[:64]),
        "digit_images": to_unit_range(images[64:128]),
        "path": Path("result/snapshot_epoch_0003.pt"),
    }
    if named & set(RUN_NAMES):
        trainer = _tiny_run(directory / "result")
        updater = trainer.updater
        names.update(
            loader=updater.iterator,
            gen=updater.models["gen"],
            dis=updater.models["dis"],
            opt_gen=updater.optimizers["gen"],
            opt_dis=updater.optimizers["dis"],
            updater=updater,
            trainer=trainer,
        )
    names.update(
        {
            name: build_model(model, **kwargs)
            for name, (model, kwargs) in MODELS.items()
            if name in named
        }
    )
    return names


def _model_pair(test_name: str) -> dict[str, nn.Module]:
    for module, (gen, dis) in MODEL_PAIRS.items():
        if test_name.startswith(module):
            return {"gen": build_model(gen), "dis": build_model(dis)}
    return {}


def _with_module_names(test: doctest.DocTest, names: dict[str, Any]) -> dict[str, Any]:
    """The module's own names, then the examples' names (a submodule attribute such as
    ``ignite_gen.data.loader`` gives way to the example's ``loader``)."""
    globs = dict(test.globs)
    for name, value in names.items():
        if name not in globs or isinstance(globs[name], types.ModuleType):
            globs[name] = value
    return globs


@pytest.mark.parametrize("test", [_param(test) for test in TESTS])
def test_docstring_examples_run(
    test: doctest.DocTest,
    saved_run: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    names = example_names(test, saved_run, tmp_path)
    names.update(_model_pair(test.name))
    test.globs = _with_module_names(test, names)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, "".join(report)


def test_examples_are_counted() -> None:
    """How many example lines run and how many are skipped, printed for the record."""
    run = skipped = 0
    for test in TESTS:
        for example in test.examples:
            if example.options.get(doctest.SKIP):
                skipped += 1
            else:
                run += 1
    print(f"{len(TESTS)} docstrings: {run} example lines run, {skipped} skipped")
    assert run > skipped
