"""Data that works offline: the bundled MNIST subset, MNIST from disk, a tensor loader."""

from .loader import TensorLoader
from .mnist import load_mnist_dir, load_mnist_subset, to_unit_range

__all__ = ["TensorLoader", "load_mnist_dir", "load_mnist_subset", "to_unit_range"]
