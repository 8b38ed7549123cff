"""Run-level panels: leaderboard, accuracy against training time, failures, environment."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from ..bench import leaderboard as lb
from . import plots
from .blocks import Cell, Figure, Heading, Html, Note, Section, Table, panel
from .context import ReportContext

PAGE_SIZE = 50
MAX_FAILURES = 200


def _metric(r: dict[str, Any], m: str, with_std: bool) -> Cell:
    v = r.get(m)
    if v is None:
        return Cell("–", None)
    if m == "accuracy":  # with its 95% interval where one could be made (bench/compare.py)
        return Cell(lb.accuracy_cell(r, with_std) + (" *" if r.get("tied_with_best") else ""), float(v))
    text = lb._fmt(v, m)
    if with_std and r.get(f"{m}_std") is not None and not lb._one_sample_folds(r, m):
        text += f" ± {lb._fmt(r[m + '_std'], m)}"
    return Cell(text, float(v))


def status_text(r: dict[str, Any]) -> tuple[str, str]:
    """(text, css class) for a leaderboard row's status."""
    s = r["status"]
    if s == "ok":
        return "ok", "st-ok"
    if s == "partial":
        bad = r["n_failed"]
        rest = r["n_trials"] - r["n_ok"] - bad
        parts = [f"{bad} of {r['n_trials']} failed"] if bad else []
        parts += [f"{rest} unfinished"] if rest else []
        return "partial: " + ", ".join(parts), "st-partial"
    if s in ("failed", "timeout"):
        return f"{s} ({r['n_failed']} of {r['n_trials']})", "st-failed"
    return s, "st-pending"


def leaderboard_table(rows: list[dict[str, Any]], task: str = "classification") -> Table:
    regression = task == "regression"
    scores = ("rmse", "mae", "r2") if regression else ("accuracy", "macro_f1")
    header = ["dataset", "model", "family", *(("RMSE", "MAE", "R²") if regression else ("accuracy", "macro F1")),
              "train s", "predict s", "params", "peak MB", "seeds", "folds", "status"]
    body = []
    for r in rows:
        spread = r["n_seeds"] > 1 or r["n_folds"] > 1
        st, cls = status_text(r)
        body.append([
            Cell(r["dataset"], r["dataset"]), Cell(r["model"], r["model"]),
            Cell(r.get("family") or "", r.get("family") or ""),
            *(_metric(r, m, spread) for m in scores), _metric(r, "train_s", spread),
            _metric(r, "predict_s", spread),
            Cell(lb._fmt(r["params"], "params") if r["params"] is not None else "–", r["params"]),
            Cell(lb._fmt(r["peak_mem_mb"], "peak_mem_mb") if r["peak_mem_mb"] is not None else "–",
                 r["peak_mem_mb"]),
            Cell(str(r["n_seeds"]), r["n_seeds"]), Cell(str(r["n_folds"]), r["n_folds"]),
            Cell(st, st, cls),
        ])
    return Table(header, body, sortable=True, page_size=PAGE_SIZE,
                 table_id="leaderboard" if not regression else "leaderboard-regression",
                 numeric=set(range(3, len(header) - 1)))


@panel("leaderboard", order=10)
def leaderboard_panel(ctx: ReportContext) -> Section:
    blocks: list[Any] = []
    if lb.header_note(ctx.rows):
        blocks.append(Note(lb.header_note(ctx.rows) + ". Other columns: mean ± sample standard deviation "
                           "where several seeds or folds ran."))
    elif any(r["n_seeds"] > 1 or r["n_folds"] > 1 for r in ctx.rows):
        blocks.append(Note("Numbers are mean ± sample standard deviation over seeds (each seed first averaged "
                           "over its folds; over folds when there is one seed)."))
    else:
        blocks.append(Note("One trial per configuration."))
    blocks.append(Html("<p class='note'>Click a column header to sort; click again to reverse.</p>", ""))
    for task, rows in lb.by_task(ctx.rows):
        if task == "regression":
            blocks.append(Note("Regression datasets: RMSE and MAE on the test set (lower is better) and R² "
                               "(higher is better)."))
        blocks.append(leaderboard_table(rows, task))
    if len(ctx.rows) > PAGE_SIZE:
        blocks.append(Note(f"{len(ctx.rows):,} configurations, {PAGE_SIZE} per page (sorting applies to all pages)."))
    return Section("leaderboard", "Leaderboard", blocks)


@panel("pareto", order=20)
def pareto_panel(ctx: ReportContext) -> Section | None:
    blocks: list[Any] = [Note("Each point is one configuration (mean over its trials). The Pareto front joins the "
                              "models that no other model beats on both test accuracy and training time.")]
    for ds in ctx.datasets:
        rows = [r for r in ctx.rows_for(ds) if r.get("accuracy") is not None and r["train_s"] is not None]
        if not rows:
            continue
        fig = plots.pareto_figure(rows, f"{ds}: accuracy against training time")
        blocks.append(Figure(f"pareto-{_slug(ds)}", plots.to_png(fig), f"accuracy against training time on {ds}"))
        front = plots.pareto_front([(max(r["train_s"], 1e-4), r["accuracy"]) for r in rows])
        names = ", ".join(f"{rows[i]['model']} ({rows[i]['accuracy']:.4f} in {rows[i]['train_s']:.2f} s)"
                          for i in front)
        blocks.append(Note(f"Pareto front on {ds}, fastest first: {names}."))
    return Section("pareto", "Accuracy against training time", blocks) if len(blocks) > 1 else None


