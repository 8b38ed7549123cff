"""A trial's result depends on its seed and spec only: the quick suite scores the same on every executor.

The local executor with 1 worker gives each trial every core's BLAS threads, with 2 workers one thread each;
the Ray executor (a local instance that the run starts and stops itself) runs as many workers as the
machine has cores. Every trial must record the same accuracy, macro-F1 and confusion matrix, bit for bit.
"""

import json
import sqlite3

import numpy as np
import pytest

from classbench.datasets import load_dataset

from .test_runner_cli import cli


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_nystroem_svc_same_model_on_any_thread_count(digits):
    from threadpoolctl import threadpool_limits

    from classbench.models.classical.kernel_svm import NystroemSVC

    X, Xt = digits.X_train.reshape(len(digits.X_train), -1), digits.X_test.reshape(len(digits.X_test), -1)
    fits = []
    for n_jobs, blas in ((1, 1), (2, 2), (3, 1)):
        with threadpool_limits(blas):
            m = NystroemSVC(kernel="poly", n_components=300, gamma=1 / (64 * X.var()), random_state=0,
                            n_jobs=n_jobs).fit(X, digits.y_train)
            fits.append((m.coef_, m.intercept_, m.decision_function(Xt)))
    for coef, intercept, scores in fits[1:]:
        assert np.array_equal(coef, fits[0][0]) and np.array_equal(intercept, fits[0][1])
        assert np.array_equal(scores, fits[0][2])


def test_face_cnn_same_net_on_1_and_2_threads(digits, monkeypatch):
    pytest.importorskip("torch")
    from classbench.models import create_model

    probas = []
    for threads in ("1", "2"):
        monkeypatch.setenv("CLASSBENCH_THREADS", threads)
        m = create_model("face-cnn", epochs=2, channels=8, random_state=0)
        probas.append(m.fit(digits.X_train[:400], digits.y_train[:400]).predict_proba(digits.X_test[:100]))
    assert np.array_equal(probas[0], probas[1])


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


@pytest.mark.slow
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
