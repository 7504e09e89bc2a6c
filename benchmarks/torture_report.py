"""The verdicts of ``torture_resume.py``: one trial, and the tables it prints and writes.

Example:
    >>> print(summary({"gan": [Trial(1, [("step 3 +5 ms", "step 3")], 1, [], 0, 40.0)]}))
    GAN 1/1 identical
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

__all__ = ["NAMES", "Trial", "landing", "landings", "summary", "table"]

NAMES = {"gan": "GAN", "seq2seq": "seq2seq"}


@dataclass
class Trial:
    """One trial's kills, where they landed, and the verdict."""

    number: int
    kills: list[tuple[str, str]]  # (target, where it landed)
    resumes: int
    differences: list[str]  # the first of each check that failed; empty if identical
    leftovers: int  # temporary files the killed runs left behind
    seconds: float

    @property
    def identical(self) -> bool:
        return not self.differences

    @property
    def verdict(self) -> str:
        return "identical" if self.identical else "differs: " + "; ".join(self.differences)


def table(kind: str, results: list[Trial]) -> str:
    """A Markdown row per trial: kill targets, where they landed, resumes, verdict."""
    lines = ["| trial | kill target | landed in | resumes | result |", "|---|---|---|---|---|"]
    for r in results:
        target = "<br>then ".join(t for t, _ in r.kills)
        where = "<br>then ".join(w for _, w in r.kills)
        lines.append(
            f"| {NAMES[kind]} {r.number} | {target} | {where} | {r.resumes} | {r.verdict} |"
        )
    return "\n".join(lines)


# Where a kill landed, from landed()'s text: the first category that matches.
LANDINGS = {
    "snapshot write": "writing snapshot",
    "other file write": "writing",
    "after a snapshot write": "after its snapshot",
    "after a log write": "after its log line",
    "step": "step",
    "other extensions": "extensions",
    "next batch": "data",
    "startup": ("launch", "start", "setup"),
    "after training": "finish",
    "none (ended first)": "no kill",
}


def landing(where: str) -> str:
    """The category of LANDINGS that ``where`` (a landed() text) falls in."""
    for category, marks in LANDINGS.items():
        if any(mark in where for mark in ((marks,) if isinstance(marks, str) else marks)):
            return category
    return "other"


def landings(results: dict[str, list[Trial]]) -> str:
    """A table of where the kills landed, per run."""
    counts = {
        kind: Counter(landing(where) for r in rs for _, where in r.kills)
        for kind, rs in results.items()
    }
    seen = [c for c in [*LANDINGS, "other"] if any(c in n for n in counts.values())]
    lines = [
        f"| run | trials | identical | kills | {' | '.join(seen)} |",
        "|---|---|---|---|" + "---|" * len(seen),
    ]
    for kind, rs in results.items():
        cells = " | ".join(str(counts[kind][c]) for c in seen)
        same = sum(r.identical for r in rs)
        kills = counts[kind].total() - counts[kind]["none (ended first)"]
        lines.append(f"| {NAMES[kind]} | {len(rs)} | {same} | {kills} | {cells} |")
    return "\n".join(lines)


def summary(results: dict[str, list[Trial]]) -> str:
    """``GAN 20/20 identical, seq2seq 20/20 identical``."""
    return ", ".join(
        f"{NAMES[k]} {sum(r.identical for r in rs)}/{len(rs)} identical"
        for k, rs in results.items()
    )
