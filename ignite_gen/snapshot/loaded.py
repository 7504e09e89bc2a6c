"""A snapshot opened for inspection or sampling: metadata, observation, rebuilt models."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import UserError
from ..models.registry import build_model
from ..updaters.base import load_module_state
from .read import read_snapshot

__all__ = ["Snapshot", "load_snapshot"]


class Snapshot:
    """A snapshot opened for inspection or sampling, as :func:`load_snapshot` returns it.

    Example:
        >>> snap = load_snapshot("result/snapshot_epoch_0003.pt")
        >>> snap.metadata["epoch"], snap.model_names
        (3, ['gen', 'dis'])
        >>> gen = snap.model("gen")  # rebuilt, weights loaded, in eval mode
    """

    def __init__(self, path: Path, payload: dict[str, Any]) -> None:
        self.path = path
        self.payload = payload

    @property
    def metadata(self) -> dict[str, Any]:
        """Version, command line, hyper-parameters, time, iteration, last observation."""
        metadata: dict[str, Any] = self.payload["metadata"]
        return metadata

    @property
    def observation(self) -> dict[str, float]:
        """The values reported in the iteration the snapshot was taken."""
        observation: dict[str, float] = self.metadata.get("observation", {})
        return observation

    @property
    def model_names(self) -> list[str]:
        """Names of the models the updater held."""
        return list(self.payload["updater"]["models"])

    def model_state(self, name: str) -> dict[str, torch.Tensor]:
        """The ``state_dict`` of model ``name``."""
        states: dict[str, dict[str, torch.Tensor]] = self.payload["updater"]["models"]
        if name not in states:
            raise UserError(
                f"{self.path}: no model {name!r} in this snapshot (it has {sorted(states)})"
            )
        return states[name]

    def model(self, name: str, device: str | torch.device = "cpu") -> nn.Module:
        """Rebuild model ``name`` from its recorded spec and load its weights."""
        state = self.model_state(name)
        spec = self.payload.get("model_specs", {}).get(name)
        if spec is None:
            raise UserError(
                f"{self.path}: model {name!r} was not built from a registered architecture; "
                "build it yourself and load snapshot.model_state(name)"
            )
        module = build_model(spec["name"], **spec["kwargs"])
        load_module_state(module, state, name)
        return module.to(device).eval()

    def generator_name(self, name: str = "gen", prefer_ema: bool = True) -> str:
        """``<name>_ema`` when the snapshot holds that EMA copy (the weights users sample
        from) and ``prefer_ema``, else ``name``; a missing generator is a :class:`UserError`.
        """
        if name not in self.model_names:
            raise UserError(
                f"{self.path}: no generator {name!r} in this snapshot (models: "
                f"{', '.join(self.model_names)}); it needs a GAN snapshot or --model NAME"
            )
        averaged = f"{name}_ema"
        return averaged if prefer_ema and averaged in self.model_names else name

    def generator(self, name: str = "gen", device: str | torch.device = "cpu") -> nn.Module:
        """The generator :meth:`generator_name` picks, rebuilt and in eval mode."""
        return self.model(self.generator_name(name), device)


def load_snapshot(
    path: str | os.PathLike[str], map_location: Any = "cpu", mmap: bool = False
) -> Snapshot:
    """Open a snapshot file for inspection (the Python API behind ``ignite-gen inspect``).

    Example:
        >>> snap = load_snapshot("result/snapshot_epoch_0003.pt")
    """
    return Snapshot(Path(path), read_snapshot(path, map_location, mmap))
