"""``classbench compare``: the pairwise table per dataset and, across datasets, ranks and the critical
difference, from one or more stored runs (or a plain CSV of scores). Returns plain dicts (``--json``);
``format_text`` renders them for the terminal."""

from __future__ import annotations

import math
from typing import Any

from ..errors import UserError
from .compare import (
    NO_PREDICTIONS,
    Group,
    auto_test,
    groups,
    holm,
    interval,
    normalise_test,
    pair_test,
    right_of_n,
)


def _alpha(alpha: float) -> float:
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 0.5):
        raise UserError(f"--alpha must be a significance level between 0 and 0.5 (e.g. 0.05), not {alpha!r}.")
    return float(alpha)


def select(by_label: dict[str, Group], models: list[str] | None, dataset: str) -> list[str]:
    """Labels chosen by ``--model`` (a leaderboard label, or a model name: all its configurations)."""
    if not models:
        return list(by_label)
    out: list[str] = []
    for m in models:
        hit = [lbl for lbl in by_label if lbl == m] or [lbl for lbl, g in by_label.items()
                                                          if g.trials[0]["model"] == m]
        out += [h for h in hit if h not in out]
    return out


def load_groups(store: Any, run_ids: list[str]) -> tuple[dict[str, dict[str, Group]], list[str]]:
    """Merge the ok classification trials of several runs: dataset -> label -> Group. A (dataset, model)
    pair found in two runs is taken from the later one, with a note."""
    merged: dict[str, dict[str, Group]] = {}
    notes: list[str] = []
    for run_id in run_ids:
        store.get_run(run_id)  # UserError with the recent runs for an unknown id
        for dataset, by_label in groups(store.trials(run_id), run_id).items():
            here = merged.setdefault(dataset, {})
            for label, g in by_label.items():
                if label in here:
                    notes.append(f"{label} on {dataset} is in runs {here[label].run_id} and {run_id}: using {run_id}")
                here[label] = g
    return merged, notes


def _unit(dataset: str) -> str:
    try:
        from ..datasets import get_source

        modality = get_source(dataset).modality
    except Exception:  # noqa: BLE001 - only a word in a sentence
        return "test samples"
    return {"image": "images", "text": "texts"}.get(modality, "test samples")


def sentence(dataset: str, best: dict[str, Any], second: dict[str, Any], pair: dict[str, Any],
             alpha: float, n_tied: int, p_adj: float | None = None) -> str:
    """One plain sentence about the dataset's best two models. ``p_adj``: the pair's p-value after Holm's
    correction over the comparisons with the best (what decides; shown when it differs from ``p``)."""
    a, b, p = best["model"], second["model"], pair.get("p_value")
    decide = p if p_adj is None else p_adj
    if p is None:
        return f"{a} scores above {b} on {dataset}, but the difference could not be tested: {pair.get('note')}."
    if pair["test"] == "mcnemar":
        where = f"on these {pair.get('n', 0):,} {_unit(dataset)}"
    else:
        where = f"on {dataset} over {pair.get('n')} matched folds/seeds ({pair['test']})"
    shown = f"p = {p:.2g}" + (f", Holm-adjusted {p_adj:.2g}" if p_adj is not None and abs(p_adj - p) > 1e-12 else "")
    if decide < alpha:
        text = f"{a} beats {b} {where}: {shown}"
    else:
        text = f"{a} and {b} are not distinguishable {where}: {shown}"
    if n_tied > 2:
        text += f"; {n_tied} models are tied with the best (Holm-corrected)"
    return text + "."


