"""What a resumed run keeps and what it may change.

A run continues as it was started: the settings a resume does not give take the values
its snapshot recorded. Of those it gives, the ones that only say how long the run goes,
where and how it writes, on which device and processes, and what it measures are
applied and recorded in the snapshot's ``settings_history``; any other that differs is
refused, since the networks, optimizer states and data order were made with the
recorded one. A data path may change when the data it names has the same content: the
snapshot records a fingerprint of the training data, so an identical copy is accepted
and a file edited in place is refused.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ..errors import UserError
from .catalog import get_method
from .options import hparams_of

__all__ = [
    "COMMAND_SETTINGS",
    "COMMON_CHANGEABLE",
    "flag",
    "resumed_history",
    "resumed_settings",
    "shown",
]

#: Settings that say how this command runs rather than what the run computes: always
#: the command's own (given or default), never the snapshot's. Another number of
#: processes is refused where the processes start (``resume.check_world_size``).
COMMAND_SETTINGS = (
    "out",
    "resume",
    "nproc_per_node",
    "nnodes",
    "node_rank",
    "master_addr",
    "master_port",
    "backend",
    "dist_timeout",
)

#: Settings of every method that a resumed run may change: with the command's settings,
#: how long it runs, what it keeps and shows, its device and what it measures.
COMMON_CHANGEABLE = (
    *COMMAND_SETTINGS,
    "epochs",
    "n_retains",
    "no_progress",
    "device",
    "metric_samples",
)


def flag(key: str) -> str:
    """The command line's option of a setting.

    Example:
        >>> flag("n_retains")
        '--n-retains'
    """
    return "--" + key.replace("_", "-")


def shown(key: str, value: Any) -> str:
    """A setting as a message shows it: ``--lr 0.001``, ``--tie-embeddings``, or ``no
    --ema-decay`` for one that is unset or off.

    Example:
        >>> shown("lr", 0.001), shown("ema_decay", None)
        ('--lr 0.001', 'no --ema-decay')
    """
    if value is None or value is False:
        return f"no {flag(key)}"
    return flag(key) if value is True else f"{flag(key)} {value}"


def _typed(key: str, value: Any) -> str:
    """The option a command line gives ``value`` with (``--no-tie-embeddings`` for False)."""
    return f"--no-{flag(key)[2:]}" if value is False else flag(key)


def _chosen(settings: argparse.Namespace, given: Collection[str] | None) -> set[str]:
    """The settings that keep the caller's value: ``given`` and the command's own. The
    data settings go together: one given chooses the data, and the others with it."""
    chosen = set(vars(settings) if given is None else (*given, *COMMAND_SETTINGS))
    data = set(get_method(settings.method).data)
    return chosen | data if chosen & data else chosen


def resumed_settings(
    settings: argparse.Namespace, payload: dict[str, Any], given: Collection[str] | None = None
) -> argparse.Namespace:
    """The settings a run resumed from ``payload`` (a snapshot read by
    :func:`~ignite_gen.snapshot.read_snapshot`) continues with: those not in ``given``
    (names of the settings the caller chose; None: all of them) take the snapshot's
    recorded values. Raises :class:`UserError` for another method, or for a setting
    that differs from the recorded one and is not changeable (:data:`COMMON_CHANGEABLE`
    and the method's ``changeable``). Data paths are compared by content later
    (:func:`resumed_history`) when the snapshot has a fingerprint. A setting the
    snapshot did not record (an older version's) keeps the caller's value.

    Example:
        >>> resumed_settings(settings("gan", epochs=9), read_snapshot(path), {"epochs"}).lr
        0.0002
    """
    recorded = payload["metadata"].get("hparams", {})
    _check_method(settings, recorded)
    method = get_method(settings.method)
    chosen = _chosen(settings, given)
    values = vars(settings).copy()
    for key in (values.keys() - chosen) & recorded.keys():
        value = recorded[key]
        # hparams hold paths as text; the data settings are paths.
        values[key] = Path(value) if key in method.data and value is not None else value
    resumed = argparse.Namespace(**values)
    current = hparams_of(resumed)
    changeable = {*COMMON_CHANGEABLE, *method.changeable}
    if payload["metadata"].get("data_fingerprint") is not None:
        changeable |= set(method.data)
    refused = [
        key
        for key in current
        if key in recorded and key not in changeable and recorded[key] != current[key]
    ]
    if refused:
        raise UserError(_refusal(settings.out, refused, recorded, current))
    return resumed


def _check_method(settings: argparse.Namespace, recorded: dict[str, Any]) -> None:
    method = recorded.get("method")
    if method is not None and method != settings.method:
        raise UserError(
            f"--out {settings.out}/ holds a {method!r} run; this is {settings.method!r}: "
            f"use another --out or train {method} --resume"
        )


def _refusal(out: Path, keys: list[str], recorded: dict[str, Any], current: dict[str, Any]) -> str:
    # A recorded value that was unset or off is what leaving the option out gives.
    kept = [shown(key, recorded[key]) for key in keys if shown(key, recorded[key])[:3] != "no "]
    alternative = f" (or with {', '.join(kept)})" if kept else ""
    return (
        f"--out {out}/ holds a run with {', '.join(shown(k, recorded[k]) for k in keys)}; "
        f"this one has {', '.join(shown(k, current[k]) for k in keys)}, which a resumed run "
        f"cannot change: resume without {', '.join(_typed(k, current[k]) for k in keys)}"
        f"{alternative}, or use another --out"
    )


def resumed_history(
    payload: dict[str, Any], settings: argparse.Namespace, fingerprint: str | None
) -> list[dict[str, Any]]:
    """The ``settings_history`` of a run resumed from ``payload`` with ``settings`` (from
    :func:`resumed_settings`): the snapshot's, and an entry ``{"iteration": N,
    "changed": {key: [recorded, now]}}`` when this resume changes a setting. Raises
    :class:`UserError` when the training data's ``fingerprint`` differs from the
    recorded one: a data file edited since the run started, or another data set.

    Example:
        >>> longer = settings("gan", epochs=30)
        >>> resumed_history(read_snapshot(path), longer, fingerprint)  # doctest: +SKIP
        [{'iteration': 1500, 'changed': {'epochs': [20, 30]}}]
    """
    metadata = payload["metadata"]
    recorded, current = metadata.get("hparams", {}), hparams_of(settings)
    then = metadata.get("data_fingerprint")
    if then is not None and then != fingerprint:
        raise UserError(_data_refusal(settings, recorded, current, then, fingerprint))
    history: list[dict[str, Any]] = list(metadata.get("settings_history", []))
    changed = {
        key: [recorded[key], value]
        for key, value in current.items()
        if key in recorded and recorded[key] != value
    }
    if changed:
        history.append({"iteration": payload["trainer"]["iteration"], "changed": changed})
    return history


def _data_refusal(
    settings: argparse.Namespace,
    recorded: dict[str, Any],
    current: dict[str, Any],
    then: str,
    now: str | None,
) -> str:
    keys = get_method(settings.method).data

    def source(values: dict[str, Any]) -> str:
        named = [shown(key, values.get(key)) for key in keys if values.get(key) is not None]
        return " ".join(named) or "the bundled data"

    prints = f"fingerprint {then[:12]} then, {(now or 'none')[:12]} now"
    if source(recorded) == source(current):
        return (
            f"{source(current)}: its content changed since the run in {settings.out}/ "
            f"started ({prints}); restore it, or start a new run with another --out"
        )
    given = " ".join(_typed(key, None) for key in keys if current.get(key) is not None)
    remedy = f"with {source(recorded)}"
    if given:
        remedy = f"without {given} (or {remedy})"
    return (
        f"{source(current)}: other data than the run in {settings.out}/ trains on, "
        f"{source(recorded)} ({prints}); resume {remedy}, or start a new run with another --out"
    )
