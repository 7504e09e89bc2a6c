"""The README's Python code blocks run, in order, in one namespace, in a temporary directory.

A block right after an HTML comment ``<!-- not run: reason -->`` is left out and named in
the output. Training blocks run with the stop trigger shortened (:data:`SHORTENED`); the
test fails if a shortened text is missing, so the README and this list cannot drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from ignite_gen import GANUpdater, Trainer, extensions
from ignite_gen.data import TensorLoader, load_mnist_subset, to_unit_range
from ignite_gen.models import build_model

README = Path(__file__).resolve().parents[1] / "README.md"

#: What a block trains for, and what it trains for here.
SHORTENED = {'stop_trigger=(25, "epoch")': 'stop_trigger=(2, "iteration")'}

_BLOCK = re.compile(
    r"(?:<!--\s*not run:\s*(?P<reason>.*?)\s*-->\s*\n)?```python\n(?P<code>.*?)```", re.S
)


def python_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """``(line, code, reason it is not run or None)`` of each ```python block."""
    return [
        (text[: match.start("code")].count("\n") + 1, match["code"], match["reason"])
        for match in _BLOCK.finditer(text)
    ]


def _demo_snapshot(out: Path) -> None:
    """What ``make demo`` leaves for the README's loading block: a real DCGAN snapshot."""
    torch.manual_seed(0)
    images, _ = load_mnist_subset()
    loader = TensorLoader(to_unit_range(images[:32]), batch_size=16, seed=0)
    gen, dis = build_model("dcgan-generator", z_dim=8, hidden=8), build_model("dcgan-discriminator")
    opts = [torch.optim.Adam(model.parameters()) for model in (gen, dis)]
    trainer = Trainer(GANUpdater(loader, gen, dis, *opts, device="cpu"), (1, "epoch"), out=out)
    trainer.extend(extensions.snapshot(filename="snapshot_epoch_0017.pt"))
    trainer.run()


def test_readme_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text()
    for long, short in SHORTENED.items():
        assert long in text, f"README.md no longer has {long!r}; update SHORTENED"
        text = text.replace(long, short)
    blocks = python_blocks(text)
    assert blocks, "README.md has no ```python blocks"
    monkeypatch.chdir(tmp_path)
    _demo_snapshot(tmp_path / "result" / "demo")
    namespace: dict[str, object] = {"__name__": "readme"}
    for line, code, reason in blocks:
        if reason is not None:
            print(f"README.md:{line}: not run: {reason}")
            continue
        exec(compile(code, f"README.md:{line}", "exec"), namespace)
