"""Errors a user can fix: the CLI prints their message (one paragraph) and exits 2, no traceback."""

from __future__ import annotations


class UserError(ValueError):
    """A mistake in the user's input (names, parameters, files, paths).

    The message must say what was wrong, where, and how to fix it.

    It is a ``ValueError`` too: a bad value passed to a model (an empty X, a y of the wrong length)
    is both a user mistake and what scikit-learn's estimator contract asks a model to raise, so
    ``parametrize_with_checks`` and code written for scikit-learn estimators recognise it. Nothing in
    classbench catches ``ValueError`` around code that raises ``UserError`` (checked when this changed).
    """

    exit_code = 2


class DataError(UserError):
    """A data file is missing, corrupt, truncated or fails its checksum."""
