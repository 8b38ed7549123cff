"""One BLAS / OpenMP thread for the contract checks: they fit thousands of tiny models, where threads only
add start-up and, on a shared machine, contention (HistGB's checks took 10x longer with 2 threads under load)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
