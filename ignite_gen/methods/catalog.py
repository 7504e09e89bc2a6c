"""Every training method by name: what ``ignite-gen train NAME`` offers."""

from __future__ import annotations

from ..errors import ArgumentError
from .cvae import CVAE
from .cvaegan import CVAEGAN
from .dualgan import DUALGAN
from .ebgan import EBGAN
from .fgan import FGAN
from .gan import GAN
from .hinge import HINGE
from .infogan import INFOGAN
from .lsgan import LSGAN
from .method import Method
from .seq2seq import SEQ2SEQ
from .wgan import WGAN

__all__ = ["METHODS", "get_method"]

#: The methods in the order ``ignite-gen train --help`` lists them.
METHODS: dict[str, Method] = {
    method.name: method
    for method in (GAN, EBGAN, WGAN, LSGAN, FGAN, HINGE, SEQ2SEQ, CVAE, CVAEGAN, INFOGAN, DUALGAN)
}


def get_method(name: str) -> Method:
    """The method called ``name``; an unknown name raises, listing the known ones.

    Example:
        >>> get_method("cvae").epochs
        100
    """
    if name not in METHODS:
        raise ArgumentError(f"no training method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name]
