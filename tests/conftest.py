import os

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own cache folder; real data stays reachable through CLASSBENCH_DATA."""
    monkeypatch.setenv("CLASSBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("CLASSBENCH_THREADS", os.environ.get("CLASSBENCH_THREADS", "1"))


def real_data_dir():
    """The folder of real datasets (CI sets CLASSBENCH_DATA), or skip."""
    path = os.environ.get("CLASSBENCH_DATA")
    if not path:
        pytest.skip("real datasets not available: set CLASSBENCH_DATA to a folder with mnist/, yalefaces/, imdb/")
    return path
