"""The report on synthetic runs (real store, real digits, simulated predictions): contents, Markdown twin,
odd runs (failures, one model, one class, 1,000 trials, half finished) and bad input."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from classbench.bench.store import Store
from classbench.errors import UserError
from classbench.report import cli_report, plot_learning_curves, write_plots, write_report


class Parsed(HTMLParser):
    """Collects what the tests check: sections, images, leaderboard rows (cells), external references."""

    def __init__(self, text: str):
        super().__init__()
        self.sections, self.imgs, self.external, self.rows = [], [], [], {}
        self._table, self._row, self._cell = None, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        for key in ("src", "href"):
            v = a.get(key) or ""
            if v and not v.startswith(("data:", "#")):
                self.external.append(v)
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.rows[self._table] = []
        if tag == "tr" and self._table:
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows[self._table].append(self._row)
            self._row = None
        if tag == "table":
            self._table = None


def report_of(store, run_id, **kw):
    path = write_report(store, run_id, **kw)
    text = path.read_text()
    assert "This panel failed" not in text
    return path, text, Parsed(text)


def test_report_contents_and_markdown(synthetic):
    store, run_id = synthetic(n_models=4, n_seeds=2, n_failed=2)
    path, text, doc = report_of(store, run_id)
    assert path == store.out_dir / "runs" / run_id / "report.html"
    assert doc.sections == ["leaderboard", "significance", "pareto", "failures", "learning-curves", "confusion", "misclassified",
                            "dataset", "environment"]
    assert doc.external == [] and "<script src" not in text and "<link rel=\"stylesheet\"" not in text
    assert all(src.startswith("data:image/png;base64,") for src in doc.imgs) and len(doc.imgs) > 20
    header, *rows = doc.rows["leaderboard"]
    assert header[:4] == ["dataset", "model", "family", "accuracy"]
    by_model = {r[1]: r for r in rows}
    assert len(by_model) == 4
    assert by_model["model-003"][-1] == "failed (2 of 2)" and by_model["model-003"][3] == "–"
    # mean over 2 seeds with its Wilson interval (one test set); * marks a model tied with the best
    assert re.fullmatch(r"0\.\d{4} \[0\.\d{3}, 0\.\d{3}\]( \*)?", by_model["model-001"][3])
    assert rows[0][3].endswith(" *") and "Wilson interval" in text  # the best row is tied with itself
    trial_keys = {r[0] for r in doc.rows["trials"][1:]}
    assert trial_keys == set(store.status_of(run_id))
    assert "ValueError: synthetic failure" in text
    # the Markdown twin links PNGs that exist beside it
    md = path.with_suffix(".md").read_text()
    assert "| dataset | model | family | accuracy |" in md
    links = re.findall(r"\]\((report_files/[^)]+\.png)\)", md)
    assert len(links) >= 6 and all((path.parent / link).is_file() for link in links)
    assert {p.name for p in (path.parent / "report_files").iterdir()} == {Path(link).name for link in links}
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp files left behind


def test_learning_curves_only_for_models_with_epochs_and_top_n(synthetic):
    store, run_id = synthetic(n_models=12, n_seeds=1, neural_every=1, validation=False)
    _, text, _ = report_of(store, run_id, top_n=3)
    curves = re.search(r'<section id="learning-curves">(.*?)</section>', text).group(1)
    assert curves.count('<div class="card">') == 3
    assert "showing the top 3 of 12 models with multi-epoch history" in curves
    assert "No validation curve" in curves
    confusion = re.search(r'<section id="confusion">(.*?)</section>', text).group(1)
    assert confusion.count("<img") == 3 and "top 3 of 12 models" in confusion


def test_stopped_trials_show_their_partial_curves(synthetic):
    store, run_id = synthetic(n_models=4, n_seeds=1, neural_every=1)
    trial = store.trials(run_id)[0]
    history = [{"epoch": e, "loss": 1.0 / e, "accuracy": 0.5 + 0.1 * e, "seconds": 1.0} for e in (1, 2, 3)]
    store.record(run_id, trial["trial_key"], {"status": "timeout", "history": history, "error":
                 "stopped after its time budget of 5 s; 3 finished epoch(s) kept in its history"})
    _, text, parsed = report_of(store, run_id)
    curves = re.search(r'<section id="learning-curves">(.*?)</section>', text).group(1)
    assert f"{trial['model_label']} · {trial['dataset']} · seed {trial['seed']} · stopped (timeout) after 3 epoch(s)" in curves
    assert "3 finished epoch(s) kept in its history" in curves
    assert curves.count('<div class="card">') == 4  # 3 finished models and the stopped one


def test_single_model_single_class_and_classical_only(synthetic):
    store, run_id = synthetic(n_models=1, n_seeds=1, neural_every=0, classes_override=1)
    _, text, doc = report_of(store, run_id)
    assert len(doc.rows["leaderboard"]) == 2
    assert "No confusions: every test sample was classified correctly." in text
    assert "no model in this run trained over several epochs" in text.lower()
    assert "misclassified" not in doc.sections


@pytest.mark.slow
def test_thousand_trials_paginated_and_small(synthetic):
    store, run_id = synthetic(n_models=100, n_seeds=10, n_failed=15)
    t0 = time.perf_counter()
    path, text, doc = report_of(store, run_id)
    seconds = time.perf_counter() - t0
    assert len(doc.rows["leaderboard"]) == 101 and len(doc.rows["trials"]) == 1001
    assert 'data-page-size="50"' in text and 'id="leaderboard-pager"' in text
    assert "showing the top 8 of 99 models" in text  # model-099 failed all its seeds: no panel
    assert path.stat().st_size < 5_000_000
    assert seconds < 90, seconds  # about 5 s of CPU; generous for a loaded CI machine


def test_text_dataset_shows_snippets(synthetic, text_dataset):
    store, run_id = synthetic(n_models=2, n_seeds=1, dataset=text_dataset)
    _, text, _ = report_of(store, run_id)
    mis = re.search(r'<section id="misclassified">(.*?)</section>', text).group(1)
    assert 'class="snippet"' in mis and "<img" not in mis
    assert "positive → negative" in mis or "negative → positive" in mis
    # line breaks become spaces; any other markup in the data is escaped, never rendered
    assert "number 0, &lt;b&gt;moving&lt;/b&gt; &amp; well acted" in text and "&lt;br" not in text
    md = (store.out_dir / "runs" / run_id / "report.md").read_text()
    assert "a dull film number" in md


def test_dataset_that_cannot_be_reloaded_is_said_not_fatal(synthetic):
    store, run_id = synthetic(n_models=2, n_seeds=1)
    spec = {"dataset": {"name": "no-such-dataset", "params": {}}, "model": {"name": "m", "params": {}}}
    store.conn.execute("UPDATE trials SET spec_json = ?", (json.dumps(spec),))
    _, text, doc = report_of(store, run_id)
    assert "Could not reload dataset" in text and "no-such-dataset" in text
    assert "misclassified" in doc.sections and "<td>true → predicted</td>" not in text


def test_partial_run_is_labelled_and_cli_notes_it(synthetic, capsys):
    store, run_id = synthetic(n_models=3, n_seeds=2, n_pending=2)
    store.mark(run_id, list(store.status_of(run_id))[-1], "running")
    _, text, doc = report_of(store, run_id)
    assert "(partial)</title>" in text and 'id="partial"' in text
    assert "1 running" in text and "1 pending" in text
    status = {r[1]: r[-1] for r in doc.rows["leaderboard"][1:]}
    assert status["model-002-net"].startswith("partial") or status["model-002-net"] in ("pending", "running")
    store.close()
    path = cli_report(store.out_dir, None, store.out_dir / "elsewhere.html")
    assert path == store.out_dir / "elsewhere.html" and path.with_suffix(".md").is_file()
    assert (store.out_dir / "elsewhere_files").is_dir()
    assert "partial" in capsys.readouterr().err


def test_run_with_nothing_finished_is_a_user_error(synthetic):
    store, run_id = synthetic(n_models=2, n_seeds=1, n_pending=2)
    with pytest.raises(UserError, match="no finished trial yet.*2 pending.*--resume"):
        write_report(store, run_id)


def test_unknown_run_and_missing_database(synthetic, tmp_path):
    store, run_id = synthetic(n_models=1, n_seeds=1)
    with pytest.raises(UserError, match=f"No run 'nope'.*Recent runs: {run_id}"):
        write_report(store, "nope")
    with pytest.raises(UserError, match="No results database"):
        cli_report(tmp_path / "empty", None)


@pytest.mark.parametrize("version, match", [(0, "no schema version"), (7, "newer classbench")])
def test_database_of_another_schema(tmp_path, synthetic, version, match):
    store, run_id = synthetic(n_models=1, n_seeds=1)
    store.close()
    db = sqlite3.connect(store.path)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
    with pytest.raises(UserError, match=match):
        cli_report(store.out_dir, run_id)


def test_database_with_foreign_tables(tmp_path):
    db = sqlite3.connect(tmp_path / "classbench.db")
    db.execute("CREATE TABLE runs (run_id TEXT)")
    db.execute("CREATE TABLE trials (x INT)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with pytest.raises(UserError, match="missing columns"):
        cli_report(tmp_path, "r1")


def test_plot_learning_curves_and_other_plots(synthetic, tmp_path):
    store, run_id = synthetic(n_models=4, n_seeds=2)
    paths = plot_learning_curves(store, run_id, None, tmp_path / "plots")
    assert sorted(p.name for p in paths) == ["curves-digits-model-000-net.png", "curves-digits-model-002-net.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
    (one,) = plot_learning_curves(store, run_id, "model-002-net")
    assert one.parent == store.out_dir / "runs" / run_id / "plots"
    with pytest.raises(UserError, match="No learning-curves plot for model 'model-001'.*model-000-net"):
        plot_learning_curves(store, run_id, "model-001")
    with pytest.raises(UserError, match="no model 'model-01'.*Did you mean"):
        plot_learning_curves(store, run_id, "model-01")
    assert len(write_plots(store, run_id, "confusion", None, tmp_path / "c")) == 4
    assert [p.name for p in write_plots(store, run_id, "pareto", None, tmp_path / "p")] == ["pareto-digits.png"]
    with pytest.raises(UserError, match="Unknown plot"):
        write_plots(store, run_id, "roc")


def test_unwritable_output_is_a_user_error(synthetic, tmp_path):
    store, run_id = synthetic(n_models=1, n_seeds=1)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="Cannot write the report"):
        write_report(store, run_id, blocker / "sub" / "report.html")


def test_a_new_panel_is_one_function(synthetic):
    from classbench.report.blocks import PANELS, Note, Section, panel

    @panel("test-extra", order=95)
    def extra(ctx):
        return Section("test-extra", "Extra", [Note(f"{len(ctx.trials)} trials")])

    try:
        store, run_id = synthetic(n_models=1, n_seeds=3)
        _, text, doc = report_of(store, run_id)
        assert doc.sections[-1] == "test-extra" and "3 trials" in text
    finally:  # unregister
        PANELS._entries.pop("test-extra")
        PANELS._aliases.pop("test-extra")


def test_store_handles_are_left_open_for_the_caller(synthetic):
    store, run_id = synthetic(n_models=1, n_seeds=1)
    write_report(store, run_id, markdown=False)
    assert not (store.out_dir / "runs" / run_id / "report.md").exists()
    assert isinstance(Store(store.out_dir, create=False).get_run(run_id), dict)
    store.conn.execute("SELECT 1")  # still usable: write_report does not close the caller's store
