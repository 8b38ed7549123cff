"""A trial's result depends on its seed and spec only: the quick suite scores the same on every executor.

The local executor with 1 worker gives each trial every core's BLAS threads, with 2 workers one thread each;
the Ray executor (a local instance that the run starts and stops itself) runs as many workers as the
machine has cores. Every trial must record the same accuracy, macro-F1 and confusion matrix, bit for bit.
"""

import json
import sqlite3

import pytest

from .test_runner_cli import cli

pytestmark = pytest.mark.slow


def _run(out, *extra):
    """Run the quick suite into ``out``: (the run's executor options, {trial: (status, accuracy, f1, confusion)})."""
    r = cli("run", "quick", "--out", str(out), "--no-report", "--quiet", *extra, timeout=600)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(out / "classbench.db")
    try:
        options = json.loads(db.execute("SELECT options_json FROM runs").fetchone()[0])
        rows = db.execute("SELECT model_label, seed, fold, status, accuracy, macro_f1, extra_json FROM trials")
        scores = {(label, seed, fold): (status, acc, f1, json.loads(extra or "{}").get("confusion"))
                  for label, seed, fold, status, acc, f1, extra in rows}
    finally:
        db.close()
    return (options["executor"], options["workers"]), scores


def _differences(a, b):
    return {k: (a[k][:3], b.get(k, (None,))[:3]) for k in a if b.get(k) != a[k]}


def test_quick_suite_same_accuracies_with_1_and_2_workers_and_on_ray(tmp_path):
    how, one = _run(tmp_path / "w1", "--workers", "1")
    assert how == ("local", 1)
    assert len(one) == 13 and all(s == "ok" and c is not None for s, _, _, c in one.values()), one
    how, two = _run(tmp_path / "w2", "--workers", "2")
    assert how == ("local", 2)
    assert two == one, _differences(one, two)
    pytest.importorskip("ray", reason="Ray is optional: pip install 'classbench[ray]' to run this part")
    how, ray = _run(tmp_path / "ray", "--executor", "ray")
    assert how[0] == "ray"
    assert ray == one, _differences(one, ray)
