"""``classbench merge OUT_A OUT_B ... --into OUT``: one run from results databases that ran shares of a suite.

Each source's latest run is read (read-only: the sources are never changed). They must have run the same
suite, their trials must agree on every spec, and classbench and the libraries that compute results must
have the same versions everywhere; otherwise nothing is written and the message says what differs. A trial
found in several sources keeps its best outcome (ok over failed/timeout over unfinished), the first source
winning ties. Every per-trial row is copied: the ``trials`` row and the rows of every other table keyed by
``(run_id, trial_key)`` (per-sample ``predictions`` today), so the merged run's leaderboard, statistics and
report are those of a run made on one machine.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import spec_hash
from ..errors import UserError
from . import leaderboard as lb
from .store import DB_NAME, SCHEMA_VERSION, Store

# versions that change results: they must agree across the merged runs (the CPU, OS and Python may differ)
RESULT_VERSIONS = ("classbench", "numpy", "scipy", "sklearn", "torch", "lightgbm")
_RANK = {"ok": 0, "failed": 1, "timeout": 1}  # anything else (pending, running, interrupted): 2


@dataclass
class Source:
    where: Path  # the folder (or file) given
    db: Path
    conn: sqlite3.Connection
    run: dict[str, Any]
    n_runs: int
    trials: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.where} (run {self.run['run_id']})"


@dataclass
class MergeResult:
    run_id: str
    n_trials: int
    rows: list[dict[str, Any]]
    notes: list[str]


def _db_path(where: Path) -> Path:
    db = where / DB_NAME if where.is_dir() else where
    if not db.is_file():
        raise UserError(f"No results database at {db}. Give the --out folders of the runs to merge (each holds "
                        f"{DB_NAME}), e.g. `classbench merge out-a out-b --into merged`.")
    return db


def _open(where: Path) -> Source:
    db = _db_path(where)
    try:
        conn = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True, timeout=30.0)
        conn.row_factory = sqlite3.Row
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UserError(f"{db} was written by a newer classbench (schema {version}, this one reads "
                            f"{SCHEMA_VERSION}). Merge with that version of classbench.")
        runs = conn.execute("SELECT * FROM runs ORDER BY created DESC, rowid DESC").fetchall()
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{db} is not a readable classbench results database ({exc}); nothing was merged.") from None
    if not runs:
        raise UserError(f"{db} holds no runs; nothing was merged. Run `classbench run ... --out {where}` first.")
    src = Source(where, db, conn, dict(runs[0]), len(runs))
    src.trials = [dict(r) for r in conn.execute("SELECT * FROM trials WHERE run_id = ? ORDER BY seq",
                                                (src.run["run_id"],))]
    return src


def _check_suites(sources: list[Source]) -> dict[str, Any]:
    first = sources[0]
    suite = json.loads(first.run["suite_json"])
    for s in sources[1:]:
        other = json.loads(s.run["suite_json"])
        if other != suite:
            keys = sorted(k for k in set(suite) | set(other) if suite.get(k) != other.get(k))
            raise UserError(f"Cannot merge: {s.name} ran a different suite than {first.name} (they differ in: "
                            f"{', '.join(keys)}). Only shares of one suite merge: run the same suite and options "
                            f"with `classbench run ... --shard I/N` on every machine. Nothing was written.")
    return suite


def _check_versions(sources: list[Source]) -> None:
    seen: dict[str, dict[str, list[str]]] = {}
    for s in sources:
        blobs = [s.run["versions_json"]] + [t["versions_json"] for t in s.trials if t["status"] == "ok"]
        for blob in blobs:
            for lib, v in (json.loads(blob) if blob else {}).items():
                if lib in RESULT_VERSIONS:
                    where = seen.setdefault(lib, {}).setdefault(str(v), [])
                    if str(s.where) not in where:
                        where.append(str(s.where))
    clash = {lib: vs for lib, vs in seen.items() if len(vs) > 1}
    if clash:
        said = "; ".join(f"{lib} " + ", ".join(f"{v} in {', '.join(w)}" for v, w in vs.items())
                         for lib, vs in sorted(clash.items()))
        raise UserError(f"Cannot merge: the runs were made with different code versions ({said}), so their "
                        f"results are not comparable as one run. Re-run the odd share(s) with the same versions "
                        f"(`pip install -c constraints.txt ...` on every machine). Nothing was written.")


def _pick_trials(sources: list[Source], notes: list[str]) -> list[tuple[Source, dict[str, Any]]]:
    chosen: dict[str, tuple[Source, dict[str, Any]]] = {}
    dup_ok = 0
    for s in sources:
        for t in s.trials:
            key = t["trial_key"]
            if spec_hash(json.loads(t["spec_json"])) != key:
                raise UserError(f"Cannot merge: trial {key} in {s.name} holds a spec that does not hash to its "
                                f"key (written by another classbench, or edited). Nothing was written.")
            if key in chosen:
                old_src, old = chosen[key]
                if old["spec_json"] != t["spec_json"] or old["seq"] != t["seq"]:
                    raise UserError(f"Cannot merge: trial {key} ({t['dataset']} · {t['model_label']} · seed "
                                    f"{t['seed']}) is planned differently in {old_src.name} and {s.name}. "
                                    f"Nothing was written.")
                dup_ok += old["status"] == "ok" and t["status"] == "ok"
                if _RANK.get(t["status"], 2) < _RANK.get(old["status"], 2):
                    chosen[key] = (s, t)
            else:
                chosen[key] = (s, t)
    if dup_ok:
        notes.append(f"note: {dup_ok} trial(s) finished in more than one source; kept the first source's result")
    return sorted(chosen.values(), key=lambda st: st[1]["seq"])


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def _per_trial_tables(conn: sqlite3.Connection) -> list[str]:
    """Every table with ``run_id`` and ``trial_key`` columns (trials first)."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    keyed = [n for n in names if {"run_id", "trial_key"} <= set(_columns(conn, n))]
    return sorted(keyed, key=lambda n: n != "trials")


