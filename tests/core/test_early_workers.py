"""`classbench run` starts its local workers first thing (executors.early_workers): the executor takes them
over instead of starting its own, and those it does not take are stopped, on success and on error."""

from dataclasses import asdict

import pytest

from classbench.bench import executors
from classbench.bench.executors import LocalExecutor, early_workers
from classbench.bench.runner import plan
from classbench.cli import main
from classbench.config import DatasetSpec, ModelSpec, SuiteSpec
from classbench.datasets import DataContext
from classbench.errors import UserError


def test_the_executor_takes_over_the_early_worker_and_runs_trials_on_it():
    suite = SuiteSpec(name="e", datasets=(DatasetSpec("digits"),), models=(ModelSpec("ridge"),), seeds=(0, 1))
    ctx = DataContext.from_env(None)
    with early_workers(1):
        early = executors._EARLY[0].process
        ex = LocalExecutor(workers=1)
        ex.prestart(("classbench.models.classical.estimators",))  # sent to the early worker as ("warm", ...)
        assert executors._EARLY == []
        assert [w.process for w in ex._pool] == [early]
        todo, results = list(plan(suite, ctx)), []
        try:
            while todo or ex.busy():
                while todo and ex.idle():
                    t = todo.pop(0)
                    ex.submit(t, t.spec.to_dict(), asdict(ctx))
                results += [e.result for e in ex.next_events(5.0) if e.result is not None]
            assert early.is_alive()  # the block's end left the worker it handed over alone
        finally:
            ex.shutdown()
    assert [r["status"] for r in results] == ["ok", "ok"]
    assert not early.is_alive()


def test_early_workers_not_taken_are_stopped_when_the_block_ends_even_on_error():
    with pytest.raises(UserError):
        with early_workers(2):
            procs = [w.process for w in executors._EARLY]
            assert len(procs) == 2 and all(p.is_alive() for p in procs)
            raise UserError("the suite was wrong")
    assert executors._EARLY == []
    assert not any(p.is_alive() for p in procs)


def test_cli_run_starts_each_worker_once(tmp_path, monkeypatch, capsys):
    started = []
    real = executors._start_worker

    def counting(ctx, warm):
        w = real(ctx, warm)
        started.append(w.process)
        return w

    monkeypatch.setattr(executors, "_start_worker", counting)
    code = main(["run", "--dataset", "digits", "--model", "ridge", "--seeds", "2", "--out", str(tmp_path),
                 "--no-report", "--quiet"])
    assert code == 0
    assert len(started) == 1  # the early worker ran both trials: the executor started none of its own
    assert not any(p.is_alive() for p in started)
    started.clear()
    assert main(["run", "--dataset", "digits", "--model", "no-such-model", "--out", str(tmp_path)]) == 2
    assert "no-such-model" in capsys.readouterr().err
    assert len(started) == 1 and not started[0].is_alive()  # stopped with the error, not left behind
    assert executors._EARLY == []
