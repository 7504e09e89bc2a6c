"""Checks of an updater's data, models and optimizers, made when the updater is built.

Each names the argument at fault, so a swapped optimizer or a generator passed as data
is an error at construction instead of a silent or far-away failure during training.
Parameters are compared by identity (``id``), never by value: no tensor is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import torch
from torch import nn

from ..argument_checks import described, instance
from ..errors import ArgumentError, ArgumentTypeError

__all__ = ["check_data", "check_optimizer_owners", "named"]

T = TypeVar("T")


def check_data(iterator: Any, name: str = "iterator") -> Iterable[Any]:
    """``iterator`` if it can be iterated again every epoch and has at least one batch.

    A generator or other one-shot iterator would be empty from its second epoch on, and
    the trainer needs ``len()`` for the epoch length.

    Example:
        >>> check_data(iter([1, 2]))
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentTypeError: iterator is a one-shot list_iterator...
    """
    if isinstance(iterator, Iterator):
        raise ArgumentTypeError(
            f"{name} is a one-shot {type(iterator).__name__}: it would be empty after the "
            "first epoch; pass something iterable again with a length, such as a "
            "TensorLoader, a torch DataLoader or a list of batches"
        )
    if not isinstance(iterator, Iterable):
        hint = (
            "; wrap the dataset in DataLoader(dataset, batch_size=...)"
            if isinstance(iterator, torch.utils.data.Dataset)
            else ""
        )
        raise ArgumentTypeError(
            f"{name} must be an iterable of batches (a TensorLoader, a torch DataLoader, "
            f"a list), got {described(iterator)}{hint}"
        )
    try:
        length = len(iterator)  # type: ignore[arg-type]
    except TypeError:
        raise ArgumentTypeError(
            f"{name} ({type(iterator).__name__}) has no len(), which the trainer needs for "
            "the epoch length; use a map-style dataset's DataLoader, a TensorLoader or a list"
        ) from None
    if length < 1:
        raise ArgumentError(
            f"{name} yields no batch per epoch (len {length}); give it data, or a batch "
            "size no larger than the data when it drops the last incomplete batch"
        )
    return iterator


def named(objects: Any, kind: type[T], name: str, wanted: str) -> dict[str, T]:
    """``{"main": objects}`` for one ``kind`` object, else a checked copy of the dict.

    Example:
        >>> named([nn.Linear(2, 2)], nn.Module, "models", "an nn.Module")
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentTypeError: models must be an nn.Module or a dict ...
    """
    if isinstance(objects, kind):
        return {"main": objects}
    if not isinstance(objects, Mapping):
        hint = f"; name them, e.g. {name}={{'main': ...}}" if isinstance(objects, Sequence) else ""
        raise ArgumentTypeError(
            f"{name} must be {wanted} or a dict of them by name, got {described(objects)}{hint}"
        )
    checked: dict[str, T] = {}
    for key, value in objects.items():
        if not isinstance(key, str):
            raise ArgumentTypeError(f"{name}: names must be strings, got {described(key)}")
        checked[key] = instance(value, kind, f"{name}[{key!r}]", wanted)
    return checked


def _parameter_ids(module: nn.Module) -> set[int]:
    return {id(p) for p in module.parameters()}


def check_optimizer_owners(
    pairs: Iterable[tuple[str, torch.optim.Optimizer, str]], models: Mapping[str, nn.Module]
) -> None:
    """Refuse an optimizer that steps another model's parameters, or none of its own.

    ``pairs`` holds ``(optimizer label, optimizer, label of the model it trains)``;
    ``models`` maps labels to every model. Labels are what the message names (argument
    names such as ``opt_gen`` and ``gen``). Parameters shared by two models, and
    parameters of no model, are allowed.

    Example:
        >>> check_optimizer_owners([("opt_gen", opt_dis, "gen")], {"gen": gen, "dis": dis})
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentError: opt_gen steps parameters of dis, not of gen; ...
    """
    owned = {label: _parameter_ids(model) for label, model in models.items()}
    for opt_label, optimizer, model_label in pairs:
        stepped = {id(p) for group in optimizer.param_groups for p in group["params"]}
        own = owned[model_label]
        foreign = sorted(
            label for label, ids in owned.items() if label != model_label and (stepped - own) & ids
        )
        if foreign:
            raise ArgumentError(
                f"{opt_label} steps parameters of {foreign[0]}, not of {model_label}; build "
                f"{opt_label} from {model_label}.parameters() (are two optimizers swapped?)"
            )
        if own and not stepped & own:
            raise ArgumentError(
                f"{opt_label} steps none of the parameters of {model_label}; build it from "
                f"{model_label}.parameters()"
            )
