"""Shared helpers for the engine tests: a torch fixture (one thread) and an assertion on check rows."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.gradcheck import TOLERANCE, check_case


@pytest.fixture(scope="session")
def torch():
    torch = pytest.importorskip("torch", reason="torch is the second gradient reference")
    torch.set_num_threads(1)
    return torch


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def _assert_case(case, *, fd=True, with_torch=True, tol=TOLERANCE, seed=0) -> dict:
    """Run a gradcheck case; fail with the worst element of each reference in the message."""
    row = check_case(case, seed=seed, with_fd=fd, with_torch=with_torch)
    if fd:
        assert row["fd_rel_err"] is not None and row["fd_rel_err"] <= tol, (
            f"{case.op}: finite differences disagree, worst {row['fd_worst']} (tol {tol:g})"
        )
    if with_torch and case.theirs is not None:
        assert row["torch_rel_err"] is not None, f"{case.op}: torch reference did not run ({row['note']})"
        assert row["torch_rel_err"] <= tol, f"{case.op}: torch disagrees, worst {row['torch_worst']} (tol {tol:g})"
    return row


@pytest.fixture
def assert_case():
    """``assert_case(case, fd=True, with_torch=True, tol=1e-6)`` -> the check row."""
    return _assert_case
