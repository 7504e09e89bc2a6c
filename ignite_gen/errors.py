"""Errors that the command line reports as one line, without a traceback."""

__all__ = ["ArgumentError", "ArgumentTypeError", "UserError"]


class UserError(Exception):
    """A mistake in the user's input (a path, an argument, a file): its message says what to do.

    Example:
        >>> raise UserError("--data-root /nope: no MNIST files there; download MNIST into it first")
        Traceback (most recent call last):
            ...
        ignite_gen.errors.UserError: --data-root /nope: no MNIST files there; download MNIST into...
    """


class ArgumentError(UserError, ValueError):
    """A Python API call got a value it cannot use; the message names the argument.

    It is a ``ValueError`` for Python callers and a :class:`UserError` for the command
    line, so the same check serves both.

    Example:
        >>> raise ArgumentError("batch_size must be at least 1, got 0")
        Traceback (most recent call last):
            ...
        ignite_gen.errors.ArgumentError: batch_size must be at least 1, got 0
    """


class ArgumentTypeError(UserError, TypeError):
    """A Python API call got an argument of the wrong type; the message names it.

    Example:
        >>> raise ArgumentTypeError("models must be a module or a dict of modules, got list")
        Traceback (most recent call last):
            ...
        ignite_gen.errors.ArgumentTypeError: models must be a module or a dict of modules, got list
    """