def merge_outputs(sources: list[Path], into: Path) -> MergeResult:
    from .runner import new_run_id, write_leaderboard

    if len(sources) < 2:
        raise UserError("classbench merge needs at least two results folders to combine, e.g. "
                        "`classbench merge out-a out-b --into merged`.")
    dbs = [_db_path(s).resolve() for s in sources]
    target = (into / DB_NAME if not into.suffix == ".db" else into).resolve()
    if target in dbs:
        raise UserError(f"--into {into} is one of the sources; merge into a new folder, e.g. --into merged.")
    if len(set(dbs)) < len(dbs):
        raise UserError("The same results database is given twice; name each source once.")
    opened = [_open(s) for s in sources]
    try:
        notes = [f"note: {s.where} holds {s.n_runs} runs; merging its latest, {s.run['run_id']}"
                 for s in opened if s.n_runs > 1]
        suite = _check_suites(opened)
        _check_versions(opened)
        picked = _pick_trials(opened, notes)
        options = [json.loads(s.run["options_json"] or "{}") for s in opened]
        planned = max((o.get("n_planned") or 0 for o in options), default=0) or len(picked)
        complete = len(picked) >= planned and all(t["status"] in ("ok", "failed", "timeout") for _, t in picked)
        store = Store(into.parent if into.suffix == ".db" else into)
        try:
            run_id = new_run_id()
            merged_from = [{"out": str(s.where), "run_id": s.run["run_id"], "shard": o.get("shard")}
                           for s, o in zip(opened, options)]
            store.create_run(run_id, suite, " ".join(sys.argv) or "classbench merge",
                             {"executor": "merge", "merged_from": merged_from, "n_planned": planned,
                              "notes": notes}, json.loads(opened[0].run["versions_json"] or "{}"))
            _copy(store, run_id, picked)
            store.set_run_status(run_id, "finished" if complete else "interrupted")
            rows = lb.leaderboard(store.trials(run_id))
            write_leaderboard(store.out_dir, run_id, rows)
        finally:
            store.close()
        if not complete:
            notes.append(f"note: the merged run holds {sum(t['status'] in ('ok', 'failed', 'timeout') for _, t in picked)}"
                         f" finished of the suite's {planned} trials (shards merged: "
                         f"{', '.join(str(m['shard']) for m in merged_from)}); finish it with "
                         f"`classbench run --resume {run_id} --out {store.out_dir}`")
        return MergeResult(run_id, len(picked), rows, notes)
    finally:
        for s in opened:
            s.conn.close()


def _copy(store: Store, run_id: str, picked: list[tuple[Source, dict[str, Any]]]) -> None:
    """Copy each picked trial's row of every per-trial table into ``run_id``, in one transaction."""
    dest_tables = set(_per_trial_tables(store.conn))
    plans: dict[int, list[tuple[str, list[str]]]] = {}
    with store.tx() as c:
        for src, t in picked:
            if id(src) not in plans:
                plans[id(src)] = [(tab, [col for col in _columns(src.conn, tab) if col in _columns(c, tab)])
                                  for tab in _per_trial_tables(src.conn) if tab in dest_tables]
            for table, cols in plans[id(src)]:
                rows = src.conn.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE run_id = ? AND trial_key = ?",
                                        (src.run["run_id"], t["trial_key"])).fetchall()
                for row in rows:
                    values = [run_id if col == "run_id" else row[col] for col in cols]
                    c.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                              values)