def compare_dataset(dataset: str, by_label: dict[str, Group], labels: list[str], test: str,
                    alpha: float) -> dict[str, Any]:
    """Intervals of each model and every pairwise test (Holm over the dataset's pairs)."""
    gs = sorted((by_label[lbl] for lbl in labels), key=lambda g: -(g.accuracy if g.accuracy is not None else -1))
    kind = gs[0].kind
    models = []
    for g in gs:
        iv = interval(g, alpha)
        k, n = right_of_n(g)
        models.append({"model": g.label, "run": g.run_id, "accuracy": g.accuracy, "acc_low": iv["acc_low"],
                       "acc_high": iv["acc_high"], "interval": iv["interval"], "n_trials": len(g.trials),
                       "n_test": n, "has_predictions": all(t.get("predictions") is not None for t in g.trials)})
    pairs = []
    for i in range(len(gs)):
        for j in range(i + 1, len(gs)):
            res = pair_test(gs[i], gs[j], test, alpha)
            pairs.append({"a": gs[i].label, "b": gs[j].label, **res})
    for p, adj in zip(pairs, holm([p["p_value"] for p in pairs])):
        p["p_holm"] = adj
        p["verdict"] = ("not tested" if adj is None else
                        f"{p['a']} better" if adj < alpha and (p["diff"] or 0) > 0 else
                        f"{p['b']} better" if adj < alpha else "not distinguishable")
    notes = []
    if any(p["p_value"] is None and p.get("note") == NO_PREDICTIONS for p in pairs):
        runs = sorted({m["run"] for m in models if not m["has_predictions"]})
        notes.append(f"Run(s) {', '.join(runs)} hold no per-sample predictions (made before classbench kept "
                     f"them), so the {auto_test(kind, 1) if test == 'auto' else test} test on the same test "
                     f"samples cannot be computed; accuracies and their intervals are shown. Re-run to test.")
    out: dict[str, Any] = {"dataset": dataset, "protocol": kind, "models": models, "pairs": pairs, "notes": notes}
    if len(gs) >= 2:
        first = next(p for p in pairs if p["a"] == gs[0].label and p["b"] == gs[1].label)
        vs_best = holm([p["p_value"] for p in pairs if p["a"] == gs[0].label])  # first: the runner-up
        n_tied = 1 + sum(q is not None and q >= alpha for q in vs_best)
        out["sentence"] = sentence(dataset, models[0], models[1], first, alpha, n_tied, vs_best[0])
    else:
        out["sentence"] = f"Only {gs[0].label} ran on {dataset}: nothing to compare it with."
    return out


def compare_runs(store: Any, run_ids: list[str], models: list[str] | None = None, test: str = "auto",
                 alpha: float = 0.05) -> dict[str, Any]:
    """The whole analysis of ``run_ids`` (see module docstring) as a JSON-able dict."""
    alpha, test = _alpha(alpha), normalise_test(test)
    merged, notes = load_groups(store, run_ids)
    if not merged:
        raise UserError(f"Run(s) {', '.join(run_ids)} have no finished classification trial, so there is "
                        f"nothing to compare. `classbench show RUN` lists what they hold.")
    datasets = []
    for dataset, by_label in merged.items():
        labels = select(by_label, models, dataset)
        if models and len(labels) < 1:
            continue
        datasets.append(compare_dataset(dataset, by_label, labels, test, alpha))
    if models and not datasets:
        have = sorted({lbl for by in merged.values() for lbl in by})
        raise UserError(f"No model named {', '.join(models)} in run(s) {', '.join(run_ids)}. Models there: "
                        f"{', '.join(have)}. Pass --model with a leaderboard label or a model name.")
    result: dict[str, Any] = {"runs": run_ids, "alpha": alpha, "test": test, "datasets": datasets,
                              "notes": notes, "multi": None}
    table = {d["dataset"]: {m["model"]: m["accuracy"] for m in d["models"]} for d in datasets}
    common = [m for m in (datasets[0]["models"] if datasets else [])
              if all(m["model"] in row and row[m["model"]] is not None for row in table.values())]
    if len(datasets) >= 2:
        names = [m["model"] for m in common]
        if len(names) < 2:
            result["notes"].append("Several datasets, but fewer than two models ran on all of them: no ranks.")
        else:
            result["multi"] = multi_dataset({d: {n: table[d][n] for n in names} for d in table}, alpha)
    return result


def multi_dataset(table: dict[str, dict[str, float]], alpha: float, higher_is_better: bool = True,
                  control: str | None = None) -> dict[str, Any]:
    """Mean ranks, Friedman + Iman-Davenport, Nemenyi CD, Holm vs the best (``stats.analyse_scores``)."""
    from ..stats import analyse_scores

    return analyse_scores(table, higher_is_better=higher_is_better, alpha=alpha, control=control)


def compare_scores_file(path: str, alpha: float = 0.05, higher_is_better: bool = True,
                        control: str | None = None) -> dict[str, Any]:
    """``--scores FILE``: a CSV with one row per dataset and one column per model."""
    from ..stats import read_scores_csv

    alpha = _alpha(alpha)
    table = read_scores_csv(path)
    return {"scores": str(path), "alpha": alpha, "datasets": [], "notes": [],
            "multi": multi_dataset(table, alpha, higher_is_better, control)}


# --- text -------------------------------------------------------------------------------------------
def _f(v: Any, fmt: str = ".4f") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return format(v, fmt)


