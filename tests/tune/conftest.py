import importlib
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def plugin(monkeypatch, tmp_path):
    """The tuning test plugin in this process and in every worker; returns the spy log's path."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("CLASSBENCH_PLUGINS", "plugin_tune")
    log = tmp_path / "spy.jsonl"
    monkeypatch.setenv("TUNE_SPY_LOG", str(log))
    if "plugin_tune" not in sys.modules:
        importlib.import_module("plugin_tune")
    return log
