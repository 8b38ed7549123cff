"""One call for a table of scores (datasets x models): ranks, Friedman, Nemenyi, Holm, Bayesian, groups.

Used by ``classbench compare`` (including ``--scores FILE``), the leaderboard and the report. Everything
returned is JSON-able.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..errors import UserError
from ._types import _clean
from .bayes import baycomp_available, bayesian_signed_rank
from .intervals import _check_alpha
from .ranks import friedman, holm_vs_control, mean_ranks, nemenyi_cd, nemenyi_pvalues, nemenyi_q

MISSING_CELLS = frozenset({"", "na", "nan", "n/a", "null", "none", "-", "?"})


def cd_cliques(ranks: Mapping[str, float], cd: float) -> list[list[str]]:
    """Groups of models whose mean ranks all lie within less than ``cd`` of each other.

    Each clique is a maximal run of consecutive models (sorted by mean rank, best first) whose best and
    worst differ by less than the critical difference: the thick bars of Demšar's CD diagram. Models in no
    clique differ significantly from every other. Cliques of one model are left out.

    Parameters
    ----------
    ranks : mapping of model name to mean rank
    cd : float
        The critical difference (e.g. ``nemenyi_cd(k, N)``).

    Returns
    -------
    list of cliques, each a list of names in rank order; cliques in order of their best model.
    """
    items = sorted(ranks.items(), key=lambda kv: (kv[1], kv[0]))
    names = [name for name, _ in items]
    r = [float(v) for _, v in items]
    cliques: list[list[str]] = []
    reach = 0  # last index covered by an earlier clique
    for i in range(len(r)):
        j = i
        while j + 1 < len(r) and r[j + 1] - r[i] < cd:
            j += 1
        if j > i and j > reach:
            cliques.append(names[i:j + 1])
            reach = j
    return cliques


def _as_table(table: Any) -> dict[str, dict[str, Any]]:
    """{dataset: {model: score}} from a mapping of mappings or a DataFrame (rows datasets, columns models)."""
    if hasattr(table, "columns") and hasattr(table, "index") and hasattr(table, "to_dict"):
        for what, labels in (("dataset (row)", table.index), ("model (column)", table.columns)):
            dup = sorted({str(x) for x in labels if list(labels).count(x) > 1})
            if dup:
                raise UserError(f"Each {what} must appear once in the scores table; repeated: {', '.join(dup)}. "
                                f"Average repeated runs first, or give them distinct names.")
        return {str(d): {str(m): v for m, v in row.items()} for d, row in table.to_dict(orient="index").items()}
    if not isinstance(table, Mapping):
        raise UserError(f"Scores must be a mapping {{dataset: {{model: score}}}} or a DataFrame (rows datasets, "
                        f"columns models), not {type(table).__name__}.")
    out: dict[str, dict[str, Any]] = {}
    for d, row in table.items():
        if not isinstance(row, Mapping):
            raise UserError(f"Scores of dataset {d!r} must be a mapping {{model: score}}, not "
                            f"{type(row).__name__}.")
        out[str(d)] = {str(m): v for m, v in row.items()}
    return out


def _number(value: Any, dataset: str, model: str) -> float:
    if value is None:
        return math.nan
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise UserError(f"Score of model {model!r} on dataset {dataset!r} is {value!r}, not a number. "
                        f"Give plain numbers (e.g. 0.953); leave the cell empty if the score is missing.") from None
    if math.isinf(x):
        raise UserError(f"Score of model {model!r} on dataset {dataset!r} is infinite; give a finite number.")
    return x


def analyse_scores(table: Any, higher_is_better: bool = True, alpha: float = 0.05,
                   control: str | int | None = None, rope: float = 0.01) -> dict[str, Any]:
    """Compare k models over N datasets: mean ranks, Friedman + Iman-Davenport, Nemenyi CD and p-values,
    Holm against a control, Bayesian signed-rank (2 models, baycomp installed), and the group of models
    not significantly different from the best.

    Parameters
    ----------
    table : mapping {dataset: {model: score}} or DataFrame of shape (N datasets, k models)
        A dataset lacking any model's score (missing, None or NaN) is dropped, and named in
        ``dropped_datasets`` and ``notes``.
    control : model name or column index, optional
        The baseline for Holm's test; default the best-ranked model.

    Returns
    -------
    dict with ``models``, ``datasets``, ``dropped_datasets``, ``mean_ranks``, ``best``, ``friedman``,
    ``cd``, ``nemenyi_q``, ``nemenyi_p`` (k x k, in ``models`` order), ``holm``, ``bayesian``, ``groups``
    (models whose mean rank is within less than the CD of the best, best first), ``cliques`` (the CD
    diagram's bars) and ``notes``.
    """
    _check_alpha(alpha)
    rows = _as_table(table)
    models: list[str] = []
    for row in rows.values():
        models.extend(m for m in row if m not in models)
    datasets, dropped, matrix = [], [], []
    for d, row in rows.items():
        values = [_number(row.get(m), d, m) for m in models]
        missing = [m for m, v in zip(models, values) if math.isnan(v)]
        if missing:
            dropped.append({"dataset": d, "missing": missing})
        else:
            datasets.append(d)
            matrix.append(values)
    notes = [f"dropped dataset {x['dataset']!r}: no score for {', '.join(map(repr, x['missing']))}"
             for x in dropped]
    if len(models) < 2 or len(datasets) < 2:
        why = "; ".join(notes) if notes else "nothing was dropped"
        raise UserError(f"Comparing models across datasets needs at least 2 models with scores on at least 2 "
                        f"common datasets; got {len(models)} model(s) and {len(datasets)} complete dataset(s) "
                        f"({why}). Add the missing scores or compare on one dataset with a paired test.")
    x = np.array(matrix, dtype=float)
    n, k = x.shape
    ranks = mean_ranks(x, higher_is_better)
    order = sorted(range(k), key=lambda i: (ranks[i], i))
    best = order[0]
    if control is None:
        control_i = best
    elif isinstance(control, (int, np.integer)) and not isinstance(control, bool):
        if not 0 <= control < k:
            raise UserError(f"control index {control} is out of range: there are {k} models ({models}).")
        control_i = int(control)
    elif str(control) in models:
        control_i = models.index(str(control))
    else:
        raise UserError(f"control model {control!r} is not in the table; its models are {', '.join(models)}.")
    fr = friedman(x, higher_is_better)
    cd = nemenyi_cd(k, n, alpha)
    rank_of = {m: float(ranks[i]) for i, m in enumerate(models)}
    holm_rows = holm_vs_control(x, control_i, higher_is_better)
    for h in holm_rows:
        h["model"] = models[h["model"]]
        h["significant"] = bool(h["p_holm"] < alpha)
    bayes = None
    if k == 2:
        sign = 1.0 if higher_is_better else -1.0  # the Bayesian test reads higher as better
        probs = bayesian_signed_rank(sign * x[:, 0], sign * x[:, 1], rope=rope)
        if probs is not None:
            bayes = {"a": models[0], "b": models[1], "rope": rope, "p_a_better": probs[0],
                     "p_rope": probs[1], "p_b_better": probs[2]}
        elif not baycomp_available():
            notes.append("Bayesian signed-rank test skipped: install baycomp (pip install 'classbench[stats]')")
    friedman_d = fr.to_dict()
    friedman_d["significant"] = bool(fr.iman_davenport_p < alpha)
    if not friedman_d["significant"]:
        notes.append(f"the Friedman test (Iman-Davenport F) does not reject equal ranks at alpha={alpha}: "
                     f"post-hoc differences should not be claimed")
    groups = [models[i] for i in order if ranks[i] - ranks[best] < cd]
    return _clean({
        "models": models, "datasets": datasets, "dropped_datasets": dropped,
        "n_models": k, "n_datasets": n, "higher_is_better": higher_is_better, "alpha": alpha,
        "mean_ranks": rank_of, "best": models[best], "friedman": friedman_d,
        "cd": cd, "nemenyi_q": nemenyi_q(k, alpha), "nemenyi_p": nemenyi_pvalues(x, higher_is_better),
        "holm": {"control": models[control_i], "comparisons": holm_rows},
        "bayesian": bayes, "groups": groups, "cliques": cd_cliques(rank_of, cd), "notes": notes,
    })


def read_scores_csv(path: str | Path) -> dict[str, dict[str, float]]:
    """Read a table of scores: header row ``dataset,MODEL1,MODEL2,...``, then one row per dataset.

    The first column holds dataset names (its header is free); every other column one model's scores.
    Comma, semicolon or tab separated; an empty cell (or NA, NaN, -, ?) is a missing score.

    Returns
    -------
    ``{dataset: {model: score}}`` with missing scores left out.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"Scores file {str(p)!r} does not exist. Give a CSV with datasets as rows and models "
                        f"as columns.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read scores file {str(p)!r} as UTF-8 text: {exc}.") from None
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), None)
    if first is None:
        raise UserError(f"Scores file {str(p)!r} is empty: it needs a header row (dataset, then model names) and "
                        f"one row of scores per dataset.")
    delim = max(",;\t", key=first.count)
    reader = csv.reader(lines, delimiter=delim)
    header: list[str] | None = None
    out: dict[str, dict[str, float]] = {}
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        fields = [f.strip() for f in fields]
        if header is None:
            header = fields
            if len(header) < 2:
                raise UserError(f"{p}, line {line}: the header needs a dataset column and at least one model "
                                f"column separated by commas, e.g. 'dataset,logreg,svm'; got {first.strip()!r}.")
            for col, name in enumerate(header[1:], start=2):
                if not name:
                    raise UserError(f"{p}, line {line}, column {col}: empty model name in the header.")
                if header.index(name) != col - 1:
                    raise UserError(f"{p}, line {line}, column {col}: model {name!r} appears twice in the header.")
            continue
        if len(fields) != len(header):
            raise UserError(f"{p}, line {line}: {len(fields)} fields, but the header has {len(header)} "
                            f"(dataset + {len(header) - 1} models). Every row needs one cell per model "
                            f"(leave a cell empty for a missing score).")
        dataset = fields[0]
        if not dataset:
            raise UserError(f"{p}, line {line}, column 1: the dataset name is empty.")
        if dataset in out:
            raise UserError(f"{p}, line {line}: dataset {dataset!r} appears twice; give one row per dataset.")
        row: dict[str, float] = {}
        for col, (model, cell) in enumerate(zip(header[1:], fields[1:]), start=2):
            if cell.lower() in MISSING_CELLS:
                continue
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise UserError(f"{p}, line {line}, column {col} (model {model!r}, dataset {dataset!r}): "
                                f"{cell!r} is not a finite number. Write scores as plain numbers with a "
                                f"decimal point (0.953), or leave the cell empty if missing.")
            row[model] = value
        out[dataset] = row
    if not out:
        raise UserError(f"Scores file {str(p)!r} has a header but no rows of scores: add one row per dataset.")
    return out
