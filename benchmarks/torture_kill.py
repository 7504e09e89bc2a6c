"""Starting a traced ``ignite-gen`` run and SIGKILLing it at a chosen instant.

Used by ``torture_resume.py``. A :class:`Run` is one ``ignite-gen`` process started
through ``torture_probe.py`` in its own process group; a kill target decides, from the
phase lines the probe writes and from the output directory (temporary ``.*.tmp`` files
of atomic writes, the size of ``log.jsonl``), when to kill the whole group.

Example:
    >>> run = Run(["train", "gan", "--out", "/tmp/t/out"], Path("/tmp/t"), "first")
    >>> run.watch(AtPhase("step", 13, 0.05), timeout=600)  # True: killed; False: ended
    True
    >>> landed(run, epoch_length=8)
    'step 13'
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "AfterLogLine",
    "AfterSnapshot",
    "AtPhase",
    "DuringSnapshotWrite",
    "Run",
    "landed",
    "progress",
]

PROBE = Path(__file__).resolve().parent / "torture_probe.py"


def temporary_files(out: Path) -> set[Path]:
    """Temporary files of atomic writes under ``out``: ``.NAME.random.ext``."""
    if not out.is_dir():
        return set()
    return {p for p in out.rglob(".*") if p.is_file() and p.name != ".lock"}


def written_name(temporary: Path, out: Path) -> str:
    """The file a temporary file was to become: ``images/epoch_0002.png``."""
    return str(temporary.parent.relative_to(out) / temporary.name[1:].rsplit(".", 2)[0])


def log_lines(out: Path) -> int:
    """Records in ``out/log.jsonl`` (complete lines)."""
    try:
        return (out / "log.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def done_epochs(out: Path) -> int:
    """The newest ``snapshot_epoch_NNNN.pt`` in ``out``, 0 without one."""
    epochs = [
        int(m.group(1))
        for p in out.glob("snapshot_epoch_*.pt")
        if (m := re.fullmatch(r"snapshot_epoch_(\d+)\.pt", p.name))
    ]
    return max(epochs, default=0)


@dataclass
class Run:
    """``ignite-gen ARGV`` traced into ``work/NAME.phases``, output in ``work/NAME.out``."""

    argv: list[str]
    work: Path
    name: str
    out: Path = field(init=False)
    phases: list[tuple[float, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.out = Path(self.argv[self.argv.index("--out") + 1])
        trace = self.work / f"{self.name}.phases"
        self.work.mkdir(parents=True, exist_ok=True)
        trace.touch()
        self._trace = trace.open("rb")
        self._partial = b""
        # Left by earlier killed runs: they are not this run's writes.
        self.stale = temporary_files(self.out)
        self.started = time.monotonic()
        with (self.work / f"{self.name}.output").open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, str(PROBE), str(trace), *self.argv],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def writing(self) -> list[str]:
        """The files this run is writing atomically right now."""
        fresh = temporary_files(self.out) - self.stale
        return sorted(written_name(p, self.out) for p in fresh)

    def phase(self) -> tuple[str, int]:
        """The newest phase line: ``("step", 13)``; ``("launch", 0)`` before any."""
        data = self._partial + self._trace.read()
        *lines, self._partial = data.split(b"\n")
        for line in lines:
            stamp, phase, iteration = line.decode().split()
            self.phases.append((float(stamp), phase, int(iteration)))
        return self.phases[-1][1:] if self.phases else ("launch", 0)

    def output_tail(self) -> str:
        """The last line the command printed."""
        lines = (self.work / f"{self.name}.output").read_text(errors="replace").splitlines()
        return lines[-1].strip() if lines else ""

    def kill(self) -> None:
        """SIGKILL the whole process group and reap it."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.phase()  # reads the lines written before the kill

    def finish(self, timeout: float) -> int:
        """Wait for the process to exit; its exit status."""
        try:
            return self.process.wait(max(0.0, self.started + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            raise TimeoutError(f"{self.name}: no exit after {timeout:.0f} s") from None

    def watch(self, target, timeout: float, poll: float = 0.001) -> bool:
        """Poll until ``target`` fires (kill; True) or the process exits (False)."""
        deadline = self.started + timeout
        while self.process.poll() is None:
            now = time.monotonic()
            if now > deadline:
                self.kill()
                raise TimeoutError(f"{self.name}: no exit after {timeout:.0f} s")
            wait = target.wait(self, now)
            if wait is None:
                self.kill()
                return True
            if wait > 0:
                time.sleep(min(wait, poll))
            else:
                os.sched_yield()
        self.phase()
        return False


def landed(run: Run, epoch_length: int) -> str:
    """Where the kill landed: the phase and iteration, and what was being written."""
    phase, iteration = run.phase()
    text = phase if phase in ("launch", "start", "setup") else f"{phase} {iteration}"
    writing = run.writing()
    if writing:
        text += ", writing " + " ".join(writing)
    elif phase == "extensions" and iteration % epoch_length == 0:
        epoch = iteration // epoch_length
        if done_epochs(run.out) == epoch:
            text += ", after its snapshot"
        elif log_lines(run.out) >= epoch:
            text += ", after its log line"
    return text


# Each target's wait(run, now) returns None to kill now, else the seconds to wait before
# asking again (0: ask again at once).


# The order phases come in: (segment, iteration, rank within the iteration).
_ORDER = {
    "launch": (0, 0),
    "start": (0, 1),
    "setup": (0, 2),
    "step": (1, 0),
    "extensions": (1, 1),
    "data": (1, 2),
    "finish": (2, 0),
}


def progress(phase: str, iteration: int) -> tuple[int, int, int]:
    """A key that grows as a run moves through its phases."""
    segment, rank = _ORDER[phase]
    return segment, iteration if segment == 1 else 0, rank


@dataclass
class AtPhase:
    """Kill ``delay`` seconds after the run reached ``phase`` of ``iteration``."""

    phase: str
    iteration: int
    delay: float
    _since: float | None = None

    def wait(self, run: Run, now: float) -> float | None:
        if self._since is None:
            if progress(*run.phase()) < progress(self.phase, self.iteration):
                return 0.001
            self._since = now
        left = self._since + self.delay - now
        return None if left <= 0 else left

    def __str__(self) -> str:
        where = self.phase if progress(self.phase, 0)[0] != 1 else f"{self.phase} {self.iteration}"
        return f"{where} +{self.delay * 1000:.0f} ms"


@dataclass
class DuringSnapshotWrite:
    """Kill ``delay`` seconds after the snapshot of ``iteration`` started its file."""

    iteration: int
    delay: float
    _since: float | None = None

    def wait(self, run: Run, now: float) -> float | None:
        if self._since is None:
            phase, iteration = run.phase()
            if iteration < self.iteration or (iteration == self.iteration and phase == "step"):
                return 0.001
            if not any(name.endswith(".pt") for name in run.writing()):
                # Past the extensions without seeing the file: too late, kill now.
                return 0 if (phase, iteration) == ("extensions", self.iteration) else None
            self._since = now
        left = self._since + self.delay - now
        return None if left <= 0 else left

    def __str__(self) -> str:
        return f"snapshot write at it {self.iteration} +{self.delay * 1000:.0f} ms"


@dataclass
class AfterSnapshot:
    """Kill as soon as ``snapshot_epoch_NNNN.pt`` of ``epoch`` (taken at ``iteration``)
    is in place: before older snapshots beyond ``--n-retains`` are deleted."""

    epoch: int
    iteration: int

    def wait(self, run: Run, now: float) -> float | None:
        if progress(*run.phase()) < progress("extensions", self.iteration):
            return 0.001
        if done_epochs(run.out) >= self.epoch:
            return None
        # Past the extensions without seeing the file: too late, kill now.
        return 0 if run.phase() == ("extensions", self.iteration) else None

    def __str__(self) -> str:
        return f"snapshot {self.epoch} in place"


@dataclass
class AfterLogLine:
    """Kill ``delay`` seconds after ``log.jsonl`` grew to ``line`` records."""

    line: int
    delay: float
    _since: float | None = None

    def wait(self, run: Run, now: float) -> float | None:
        if self._since is None:
            if run.phase()[0] not in ("extensions", "data", "finish") or (
                log_lines(run.out) < self.line
            ):
                return 0.001
            self._since = now
        left = self._since + self.delay - now
        return None if left <= 0 else left

    def __str__(self) -> str:
        return f"log line {self.line} +{self.delay * 1000:.0f} ms"
