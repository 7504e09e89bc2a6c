"""UnpairedLoader: batches from two data sets at once, each on its own shuffle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..argument_checks import instance
from ..errors import ArgumentError
from .loader import ResumableLoader

__all__ = ["UnpairedLoader"]


class UnpairedLoader:
    """Yields ``(batch_u, batch_v)``: one batch of each domain, never paired by index.

    An epoch is one pass over ``u``; ``v`` restarts on its own whenever it runs out, so
    the two domains keep their own shuffles (each loader's ``seed``) and their own epoch
    counts. ``state_dict()`` holds both loaders' positions, and a fresh
    ``UnpairedLoader`` that loads it yields exactly the batches the saved one would have.

    Example:
        >>> mnist = TensorLoader(mnist_images, batch_size=64, drop_last=True, seed=0)
        >>> digits = TensorLoader(digit_images, batch_size=64, drop_last=True, seed=1)
        >>> batch_u, batch_v = next(iter(UnpairedLoader(mnist, digits)))
    """

    def __init__(self, u: ResumableLoader, v: ResumableLoader) -> None:
        self.u = instance(u, ResumableLoader, "u", "a ResumableLoader (e.g. a TensorLoader)")
        self.v = instance(v, ResumableLoader, "v", "a ResumableLoader (e.g. a TensorLoader)")
        if u is v:
            raise ArgumentError("u and v are the same loader; give each domain its own")
        self._v_batches: Iterator[Any] | None = None

    def __len__(self) -> int:
        return len(self.u)

    def _next_v(self) -> Any:
        if self._v_batches is None:
            self._v_batches = iter(self.v)
        try:
            return next(self._v_batches)
        except StopIteration:
            self._v_batches = iter(self.v)
            return next(self._v_batches)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        for batch_u in self.u:
            yield batch_u, self._next_v()

    def state_dict(self) -> dict[str, dict[str, int]]:
        """``{"u": ..., "v": ...}``: each loader's position."""
        return {"u": self.u.state_dict(), "v": self.v.state_dict()}

    def load_state_dict(self, state: dict[str, dict[str, int]]) -> None:
        """Continue from :meth:`state_dict` (each part checked by its loader)."""
        if not isinstance(state, dict) or set(state) != {"u", "v"}:
            raise ArgumentError(
                "state must be an UnpairedLoader state_dict() with keys 'u' and 'v', got "
                f"{sorted(state) if isinstance(state, dict) else type(state).__name__}"
            )
        self.u.load_state_dict(state["u"])
        self.v.load_state_dict(state["v"])
        self._v_batches = None
