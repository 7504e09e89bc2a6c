"""Writing a benchmark's table into benchmarks/RESULTS.md between its markers."""

from __future__ import annotations

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
