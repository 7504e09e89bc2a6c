"""A registry of network classes, so a snapshot can rebuild its models by name."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from torch import nn

from ..errors import UserError

__all__ = ["build_model", "model_spec", "register_model", "registered_models"]

_REGISTRY: dict[str, type[nn.Module]] = {}
ModuleType = TypeVar("ModuleType", bound=type[nn.Module])


def register_model(name: str) -> Callable[[ModuleType], ModuleType]:
    """Register a network class under ``name``; its instances remember their kwargs.

    Snapshots store ``{"name": name, "kwargs": kwargs}`` for such models, so
    ``load_snapshot(path).model("gen")`` rebuilds them without the training script.
    Constructor arguments must be keywords with plain Python values.

    Example:
        >>> @register_model("tiny-mlp")
        ... class TinyMLP(nn.Module):
        ...     def __init__(self, width=8):
        ...         super().__init__()
        ...         self.fc = nn.Linear(width, 1)
        >>> model_spec(build_model("tiny-mlp", width=4))
        {'name': 'tiny-mlp', 'kwargs': {'width': 4}}
    """

    def decorator(cls: ModuleType) -> ModuleType:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"a model is already registered as {name!r}")
        init = cls.__init__

        @functools.wraps(init)
        def recording_init(self: nn.Module, *args: Any, **kwargs: Any) -> None:
            if args:
                raise TypeError(f"{cls.__name__} takes keyword arguments only (for snapshots)")
            init(self, **kwargs)
            # Set after init: nn.Module.__init__ must have run before attributes are set.
            if type(self) is cls:
                # nn.Module.__setattr__ is annotated for tensors and modules only, yet stores
                # any other value as a plain attribute, which is what is wanted here.
                self._registry_spec = {"name": name, "kwargs": dict(kwargs)}  # type: ignore[assignment]

        cls.__init__ = recording_init  # type: ignore[method-assign]
        _REGISTRY[name] = cls
        return cls

    return decorator


def registered_models() -> list[str]:
    """Names of all registered architectures."""
    return sorted(_REGISTRY)


def build_model(name: str, **kwargs: Any) -> nn.Module:
    """Instantiate the architecture registered as ``name``.

    Example:
        >>> gen = build_model("dcgan-article-generator", z_dim=64)
    """
    if name not in _REGISTRY:
        raise UserError(f"unknown model {name!r}; known models: {', '.join(registered_models())}")
    return _REGISTRY[name](**kwargs)


def model_spec(module: nn.Module) -> dict[str, Any] | None:
    """``{"name", "kwargs"}`` of a module built from a registered class, else ``None``."""
    spec = getattr(module, "_registry_spec", None)
    return None if spec is None else {"name": spec["name"], "kwargs": dict(spec["kwargs"])}