def _p(v: Any) -> str:
    if v is None:
        return "-"
    return "<1e-4" if v < 1e-4 else f"{v:.4f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) if i < 2 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def format_text(result: dict[str, Any]) -> str:
    out: list[str] = []
    for d in result["datasets"]:
        out.append(f"== {d['dataset']} ({d['protocol']}) ==")
        rows = [[m["model"], f"{_f(m['accuracy'])} [{_f(m['acc_low'], '.3f')}, {_f(m['acc_high'], '.3f')}]",
                 m["interval"] or "-"] for m in d["models"]]
        out += _table(["model", "accuracy [95% interval]", "interval"], rows)
        if d["pairs"]:
            out.append("")
            rows = [[f"{p['a']} - {p['b']}", p["test"], _f(p["diff"]),
                     f"[{_f(p['ci_low'])}, {_f(p['ci_high'])}]" if p["ci_low"] is not None else "-",
                     _p(p["p_value"]), _p(p["p_holm"]), p["verdict"]] for p in d["pairs"]]
            out += _table(["pair (a - b)", "test", "difference", "interval", "p", "p (Holm)", "verdict"], rows)
            untested = sorted({p["note"] for p in d["pairs"] if p["p_value"] is None and p.get("note")})
            out += [f"  not tested: {n}" for n in untested if n != NO_PREDICTIONS]
        out += [f"note: {n}" for n in d["notes"]]
        out += [d["sentence"], ""]
    if result.get("multi"):
        out += format_multi(result["multi"])
    out += [f"note: {n}" for n in result.get("notes") or []]
    return "\n".join(out).rstrip() + "\n"


def format_multi(m: dict[str, Any]) -> list[str]:
    """Ranks, Friedman, CD and the post-hoc tests of ``stats.analyse_scores``' result."""
    better = "higher" if m.get("higher_is_better", True) else "lower"
    out = [f"== across {m['n_datasets']} datasets ({m['n_models']} models; rank 1 = best, {better} scores win) =="]
    nem = m.get("nemenyi_p") or []
    names = list(m.get("models") or [])
    best = m.get("best")
    rows = []
    for name, r in sorted(m["mean_ranks"].items(), key=lambda kv: kv[1]):
        p = nem[names.index(best)][names.index(name)] if nem and best in names and name != best else None
        rows.append([name, f"{r:.3f}", _p(p)])
    out += _table(["model", "mean rank", f"Nemenyi p vs {best}"], rows)
    fr = m["friedman"]
    out.append(f"Friedman chi2 = {fr['chi2']:.3f} (p = {_p(fr['p_value'])}); Iman-Davenport F({fr['df1']}, "
               f"{fr['df2']}) = {_f(fr['iman_davenport_f'], '.3f')} (p = {_p(fr['iman_davenport_p'])})")
    out.append(f"Nemenyi critical difference at alpha {m['alpha']}: {m['cd']:.3f} (mean ranks closer than this "
               f"are not significantly different)")
    holm_ = m.get("holm") or {}
    for h in holm_.get("comparisons") or []:
        out.append(f"  Holm vs {holm_['control']}: {h['model']} (rank {h['mean_rank']:.2f}) p = {_p(h['p'])}, "
                   f"Holm p = {_p(h['p_holm'])}{'  significant' if h.get('significant') else ''}")
    if m.get("groups"):
        out.append(f"Not significantly worse than the best (Nemenyi): {', '.join(m['groups'])}")
    b = m.get("bayesian")
    if b:
        out.append(f"Bayesian signed-rank (rope {b['rope']}): P({b['a']} better) = {b['p_a_better']:.3f}, "
                   f"P(equivalent) = {b['p_rope']:.3f}, P({b['b']} better) = {b['p_b_better']:.3f}")
    out += [f"note: {n}" for n in m.get("notes") or []]
    return out + [""]


def write_cd_plot(result: dict[str, Any], path: str) -> None:
    """``--cd-plot FILE.png``: Demšar's critical-difference diagram of the multi-dataset part."""
    m = result.get("multi")
    if not m:
        raise UserError("--cd-plot needs two or more datasets on which the same models ran (or a --scores "
                        "file): this comparison has no ranks across datasets. Drop --cd-plot, or add runs.")
    from .._io import atomic_write_bytes
    from ..report.cd_diagram import plot_cd
    from ..report.plots import to_png

    fig = plot_cd(m["mean_ranks"], m["cd"], title=f"critical difference {m['cd']:.2f} (Nemenyi, alpha {m['alpha']})")
    try:
        atomic_write_bytes(path, to_png(getattr(fig, "figure", fig)))
    except OSError as exc:
        raise UserError(f"Cannot write the diagram to {path}: {exc.strerror or exc}. Choose a writable file.") from None
