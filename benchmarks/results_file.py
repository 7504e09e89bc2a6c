"""Writing a benchmark's table into benchmarks/RESULTS.md between its markers, with the
machine it ran on."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(name: str, heading: str, text: str, results: Path = RESULTS) -> None:
    """Put ``text`` between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` in
    ``results``, replacing what was there; without the markers yet, append them under
    ``## heading``. The prose around the markers stays as written."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    current = results.read_text()
    block = f"{begin}\n{text}\n{end}"
    if begin in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current += f"\n## {heading}\n\n{block}\n"
    results.write_text(current)


def describe_machine(packages: tuple[str, ...] = ("torch", "pytorch-ignite", "ignite-gen")) -> str:
    """The machine a figure was measured on: cores, CPU model, Python and ``packages``."""
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
    cpu = names[0] if names else platform.machine()
    return f"{os.cpu_count()} CPU cores ({cpu}), python {platform.python_version()}, " + ", ".join(
        f"{p} {version(p)}" for p in packages
    )
