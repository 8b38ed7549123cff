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
