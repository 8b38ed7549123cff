"""Several machines, no cluster: `--shard I/N` splits a suite, `classbench merge` puts the shares together."""

import csv
import shutil
import sqlite3
from pathlib import Path

import pytest

from classbench.cli import main

RUN = ["run", "--dataset", "digits", "--model", "ridge", "--model", "lda", "--model", "perceptron",
       "--seeds", "2", "--no-report", "--quiet"]
TIMING = ("train_s", "predict_s", "peak_mem", "samples")  # differ from run to run; everything else must not


def cb(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def board(out):
    db = sqlite3.connect(Path(out) / "classbench.db")
    run_id = db.execute("SELECT run_id FROM runs ORDER BY created DESC, rowid DESC LIMIT 1").fetchone()[0]
    rows = list(csv.DictReader(open(Path(out) / "runs" / run_id / "leaderboard.csv")))
    return [{k: v for k, v in r.items() if not any(t in k for t in TIMING)} for r in rows]


def keys(out):
    db = sqlite3.connect(Path(out) / "classbench.db")
    return {r[0]: r[1] for r in db.execute("SELECT trial_key, status FROM trials")}


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """One suite run whole, and the same suite as shares 1/2 and 2/2 (and 1/3, 2/3 for an incomplete merge)."""
    root = tmp_path_factory.mktemp("shards")
    for name, extra in (("whole", []), ("a", ["--shard", "1/2"]), ("b", ["--shard", "2/2"]),
                        ("t1", ["--shard", "1/3"]), ("t2", ["--shard", "2/3"])):
        assert main(RUN + ["--out", str(root / name)] + extra) == 0
    return root


def test_shards_split_the_suite_and_merge_to_the_whole_run(shards, tmp_path, capsys):
    whole, a, b = keys(shards / "whole"), keys(shards / "a"), keys(shards / "b")
    assert len(whole) == 6 and len(a) == len(b) == 3
    assert not set(a) & set(b) and set(a) | set(b) == set(whole)
    assert {m for (m,) in sqlite3.connect(shards / "a" / "classbench.db").execute(
        "SELECT model FROM trials")} == {"ridge", "lda", "perceptron"}  # round-robin: every model in each share

    code, out, err = cb(capsys, "merge", shards / "a", shards / "b", "--into", tmp_path / "m")
    assert code == 0, err
    assert "6 trials merged from 2 results databases" in out
    assert board(tmp_path / "m") == board(shards / "whole")
    assert keys(tmp_path / "m") == whole
    q = "SELECT COUNT(*), SUM(LENGTH(blob)) > 0 FROM predictions"  # per-sample answers came along
    assert sqlite3.connect(tmp_path / "m" / "classbench.db").execute(q).fetchone() == \
        sqlite3.connect(shards / "whole" / "classbench.db").execute(q).fetchone() == (6, 1)
    code, out, _ = cb(capsys, "show", "--out", tmp_path / "m")
    assert code == 0 and "finished, 6 trials" in out

    # a share resumes as that share only
    run_a = sqlite3.connect(shards / "a" / "classbench.db").execute("SELECT run_id FROM runs").fetchone()[0]
    code, _, err = cb(capsys, "run", "--resume", run_a, "--out", shards / "a", "--no-report")
    assert code == 0 and "3 trials (3 already done)" in err, err


def test_an_incomplete_merge_says_so_and_resumes_to_the_whole_run(shards, tmp_path, capsys):
    code, out, err = cb(capsys, "merge", shards / "t1", shards / "t2", "--into", tmp_path / "m")
    assert code == 0, err
    assert "holds 4 finished of the suite's 6 trials" in err and "1/3, 2/3" in err
    run_id = out.rsplit("run ", 1)[1].split(":")[0]
    code, _, err = cb(capsys, "run", "--resume", run_id, "--out", tmp_path / "m", "--no-report")
    assert code == 0 and "6 trials (4 already done)" in err, err
    assert board(tmp_path / "m") == board(shards / "whole")


def _tamper(src, dst, sql):
    shutil.copytree(src, dst)
    db = sqlite3.connect(dst / "classbench.db")
    db.execute(sql)
    db.commit()
    db.close()


@pytest.mark.parametrize("case,sql,message", [
    ("versions", "UPDATE trials SET versions_json = json_set(versions_json, '$.sklearn', '0.1.0') WHERE seq = 1",
     "different code versions (sklearn"),
    ("spec", "UPDATE trials SET spec_json = replace(spec_json, '\"seed\": 1', '\"seed\": 7') WHERE seed = 1",
     "does not hash to its key"),
    ("suite", "UPDATE runs SET suite_json = replace(suite_json, '\"seeds\": [0, 1]', '\"seeds\": [0, 1, 2]')",
     "ran a different suite"),
])
def test_merge_refuses_conflicts_and_writes_nothing(shards, tmp_path, capsys, case, sql, message):
    _tamper(shards / "b", tmp_path / "b", sql)
    code, _, err = cb(capsys, "merge", shards / "a", tmp_path / "b", "--into", tmp_path / "m")
    assert code == 2 and message in err and "Nothing was written" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "m" / "classbench.db").exists()


def test_merge_and_shard_usage_errors(shards, tmp_path, capsys):
    for args, message in (
        (["merge", shards / "a", "--into", tmp_path / "m"], "at least two"),
        (["merge", shards / "a", shards / "b", "--into", shards / "a"], "is one of the sources"),
        (["merge", shards / "a", tmp_path / "nothing", "--into", tmp_path / "m"], "No results database"),
        (RUN + ["--shard", "3/2", "--out", tmp_path / "x"], "--shard '3/2'"),
        (["run", "--shard", "1/2", "--resume", "X", "--out", tmp_path / "x"], "drop --shard"),
        (RUN + ["--gpu-resource", "fake_gpu", "--out", tmp_path / "x"], "add --executor ray"),
    ):
        code, _, err = cb(capsys, *args)
        assert code == 2 and message in err, (args, err)