@panel("failures", order=30)
def failures_panel(ctx: ReportContext) -> Section | None:
    bad = [t for t in ctx.trials if t["status"] not in ("ok",)]
    if not bad:
        return None
    blocks: list[Any] = []
    if ctx.partial:
        blocks.append(Note(ctx.partial_text(), "warn"))
    rows_html, rows_md = [], []
    for t in bad[:MAX_FAILURES]:
        err = (t.get("error") or "").strip()
        lines = err.splitlines()
        first = lines[-1] if lines else {"pending": "not started yet", "running": "still running",
                                         "interrupted": "interrupted before it finished"}.get(t["status"], "")
        detail = (f"<details><summary>{escape(first[:300])}</summary><pre>{escape(err)}</pre></details>"
                  if len(lines) > 1 else escape(first[:300]))
        where = f"{t['seed']}" + (f" / fold {t['fold'] + 1} of {t['n_folds']}" if t["n_folds"] > 1 else "")
        rows_html.append(f"<tr><td>{escape(t['dataset'])}</td><td>{escape(t['model_label'])}</td>"
                         f"<td>{escape(where)}</td><td class='st-{_st(t['status'])}'>{escape(t['status'])}</td>"
                         f"<td class='err'>{detail}</td></tr>")
        rows_md.append(f"| {t['dataset']} | {_md(t['model_label'])} | {where} | {t['status']} | {_md(first[:200])} |")
    html = ("<table class='data'><thead><tr><th>dataset</th><th>model</th><th>seed</th><th>status</th>"
            "<th>error</th></tr></thead><tbody>" + "".join(rows_html) + "</tbody></table>")
    md = "| dataset | model | seed | status | error |\n|---|---|---|---|---|\n" + "\n".join(rows_md) + "\n"
    blocks.append(Html(html, md))
    if len(bad) > MAX_FAILURES:
        blocks.append(Note(f"Showing the first {MAX_FAILURES} of {len(bad):,} trials that did not finish "
                           f"successfully; `classbench show {ctx.run_id}` lists them all."))
    return Section("failures", f"Failed and unfinished trials ({len(bad):,})", blocks)


@panel("environment", order=90)
def environment_panel(ctx: ReportContext) -> Section:
    run, versions, options = ctx.run, ctx.json_field("versions_json"), ctx.json_field("options_json")
    cpu = versions.get("cpu") or versions.get("processor")
    cpus = versions.get("cpus")
    cpu_text = ", ".join(str(x) for x in (cpu, f"{cpus} logical CPUs" if cpus else None) if x) or "unknown"
    facts = [("run id", ctx.run_id), ("suite", run.get("suite_name")), ("status", run.get("status")),
             ("created", run.get("created")), ("finished", run.get("finished") or "–"),
             ("command", run.get("command") or "–"), ("data dir", options.get("data_dir") or "(default)"),
             ("workers", options.get("workers")), ("CPU", cpu_text), ("platform", versions.get("platform"))]
    facts += [(k.replace("_", " "), ", ".join(map(str, v)) if isinstance(v, list) else v)
              for k, v in options.items() if k not in ("data_dir", "workers") and v not in (None, "", [], {})]
    facts += [(k, v) for k, v in versions.items() if k not in ("platform", "cpus", "cpu", "processor")]
    kv = Table(["item", "value"], [[Cell(str(k)), Cell(str(v))] for k, v in facts if v is not None], table_id="env")
    blocks: list[Any] = [kv]
    differ = [t for t in ctx.trials if any(k in versions and versions[k] != v and k != "platform"
                                           for k, v in (t.get("versions") or {}).items())]
    if differ:
        blocks.append(Note(f"{len(differ)} trial(s) ran with library versions that differ from the run's "
                           f"(e.g. a resumed run); each trial's versions are stored with it.", "warn"))
    blocks.append(Heading("Trials and their spec hashes"))
    blocks.append(Note("The trial key is a hash of the trial's full spec (dataset, model, parameters, seed, "
                       "protocol, fold): the same key means the same experiment."))
    rows = [[Cell(t["trial_key"], t["trial_key"], "mono"), Cell(t["dataset"], t["dataset"]),
             Cell(t["model_label"], t["model_label"]), Cell(str(t["seed"]), t["seed"]),
             Cell(str(t["fold"]), t["fold"]), Cell(t.get("protocol") or "", t.get("protocol") or ""),
             Cell(t["status"], t["status"], f"st-{_st(t['status'])}")] for t in ctx.trials]
    blocks.append(Table(["trial key", "dataset", "model", "seed", "fold", "protocol", "status"], rows,
                        sortable=True, page_size=PAGE_SIZE, table_id="trials", numeric={3, 4}))
    suite = json.dumps(json.loads(run.get("suite_json") or "{}"), indent=2)
    blocks.append(Html(f"<details><summary>Suite as run (JSON)</summary><pre>{escape(suite)}</pre></details>",
                       f"<details><summary>Suite as run (JSON)</summary>\n\n```json\n{suite}\n```\n</details>\n"))
    return Section("environment", "Environment and provenance", blocks)


def _st(status: str) -> str:
    return {"ok": "ok", "failed": "failed", "timeout": "failed"}.get(status, "pending")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:60] or "x"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
