"""Errors a user can fix: the CLI prints their message (one paragraph) and exits 2, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input (names, parameters, files, paths).

    The message must say what was wrong, where, and how to fix it.
    """

    exit_code = 2


class DataError(UserError):
    """A data file is missing, corrupt, truncated or fails its checksum."""
