"""The results store: one SQLite database per output directory, one row per trial.

Writes are transactional (WAL mode, busy timeout), so a crash or a second writer never corrupts rows
already written. The schema version lives in ``PRAGMA user_version``.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..errors import UserError

SCHEMA_VERSION = 3
DB_NAME = "classbench.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    suite_name TEXT NOT NULL,
    suite_json TEXT NOT NULL,
    command TEXT,
    options_json TEXT,
    versions_json TEXT
);
CREATE TABLE IF NOT EXISTS trials (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    trial_key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    dataset TEXT NOT NULL,
    model TEXT NOT NULL,
    model_label TEXT NOT NULL,
    family TEXT,
    seed INTEGER NOT NULL,
    fold INTEGER NOT NULL,
    n_folds INTEGER NOT NULL,
    protocol TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    params_json TEXT,
    status TEXT NOT NULL,
    error TEXT,
    accuracy REAL,
    macro_f1 REAL,
    train_s REAL,
    predict_s REAL,
    samples_per_s REAL,
    n_params INTEGER,
    peak_mem_mb REAL,
    task TEXT,
    rmse REAL,
    mae REAL,
    r2 REAL,
    n_train INTEGER,
    n_test INTEGER,
    history_json TEXT,
    extra_json TEXT,
    versions_json TEXT,
    started TEXT,
    finished TEXT,
    PRIMARY KEY (run_id, trial_key)
);
CREATE INDEX IF NOT EXISTS trials_by_run ON trials(run_id, seq);
"""

# one row per classification trial that finished: its per-sample answers (bench/predictions.py), n = n_test
_PREDICTIONS_TABLE = ("CREATE TABLE IF NOT EXISTS predictions (run_id TEXT NOT NULL, trial_key TEXT NOT NULL, "
                      "n INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (run_id, trial_key))")
_SCHEMA += _PREDICTIONS_TABLE + ";\n"

# schema 1 -> 2: regression trials (task, rmse, mae, r2)
# schema 2 -> 3: per-sample predictions of classification trials (bench/predictions.py), one blob per trial
_MIGRATIONS = {
    1: ["ALTER TABLE trials ADD COLUMN task TEXT", "ALTER TABLE trials ADD COLUMN rmse REAL",
        "ALTER TABLE trials ADD COLUMN mae REAL", "ALTER TABLE trials ADD COLUMN r2 REAL"],
    2: [_PREDICTIONS_TABLE],
}

