"""The precisions an updater trains in, and where each can train."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from ..argument_checks import choice
from ..errors import ArgumentError
from .options import setting

__all__ = ["PRECISIONS", "check_precision"]

#: ``precision`` names and the autocast dtype each one trains in.
PRECISIONS: dict[str, torch.dtype | None] = {
    "fp32": None,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
}


def check_precision(precision: Any, device: torch.device, name: str = "precision") -> str:
    """``precision`` if it is one of :data:`PRECISIONS` and can train on ``device``:
    ``"fp16"`` is refused on the CPU, where float16 is emulated (many times slower than
    fp32; benchmarks/RESULTS.md) and its narrow range spoils losses; ``"bf16"`` on a
    CPU without bfloat16 instructions is emulated too, and warned about. ``name`` is
    how the messages call it (``"--precision"`` names the command-line flag).

    Example:
        >>> check_precision("fp16", torch.device("cpu"))
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentError: precision='fp16' needs a CUDA device: ...
    """
    choice(precision, name, PRECISIONS)
    if precision == "bf16" and device.type == "cpu" and not _native_cpu_bf16():
        # One text from one place, so a command that checks twice (its options, then
        # its updater) warns once.
        warnings.warn(
            "bf16 on this CPU, which has no bfloat16 instructions (AVX512-BF16 or AMX), is "
            "emulated, many times slower than fp32: train in fp32 here",
            stacklevel=1,
        )
    if precision == "fp16" and device.type == "cpu":
        raise ArgumentError(
            f"{setting(name, 'fp16')} needs a CUDA device: on the CPU float16 is emulated, "
            "many times slower than fp32, and its narrow range spoils the losses; use "
            f"{setting(name, 'fp32')} there (or bf16, fast on CPUs with AVX512-BF16 or AMX)"
        )
    return str(precision)


def _native_cpu_bf16() -> bool:
    # torch says whether oneDNN runs bfloat16 natively on this CPU only through this
    # operator; where a build lacks it, nothing is known, and nothing is said.
    supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return supported is None or bool(supported())
