"""Seconds per DCGAN training step on the CPU in fp32, bf16 and fp16 autocast: why
``precision="fp16"`` is refused on a CPU device (``ignite_gen.updaters.precision``).

The updaters refuse fp16 on the CPU, so this times the step they would take by hand: the
``train gan`` networks (``dcgan-generator``, ``dcgan-discriminator``) on batches of 64
bundled MNIST images, Adam(2e-4, betas (0.5, 0.999)), BCE-with-logits losses, one D and
one G step, each forward pass under ``torch.autocast("cpu", dtype)`` (none for fp32).
Each round times ``--steps`` steps of every precision, in turn, after one warm-up round;
the medians and their ratio to fp32 are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from results_file import describe_machine, write_section

from ignite_gen.data import load_mnist_subset, to_unit_range
from ignite_gen.models import build_model

DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def steps(dtype: torch.dtype | None, images: torch.Tensor, count: int) -> float:
    """Seconds for ``count`` D and G steps of a freshly built DCGAN in ``dtype``."""
    torch.manual_seed(0)
    gen, dis = build_model("dcgan-generator", z_dim=64), build_model("dcgan-discriminator")
    opt_gen = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_dis = torch.optim.Adam(dis.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def autocast() -> torch.autocast | nullcontext[None]:
        return nullcontext() if dtype is None else torch.autocast("cpu", dtype=dtype)

    start = time.perf_counter()
    for index in range(count):
        real = images[(index * 64) % len(images) :][:64]
        with autocast():
            fake = gen(torch.randn(len(real), 64))
            real_logits, fake_logits = dis(real), dis(fake.detach())
            loss_dis = F.binary_cross_entropy_with_logits(
                real_logits.float(), torch.ones_like(real_logits.float())
            ) + F.binary_cross_entropy_with_logits(
                fake_logits.float(), torch.zeros_like(fake_logits.float())
            )
        opt_dis.zero_grad()
        loss_dis.backward()
        opt_dis.step()
        with autocast():
            logits = dis(fake).float()
            loss_gen = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        opt_gen.zero_grad()
        loss_gen.backward()
        opt_gen.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="write the table into RESULTS.md")
    args = parser.parse_args()
    print(describe_machine())
    images = to_unit_range(load_mnist_subset()[0][:640])
    for dtype in DTYPES.values():
        steps(dtype, images, 2)  # warm-up: kernels chosen, memory allocated
    times: dict[str, list[float]] = {name: [] for name in DTYPES}
    for _ in range(args.rounds):
        for name, dtype in DTYPES.items():
            times[name].append(steps(dtype, images, args.steps) / args.steps)
    base = statistics.median(times["fp32"])
    rows = ["| precision | seconds per step (median) | x fp32 |", "|---|---:|---:|"]
    for name, measured in times.items():
        median = statistics.median(measured)
        rows.append(f"| {name} | {median:.3f} | {median / base:.1f} |")
    table = "\n".join(rows)
    print(table)
    if args.write:
        text = (
            f"{describe_machine()}; {args.rounds} rounds of {args.steps} steps, batch 64.\n\n"
            f"{table}"
        )
        write_section("cpu-precision", "Precision on the CPU (`cpu_precision.py`)", text)


if __name__ == "__main__":
    main()
