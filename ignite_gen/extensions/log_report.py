"""LogReport: means of reported values per interval, kept in memory and as JSON Lines."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

import ignite.distributed as idist

from ..atomic import atomic_write, disk_error
from ..extension import PRIORITY_READER, Extension
from ..reporter import DictSummary
from ..triggers import fixed_interval, get_trigger

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["LogReport"]


def _json_line(record: dict[str, Any]) -> str:
    # JSON has no NaN/Infinity; null keeps the file readable by json and pandas alike.
    clean = {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in record.items()
    }
    return json.dumps(clean, allow_nan=False) + "\n"


class LogReport(Extension):
    """Averages reported values over each ``trigger`` interval and logs the means.

    Every iteration it adds the observation to a :class:`DictSummary` (no host sync);
    when ``trigger`` fires it appends ``{means..., "epoch", "iteration",
    "elapsed_time"}`` to :attr:`log` and one line to ``out/filename`` (JSON Lines,
    non-finite means as ``null``). On start and on resume the file is rewritten from
    :attr:`log`, so a resumed run's file equals an uninterrupted run's.

    Example:
        >>> trainer.extend(LogReport(keys=["dis/loss", "gen/loss"], trigger=(2, "iteration")))
        >>> trainer.run()  # iterations run
        4
        >>> len(trainer.get_extension("LogReport").log)  # one record per 2 iterations
        2
    """

    # It must see every iteration's observation; the log interval is its own trigger.
    trigger = (1, "iteration")
    priority = PRIORITY_READER

    def __init__(
        self,
        keys: Iterable[str] | None = None,
        trigger: TriggerLike = (1, "epoch"),
        filename: str | None = "log.jsonl",
    ) -> None:
        self.keys = None if keys is None else tuple(keys)
        self.log_trigger = get_trigger(trigger)
        self.filename = filename
        #: One dict per interval, oldest first (Chainer's ``LogReport.log``).
        self.log: list[dict[str, Any]] = []
        self._summary = DictSummary()
        self._file: IO[str] | None = None
        # Iterations between records when the trigger is a fixed interval (else 0: call it).
        self._every = 0

    def initialize(self, trainer: Trainer) -> None:
        """Rewrite ``out/filename`` from :attr:`log` and open it for appending (rank 0)."""
        self._every = fixed_interval(self.log_trigger, trainer.epoch_length)
        if self.filename is None or idist.get_rank() != 0:
            return
        path = trainer.out / self.filename

        atomic_write(path, lambda tmp: tmp.write_text("".join(map(_json_line, self.log)), "utf-8"))
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed in finalize)

    def __call__(self, trainer: Trainer) -> None:
        observation = trainer.observation
        if self.keys is not None:
            observation = {key: observation[key] for key in self.keys if key in observation}
        self._summary.add(observation)
        every = self._every
        if trainer.iteration % every == 0 if every else self.log_trigger(trainer):
            self._emit(trainer)

    def _emit(self, trainer: Trainer) -> None:
        # Every rank takes part in the all-reduce, even those that write nothing.
        record: dict[str, Any] = self._summary.compute_mean(reduce=True)
        record.update(
            epoch=trainer.epoch, iteration=trainer.iteration, elapsed_time=trainer.elapsed_time
        )
        self._summary = DictSummary()
        self.log.append(record)
        if self._file is not None:
            try:
                self._file.write(_json_line(record))
                self._file.flush()
            except OSError as error:
                failed, self._file = self._file, None
                with contextlib.suppress(OSError):  # flushing the rest fails the same way
                    failed.close()
                raise (disk_error(error, trainer.out / str(self.filename)) or error) from error

    def finalize(self, trainer: Trainer) -> None:
        """Close the log file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def state_dict(self) -> dict[str, Any]:
        """The records so far and the sums of the interval in progress."""
        return {"log": [dict(record) for record in self.log], "summary": self._summary.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.log = [dict(record) for record in state["log"]]
        self._summary = DictSummary()
        self._summary.load_state_dict(state["summary"])
