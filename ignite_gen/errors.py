"""Errors that the command line reports as one line, without a traceback."""

__all__ = ["UserError"]


class UserError(Exception):
    """A mistake in the user's input (a path, an argument, a file): its message says what to do.

    Example:
        >>> raise UserError("--data-root /nope: no MNIST files there; download MNIST into it first")
    """
