"""Errors raised for bad input.

Every error a user can cause (a scenario file, a CLI flag, a parameter value) is a
:class:`PCNSimInputError`: its message names the offending field and the allowed values, and the
command line turns it into a one-paragraph message and a non-zero exit (status 2).
"""

from __future__ import annotations


class PCNSimInputError(ValueError):
    """Bad input: the message names the field and what is allowed."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field
