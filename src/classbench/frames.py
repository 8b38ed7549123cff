"""Results as pandas DataFrames, for notebooks (pandas is imported only when these are called).

    import classbench as cb
    result = cb.run_suite("uci")
    result.to_pandas()                      # the leaderboard
    run = cb.load_run()                     # the latest run in classbench-out
    run.leaderboard, run.trials, run.ranks  # DataFrames; `run` alone shows all three in Jupyter
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LEADERBOARD_COLUMNS = ("dataset", "model", "family", "accuracy", "accuracy_std", "macro_f1", "macro_f1_std",
                       "train_s", "predict_s", "params", "peak_mem_mb", "n_seeds", "n_folds", "n_trials",
                       "n_failed", "status", "protocol", "task")
REGRESSION_COLUMNS = ("rmse", "rmse_std", "mae", "mae_std", "r2", "r2_std")
TRIAL_COLUMNS = ("trial_key", "dataset", "model", "model_label", "family", "seed", "fold", "n_folds", "protocol",
                 "status", "accuracy", "macro_f1", "rmse", "mae", "r2", "train_s", "predict_s", "samples_per_s",
                 "n_params", "peak_mem_mb", "n_train", "n_test", "error")


def leaderboard_frame(rows: list[dict[str, Any]]) -> Any:
    """One row per dataset x model configuration (``bench.leaderboard`` rows), best first per dataset."""
    import pandas as pd

    cols = list(LEADERBOARD_COLUMNS)
    if any(r.get("task") == "regression" for r in rows):
        cols[3:3] = list(REGRESSION_COLUMNS)
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)


def trials_frame(trials: list[dict[str, Any]]) -> Any:
    """One row per trial (``Store.trials``): its spec, status and metrics; ``params`` (the model's
    hyperparameters), ``warnings`` (what it warned, see ``bench.quiet``) and ``extra`` as Python objects."""
    import pandas as pd

    out = []
    for t in trials:
        row = {c: t.get(c) for c in TRIAL_COLUMNS}
        extra = t.get("extra") or {}
        row["params"] = t.get("params") or {}
        row["warnings"] = extra.get("warnings") or []
        row["extra"] = extra
        out.append(row)
    return pd.DataFrame(out, columns=list(TRIAL_COLUMNS) + ["params", "warnings", "extra"])


def ranks_frame(rows: list[dict[str, Any]]) -> Any:
    """Mean rank of each model over the datasets (``bench.ranking.mean_rank_table``); empty below 2 datasets."""
    import pandas as pd

    from .bench.ranking import mean_rank_table

    table = mean_rank_table(rows)
    return pd.DataFrame(table, columns=["model", "mean_rank", "mean_accuracy", "wins", "n_datasets"])


def _html(title: str, frames: list[tuple[str, Any]]) -> str:
    import html

    parts = [f"<div class='classbench-run'><h4>{html.escape(title)}</h4>"]
    for caption, df in frames:
        if df is not None and len(df):
            parts.append(f"<p><b>{html.escape(caption)}</b></p>")
            parts.append(df.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-", escape=True))
    parts.append("</div>")
    return "\n".join(parts)


@dataclass
class Run:
    """A stored run: ``leaderboard``, ``trials`` and ``ranks`` as DataFrames, ``info`` the run's record."""

    run_id: str
    out: Path
    info: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    trial_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def leaderboard(self) -> Any:
        return leaderboard_frame(self.rows)

    @property
    def trials(self) -> Any:
        return trials_frame(self.trial_rows)

    @property
    def ranks(self) -> Any:
        return ranks_frame(self.rows)

    def __repr__(self) -> str:
        from .bench.leaderboard import format_table

        return (f"run {self.run_id} ({self.info.get('suite_name')}, {self.info.get('status')}, "
                f"{len(self.trial_rows)} trials)\n{format_table(self.rows)}")

    def _repr_html_(self) -> str:
        title = f"classbench run {self.run_id} ({self.info.get('suite_name')}, {self.info.get('status')}, " \
                f"{len(self.trial_rows)} trials)"
        return _html(title, [("leaderboard", self.leaderboard), ("mean rank over datasets", self.ranks)])


def load_run(run_id: str = "latest", out: str | Path = "classbench-out") -> Run:
    """The run ``run_id`` (``"latest"``: the newest) from the results database in ``out``."""
    from .bench.leaderboard import leaderboard
    from .bench.store import Store

    store = Store(Path(out), create=False)
    try:
        rid = store.latest_run() if run_id in ("latest", "", None) else run_id
        info = store.get_run(rid)
        trials = store.trials(rid, predictions=False)
    finally:
        store.close()
    return Run(rid, Path(out), dict(info), leaderboard(trials), trials)


def run_result_html(result: Any) -> str:
    """Jupyter display of a ``RunResult``: its leaderboard (and mean ranks with several datasets)."""
    state = " (interrupted)" if getattr(result, "interrupted", False) else ""
    return _html(f"classbench run {result.run_id}{state}",
                 [("leaderboard", leaderboard_frame(result.rows)), ("mean rank over datasets", ranks_frame(result.rows))])