TRIAL_STATUSES = ("pending", "running", "ok", "failed", "timeout", "interrupted")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """Open (creating if needed) ``DIR/classbench.db``."""

    def __init__(self, out_dir: Path | str, create: bool = True):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / DB_NAME
        if not create and not self.path.exists():
            raise UserError(f"No results database at {self.path}. Pass the --out folder of an earlier "
                            f"`classbench run` (default ./classbench-out).")
        if create:
            try:
                self.out_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(f"Cannot create output folder {self.out_dir}: {exc.strerror or exc}. "
                                f"Choose a writable folder with --out.") from None
        try:
            self.conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA busy_timeout = 30000")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise UserError(f"The results database {self.path} was written by a newer classbench (schema "
                                f"{version}, this one reads {SCHEMA_VERSION}). Upgrade classbench or use another --out.")
            has_tables = self.conn.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('runs', 'trials')").fetchone()[0]
            if has_tables and version < SCHEMA_VERSION:
                self._migrate(version)
                version = SCHEMA_VERSION
            if create:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL: safe against crashes, fewer fsyncs
                with self.tx():
                    for stmt in _SCHEMA.split(";"):
                        if stmt.strip():
                            self.conn.execute(stmt)
                    if version < SCHEMA_VERSION:
                        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path} is not a readable classbench results database ({exc}). "
                            f"Move it away or choose another --out folder; it was not modified.") from None
        except OSError as exc:
            raise UserError(f"Cannot open {self.path}: {exc}. Choose a writable folder with --out.") from None

    def _migrate(self, version: int) -> None:
        """Upgrade an older database in place, in one transaction (nothing changes if any step fails)."""
        if version < 1:
            raise UserError(f"{self.path} has classbench tables but no schema version; it was not written by "
                            f"classbench. Move it away or choose another --out folder.")
        try:
            with self.tx() as c:
                for v in range(version, SCHEMA_VERSION):
                    for stmt in _MIGRATIONS[v]:
                        c.execute(stmt)
                c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.OperationalError as exc:
            raise UserError(f"Cannot upgrade the results database {self.path} from schema {version} to "
                            f"{SCHEMA_VERSION}: {exc}. Make the file writable (it was not changed).") from None

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # runs ---------------------------------------------------------------------------------------
    def create_run(self, run_id: str, suite: dict[str, Any], command: str, options: dict[str, Any],
                   versions: dict[str, Any]) -> None:
        with self.tx() as c:
            c.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?)",
                      (run_id, now(), None, "running", suite["name"], json.dumps(suite), command,
                       json.dumps(options), json.dumps(versions)))

    def set_run_status(self, run_id: str, status: str) -> None:
        with self.tx() as c:
            c.execute("UPDATE runs SET status = ?, finished = ? WHERE run_id = ?", (status, now(), run_id))

    def get_run(self, run_id: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            known = [r[0] for r in self.conn.execute("SELECT run_id FROM runs ORDER BY created DESC LIMIT 5")]
            hint = f" Recent runs: {', '.join(known)}." if known else " This database holds no runs yet."
            raise UserError(f"No run {run_id!r} in {self.path}.{hint} `classbench show` lists them all.")
        return dict(row)

    def runs(self) -> list[dict[str, Any]]:
        q = ("SELECT r.*, (SELECT COUNT(*) FROM trials t WHERE t.run_id = r.run_id) AS n_trials, "
             "(SELECT COUNT(*) FROM trials t WHERE t.run_id = r.run_id AND t.status = 'ok') AS n_ok "
             "FROM runs r ORDER BY created")
        return [dict(r) for r in self.conn.execute(q)]

    def latest_run(self) -> str:
        row = self.conn.execute("SELECT run_id FROM runs ORDER BY created DESC, rowid DESC LIMIT 1").fetchone()
        if row is None:
            raise UserError(f"{self.path} holds no runs yet. Start one with `classbench run`.")
        return row[0]

    # trials -------------------------------------------------------------------------------------
    def add_pending(self, run_id: str, rows: list[dict[str, Any]]) -> None:
        """Insert planned trials (status pending) unless already present (resume)."""
        cols = ("run_id", "trial_key", "seq", "dataset", "model", "model_label", "family", "seed", "fold",
                "n_folds", "protocol", "spec_json", "params_json", "status")
        with self.tx() as c:
            for r in rows:
                c.execute(f"INSERT OR IGNORE INTO trials ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                          tuple([run_id] + [r[k] for k in cols[1:-1]] + ["pending"]))

    def mark(self, run_id: str, trial_key: str, status: str, error: str | None = None) -> None:
        with self.tx() as c:
            c.execute("UPDATE trials SET status = ?, error = ?, started = COALESCE(started, ?) "
                      "WHERE run_id = ? AND trial_key = ?", (status, error, now(), run_id, trial_key))

    def record(self, run_id: str, trial_key: str, result: dict[str, Any]) -> None:
        """Write a finished trial's result (ok, failed or timeout) in one transaction, with its per-sample
        predictions (``result["predictions"]``: a blob from ``predictions.encode``) when it has them."""
        fields = ("status", "error", "accuracy", "macro_f1", "train_s", "predict_s", "samples_per_s", "n_params",
                  "peak_mem_mb", "task", "rmse", "mae", "r2", "n_train", "n_test")
        values = [result.get(f) for f in fields]
        values += [json.dumps(result.get("history") or []), json.dumps(result.get("extra") or {}),
                   json.dumps(result.get("versions") or {}), result.get("started") or now(), now()]
        with self.tx() as c:
            c.execute(
                f"UPDATE trials SET {', '.join(f + ' = ?' for f in fields)}, history_json = ?, extra_json = ?, "
                "versions_json = ?, started = ?, finished = ? WHERE run_id = ? AND trial_key = ?",
                (*values, run_id, trial_key))
            blob = result.get("predictions")
            if blob:
                c.execute("INSERT OR REPLACE INTO predictions (run_id, trial_key, n, blob) VALUES (?,?,?,?)",
                          (run_id, trial_key, int(result.get("n_test") or 0), sqlite3.Binary(bytes(blob))))
            else:  # a re-run (resume) that failed must not keep an earlier attempt's answers
                c.execute("DELETE FROM predictions WHERE run_id = ? AND trial_key = ?", (run_id, trial_key))

    def interrupt_running(self, run_id: str) -> int:
        with self.tx() as c:
            cur = c.execute("UPDATE trials SET status = 'interrupted', finished = ? WHERE run_id = ? AND "
                            "status = 'running'", (now(), run_id))
            return cur.rowcount

    def trials(self, run_id: str, predictions: bool = True) -> list[dict[str, Any]]:
        """The run's trials in plan order. With ``predictions``, each has ``"predictions"``: its decoded
        per-sample answers (``predictions.Predictions``), or None (failed, regression, or a run made before
        schema 3)."""
        rows = self.conn.execute("SELECT * FROM trials WHERE run_id = ? ORDER BY seq", (run_id,))
        out = []
        for r in rows:
            d = dict(r)
            for k in ("spec_json", "params_json", "history_json", "extra_json", "versions_json"):
                d[k[:-5]] = json.loads(d.pop(k)) if d.get(k) else None
            out.append(d)
        if predictions:
            blobs = self.prediction_blobs(run_id)
            if blobs:
                from .predictions import decode

                for d in out:
                    b = blobs.get(d["trial_key"]) if d["status"] == "ok" else None
                    d["predictions"] = decode(b) if b is not None else None
            else:
                for d in out:
                    d["predictions"] = None
        return out

    def prediction_blobs(self, run_id: str) -> dict[str, bytes]:
        """trial key -> the stored per-sample predictions blob of the run's trials that have one."""
        try:
            rows = self.conn.execute("SELECT trial_key, blob FROM predictions WHERE run_id = ?", (run_id,))
            return {k: bytes(b) for k, b in rows}
        except sqlite3.OperationalError:  # a read-only database of schema < 3 that could not be upgraded
            return {}

    def status_of(self, run_id: str) -> dict[str, str]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT trial_key, status FROM trials WHERE run_id = ?",
                                                      (run_id,))}
