"""What cuts a whole command's fixed cost (issue 16, item 6), checked for keeping behaviour: the collector
paused during start-up imports (classbench._startup) and one history watcher thread per worker."""

import gc
import threading
import time

import pytest

from classbench import _startup
from classbench.bench.executors import _HistoryWatcher
from classbench.cli import main


@pytest.fixture(autouse=True)
def _collector_left_as_found():
    was = gc.isenabled()
    yield
    _startup._STATE.clear()
    gc.unfreeze()
    (gc.enable if was else gc.disable)()


def test_the_collector_is_paused_in_the_block_and_back_with_nothing_frozen_after_it():
    gc.enable()
    with _startup.gc_paused():
        assert not gc.isenabled()
        junk = [object() for _ in range(10)]
        _startup.resume_gc()  # trials start: what exists now is frozen, the collector runs again
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(junk)
        _startup.resume_gc()  # a second call changes nothing
        assert gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # unfrozen: collectable again by whoever goes on in this process


def test_a_block_left_before_resume_turns_the_collector_back_on_even_on_error():
    gc.enable()
    with pytest.raises(RuntimeError):
        with _startup.gc_paused():
            assert not gc.isenabled()
            raise RuntimeError("a bad suite")
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_collector_someone_else_turned_off_stays_off():
    gc.disable()
    with _startup.gc_paused():
        _startup.resume_gc()
        assert not gc.isenabled()
    assert not gc.isenabled() and gc.get_freeze_count() == 0


def test_cli_run_leaves_the_collector_on_and_nothing_frozen(tmp_path, capsys):
    gc.enable()
    assert main(["run", "--dataset", "digits", "--model", "ridge", "--seeds", "1", "--out", str(tmp_path),
                 "--no-report", "--quiet"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert main(["run", "--dataset", "digits", "--model", "no-such-model", "--out", str(tmp_path)]) != 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


class _Model:
    def __init__(self):
        self.history_ = []


def test_one_watcher_thread_serves_every_trial_and_sends_nothing_after_stop():
    sent = []
    w = _HistoryWatcher(sent.append, every=0.05)
    first = _Model()
    w.watch(1, first)
    thread = w.thread
    first.history_ += [{"epoch": 1}, {"epoch": 2}]
    deadline = time.monotonic() + 5
    while len(sent) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    w.stop()
    first.history_.append({"epoch": 3})  # after stop: never sent (the result carries the whole history)
    time.sleep(0.15)
    second = _Model()
    w.watch(2, second)
    assert w.thread is thread and thread.is_alive()
    assert sum(t.name == "classbench-history" for t in threading.enumerate()) >= 1
    second.history_.append({"epoch": 1})
    deadline = time.monotonic() + 5
    while not any(job == 2 for job, _ in sent) and time.monotonic() < deadline:
        time.sleep(0.01)
    w.stop()
    time.sleep(0.15)
    assert sent == [(1, ("history", [{"epoch": 1}, {"epoch": 2}])), (2, ("history", [{"epoch": 1}]))]


def test_a_model_without_a_history_list_sends_nothing():
    sent = []
    w = _HistoryWatcher(sent.append, every=0.02)
    model = _Model()
    model.history_ = None
    w.watch(7, model)
    time.sleep(0.1)
    w.stop()
    assert sent == []


_PROBE = """
import json, sys
if sys.argv[1] == "shim":
    from classbench._startup import keep_scipy_docstrings
    keep_scipy_docstrings()
import numpy as np
import scipy.stats as ss
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
a, b = rng.normal(size=40), rng.normal(0.3, size=40)
X, y = rng.normal(size=(60, 4)), rng.integers(0, 2, 60)
out = {
    "doc": ss.ttest_ind.__doc__,
    "results": [float(ss.ttest_ind(a, b).pvalue), float(ss.wilcoxon(a - b).pvalue), float(ss.rankdata(a)[3]),
                float(ss.norm.ppf(0.975)), LogisticRegression().fit(X, y).coef_.tolist()],
}
print(json.dumps(out))
"""


def _probe(mode):
    import json
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_scipy_keeps_its_docstrings_as_written_and_computes_the_same():
    plain, kept = _probe("plain"), _probe("shim")
    assert kept["results"] == plain["results"]
    assert "Array API Standard Support" in plain["doc"]  # the decorator this replaces is active here
    assert "Array API Standard Support" not in kept["doc"]
    assert kept["doc"].startswith("Calculate the T-test for the means of *two independent* samples")
    assert "Parameters\n" in kept["doc"] and "equal_var" in kept["doc"]


def test_any_other_use_of_the_stand_in_parser_hands_over_to_scipys_own():
    from scipy._lib._docscrape import FunctionDoc

    def f(x):
        """Add one.

        Parameters
        ----------
        x : int
            A number.
        """
        return x + 1

    _startup._DocAsWritten.real = FunctionDoc
    quick = _startup._DocAsWritten(f)
    quick["Notes"].append("a note")
    assert str(quick).split("\n", 1)[1].lstrip(" \n").startswith("Add one.")  # as xp_capabilities reads it
    full = _startup._DocAsWritten(f)
    full["Notes"].append("a note")
    assert [p.name for p in full["Parameters"]] == ["x"]  # parsed by SciPy's parser from here on
    assert "a note" in str(full) and "x : int" in str(full)
