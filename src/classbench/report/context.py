"""Everything a report panel needs about one run, read once from the store.

Panels never query the store or load data themselves: they ask the ``ReportContext`` (finished trials,
leaderboard rows, the top models of a dataset, the dataset itself, reloaded lazily and cached).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..bench import leaderboard as lb
from ..bench.store import SCHEMA_VERSION, Store
from ..errors import UserError

DONE = ("ok", "failed", "timeout")  # a trial in one of these states has its final result
UNFINISHED = ("pending", "running", "interrupted")
DEFAULT_TOP_N = 8

_RUN_COLUMNS = {"run_id", "created", "status", "suite_name", "suite_json", "command", "options_json",
                "versions_json"}
_TRIAL_COLUMNS = {"run_id", "trial_key", "seq", "dataset", "model", "model_label", "seed", "fold", "n_folds",
                  "status", "error", "accuracy", "macro_f1", "train_s", "predict_s", "n_params", "peak_mem_mb",
                  "spec_json", "history_json", "extra_json", "versions_json"}


def check_schema(store: Store) -> None:
    """Raise UserError unless ``store`` has the schema this report reads."""
    version = store.conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        newer = version > SCHEMA_VERSION
        raise UserError(
            f"The results database {store.path} uses schema {version}, written by "
            f"{'a newer' if newer else 'an older'} classbench; this one reads schema {SCHEMA_VERSION}. "
            + ("Upgrade classbench to report on it." if newer else
               "Re-run the suite with this classbench (a new --out folder), or report with the version that "
               "wrote it."))
    for table, need in (("runs", _RUN_COLUMNS), ("trials", _TRIAL_COLUMNS)):
        have = {r[1] for r in store.conn.execute(f"PRAGMA table_info({table})")}
        missing = sorted(need - have)
        if missing:
            raise UserError(
                f"The results database {store.path} has no usable {table!r} table (missing columns: "
                f"{', '.join(missing)}), so it was not written by this classbench. Point --out at the folder "
                f"of a `classbench run`, or re-run the suite into a new folder.")


@dataclass
class LoadedData:
    """A dataset reloaded for the report, or why it could not be."""

    dataset: Any = None  # classbench.datasets.Dataset
    error: str | None = None
    n_train: int = 0

    def sample(self, index: int) -> tuple[Any, int] | None:
        """(x, label) at a pooled index (train first, then test); None when out of range."""
        ds = self.dataset
        if ds is None or index < 0:
            return None
        if index < self.n_train:
            return ds.X_train[index], int(ds.y_train[index])
        j = index - self.n_train
        if j < len(ds.y_test):
            return ds.X_test[j], int(ds.y_test[j])
        return None


@dataclass
class ReportContext:
    store: Store
    run_id: str
    run: dict[str, Any]
    trials: list[dict[str, Any]]
    top_n: int = DEFAULT_TOP_N
    rows: list[dict[str, Any]] = field(default_factory=list)
    _data: dict[str, LoadedData] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store, run_id: str, top_n: int = DEFAULT_TOP_N) -> "ReportContext":
        check_schema(store)
        run = store.get_run(run_id)
        trials = store.trials(run_id)
        if not trials:
            raise UserError(f"Run {run_id!r} in {store.path} has no trials at all (it was created but never "
                            f"planned). Start it again with `classbench run --resume {run_id}`.")
        counts = Counter(t["status"] for t in trials)
        if not any(counts[s] for s in DONE):
            raise UserError(
                f"Run {run_id!r} has no finished trial yet ({_count_text(counts)}), so there is nothing to "
                f"report. Wait for it to finish, or finish it with `classbench run --resume {run_id} "
                f"--out {store.out_dir}`.")
        ctx = cls(store, run_id, run, trials, top_n=max(1, int(top_n)))
        ctx.rows = lb.leaderboard(trials)  # configurations with only unfinished trials show as such
        return ctx

    # run-level facts ------------------------------------------------------------------------------
    @property
    def counts(self) -> Counter:
        return Counter(t["status"] for t in self.trials)

    @property
    def partial(self) -> bool:
        return self.run.get("status") != "finished" or any(self.counts[s] for s in UNFINISHED)

    def partial_text(self) -> str:
        return (f"Partial report: run status is {self.run.get('status')!r}; {_count_text(self.counts)}. "
                f"Only finished trials are shown.")

    def json_field(self, key: str) -> dict[str, Any]:
        try:
            return json.loads(self.run.get(key) or "{}") or {}
        except json.JSONDecodeError:
            return {}

    @property
    def datasets(self) -> list[str]:
        return list(dict.fromkeys(t["dataset"] for t in self.trials))

    # per dataset / model ------------------------------------------------------------------------
    def rows_for(self, dataset: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["dataset"] == dataset]

    def ok_trials(self, dataset: str, label: str) -> list[dict[str, Any]]:
        return [t for t in self.trials if t["dataset"] == dataset and t["model_label"] == label
                and t["status"] == "ok"]

    def top_rows(self, dataset: str, want: Any = None) -> tuple[list[dict[str, Any]], int]:
        """The best ``top_n`` configurations of ``dataset`` with ok trials (and ``want(row)``), and how many
        qualified in all."""
        rows = [r for r in self.rows_for(dataset) if r["n_ok"] and (want is None or want(r))]
        rows.sort(key=lambda r: -(r["accuracy"] if r["accuracy"] is not None else -1.0))
        return rows[: self.top_n], len(rows)

    # data -----------------------------------------------------------------------------------------
    def data(self, trial: dict[str, Any]) -> LoadedData:
        """The dataset a trial ran on, reloaded with the run's data folders (never downloads)."""
        spec = (trial.get("spec") or {}).get("dataset") or {"name": trial["dataset"], "params": {}}
        key = json.dumps(spec, sort_keys=True, default=str)
        if key not in self._data:
            self._data[key] = self._load(spec["name"], dict(spec.get("params") or {}))
        return self._data[key]

    def _load(self, name: str, params: dict[str, Any]) -> LoadedData:
        from ..datasets import DataContext, get_source

        data_dir = self.json_field("options_json").get("data_dir")
        try:
            try:
                dctx = DataContext.from_env(data_dir, download=False)
            except UserError:  # the run's --data-dir is gone: fall back to CLASSBENCH_DATA and the cache
                dctx = DataContext.from_env(None, download=False)
            source = get_source(name)
            ds = source.load(dctx, **source.check(dctx, **params))
        except Exception as exc:  # noqa: BLE001 - any failure becomes a note in the panel
            first = str(exc).strip().splitlines()
            return LoadedData(error=f"{type(exc).__name__}: {first[0] if first else ''}")
        return LoadedData(dataset=ds, n_train=len(ds.y_train))


def _count_text(counts: Counter) -> str:
    order = ("ok", "failed", "timeout", "interrupted", "running", "pending")
    parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
    return f"{sum(counts.values())} trials: " + ", ".join(parts)
