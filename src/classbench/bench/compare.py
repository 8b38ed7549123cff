"""Which statistic fits which protocol, applied to stored trials: intervals, paired tests, tied-with-best.

The maths lives in ``classbench.stats``; this module only decides what to feed it, from what the results
database holds (per-trial scores, per-sample predictions) and the protocol the trials ran under:

==========================  ==============================  ===========================================
protocol                    interval on one model           paired test of two models (``auto``)
==========================  ==============================  ===========================================
holdout (one test set)      Wilson, k right of n            exact McNemar on the same test samples
split, one seed             Wilson                          exact McNemar
loo                         Wilson on the pooled answers    exact McNemar on the pooled answers
kfold, split with seeds     Nadeau-Bengio corrected t       corrected resampled paired t (matched trials)
5x2cv                       Nadeau-Bengio corrected t       Dietterich's 5x2cv paired t
==========================  ==============================  ===========================================

With several seeds of a holdout (or loo) run, the test set is the same every time: the interval is Wilson on
the mean number right, and McNemar compares the two models on the lowest seed both finished.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UserError

TESTS = ("auto", "mcnemar", "corrected-t", "5x2cv-t", "5x2cv-f", "naive-t")
TEST_ALIASES = {"5x2cv": "5x2cv-t", "t": "corrected-t", "nadeau-bengio": "corrected-t"}
NO_PREDICTIONS = ("no per-sample predictions stored (the run was made before classbench kept them, or the "
                  "trials failed); re-run it with this classbench to get this test")


@dataclass
class Group:
    """The finished trials of one model configuration on one dataset."""

    dataset: str
    label: str
    trials: list[dict[str, Any]]
    run_id: str = ""
    kind: str = "holdout"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def seeds(self) -> list[int]:
        return sorted({t["seed"] for t in self.trials})

    @property
    def accuracy(self) -> float | None:
        vals = [t["accuracy"] for t in self.trials if t.get("accuracy") is not None]
        return float(np.mean(vals)) if vals else None

    def scores(self) -> dict[tuple[int, int], float]:
        """(seed, fold) -> accuracy."""
        return {(t["seed"], t["fold"]): float(t["accuracy"]) for t in self.trials if t.get("accuracy") is not None}

    def sizes(self) -> tuple[float, float]:
        """Mean training and test set size of a trial."""
        n_tr = [t["n_train"] for t in self.trials if t.get("n_train")]
        n_te = [t["n_test"] for t in self.trials if t.get("n_test")]
        return (float(np.mean(n_tr)) if n_tr else math.nan, float(np.mean(n_te)) if n_te else math.nan)

    def answers(self, seed: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """(index, correct) of one seed's test samples, pooled over its folds; None when not stored.

        Leave-one-out trials of older runs have no stored predictions, but each one's accuracy (0 or 1) is
        its single sample's answer and its fold is that sample's index, so they are pooled from the scores.
        """
        seed = self.seeds[0] if seed is None else seed
        ts = [t for t in self.trials if t["seed"] == seed]
        if self.kind == "5x2cv":  # the first repetition: each sample answered once
            ts = [t for t in ts if t["fold"] in (0, 1)]
        if not ts:
            return None
        if all(t.get("predictions") is not None for t in ts):
            index = np.concatenate([t["predictions"].index for t in ts])
            correct = np.concatenate([t["predictions"].correct for t in ts])
            return index, correct
        if self.kind == "loo" and all(t.get("n_test") == 1 and t.get("accuracy") is not None for t in ts):
            return (np.array([t["fold"] for t in ts]), np.array([t["accuracy"] >= 0.5 for t in ts]))
        return None


def protocol_kind(trial: dict[str, Any]) -> str:
    spec = trial.get("spec") or {}
    kind = (spec.get("protocol") or {}).get("kind")
    if kind:
        return str(kind)
    label = str(trial.get("protocol") or "holdout")
    return label.split("(", 1)[0]


def groups(trials: list[dict[str, Any]], run_id: str = "") -> dict[str, dict[str, Group]]:
    """dataset -> model label -> Group of its ok classification trials (datasets and models in run order)."""
    out: dict[str, dict[str, Group]] = {}
    for t in trials:
        if t["status"] != "ok" or (t.get("task") or "classification") != "classification":
            continue
        g = out.setdefault(t["dataset"], {}).get(t["model_label"])
        if g is None:
            g = out[t["dataset"]][t["model_label"]] = Group(t["dataset"], t["model_label"], [], run_id,
                                                           protocol_kind(t))
        g.trials.append(t)
    return out


# --- one model: the interval ---------------------------------------------------------------------------
def interval_method(g: Group) -> str:
    """'wilson' (one test set, possibly pooled) or 'corrected-t' (scores of several folds or splits)."""
    if g.kind in ("holdout", "loo"):
        return "wilson"
    if g.kind == "split" and len(g.seeds) == 1:
        return "wilson"
    return "corrected-t" if len(g.scores()) > 1 else "wilson"


def interval(g: Group, alpha: float = 0.05) -> dict[str, Any]:
    """``{"acc_low", "acc_high", "interval", "k", "n"}`` for one model (Wilson: k right of n)."""
    from ..stats import corrected_t_ci, proportion_ci

    method = interval_method(g)
    if method == "corrected-t":
        sc = g.scores()
        n_tr, n_te = g.sizes()
        _, lo, hi = corrected_t_ci(list(sc.values()), n_tr, n_te, alpha)
        return {"acc_low": max(0.0, lo), "acc_high": min(1.0, hi), "interval": "corrected-t", "k": None,
                "n": len(sc)}
    k, n = right_of_n(g)
    if n is None or n <= 0:
        return {"acc_low": None, "acc_high": None, "interval": None, "k": None, "n": None}
    lo, hi = proportion_ci(k, n, alpha, "wilson")
    return {"acc_low": lo, "acc_high": hi, "interval": "wilson", "k": k, "n": n}


def right_of_n(g: Group) -> tuple[int | None, int | None]:
    """(k right, n answered) on one test set: pooled over the folds of a seed (loo), averaged over seeds."""
    ks, ns = [], []
    for s in g.seeds:
        ts = [t for t in g.trials if t["seed"] == s and t.get("n_test") and t.get("accuracy") is not None]
        if ts:
            ks.append(sum(t["accuracy"] * t["n_test"] for t in ts))
            ns.append(sum(t["n_test"] for t in ts))
    if not ns:
        return None, None
    n = int(round(float(np.mean(ns))))
    return int(round(float(np.mean(ks)))), n


# --- two models: the paired test -----------------------------------------------------------------------
def auto_test(kind: str, n_seeds: int) -> str:
    if kind in ("holdout", "loo") or (kind == "split" and n_seeds == 1):
        return "mcnemar"
    if kind == "5x2cv":
        return "5x2cv-t"
    return "corrected-t"


def normalise_test(test: str | None) -> str:
    t = (test or "auto").lower()
    t = TEST_ALIASES.get(t, t)
    if t not in TESTS:
        raise UserError(f"Unknown test {test!r}. Choose one of: {', '.join(TESTS)} (auto picks McNemar for one "
                        f"test set, the corrected t-test for folds or seeds, the 5x2cv t-test for 5x2cv).")
    return t


def pair_test(a: Group, b: Group, test: str = "auto", alpha: float = 0.05) -> dict[str, Any]:
    """Compare ``a`` against ``b`` (diff = a - b). Returns the PairTest as a dict plus ``test``; when the test
    cannot be computed from what is stored, ``p_value`` is None and ``note`` says why."""
    from .. import stats

    test = normalise_test(test)
    common = sorted(set(a.seeds) & set(b.seeds))
    if test == "auto":
        test = auto_test(a.kind, len(common))
    base = {"test": test, "p_value": None, "diff": None, "ci_low": None, "ci_high": None, "n01": None,
            "n10": None, "statistic": None, "df": None, "method": test}

    def missing(why: str) -> dict[str, Any]:
        return {**base, "note": why}

    if a.kind != b.kind:
        return missing(f"the two ran under different protocols ({a.kind} and {b.kind}): no paired test")
    if not common:
        return missing("no seed finished for both models")
    if test == "mcnemar":
        aa, bb = a.answers(common[0]), b.answers(common[0])
        if aa is None or bb is None:
            return missing(NO_PREDICTIONS)
        shared, ia, ib = np.intersect1d(aa[0], bb[0], return_indices=True)
        if len(shared) == 0:
            return missing("the two models answered no common test sample")
        res = stats.mcnemar_exact(aa[1][ia], bb[1][ib]).to_dict()
        note = res.get("note") or ""
        if len(common) > 1:
            note = (note + "; " if note else "") + f"seed {common[0]} of {len(common)}"
        if a.kind == "5x2cv":
            note = (note + "; " if note else "") + "the pooled answers of the first 2-fold repetition"
        return {**base, **res, "test": test, "note": note, "n": int(len(shared))}
    if test in ("5x2cv-t", "5x2cv-f"):
        if a.kind != "5x2cv":
            return missing(f"the 5x2cv tests need the 5x2cv protocol (these trials ran under {a.kind}); run with "
                           f"--protocol 5x2cv")
        sa, sb = a.scores(), b.scores()
        s = next((s for s in common if all((s, f) in sa and (s, f) in sb for f in range(10))), None)
        if s is None:
            return missing("no seed has all 10 folds of 5x2cv finished for both models")
        diffs = np.array([[sa[(s, 2 * r + h)] - sb[(s, 2 * r + h)] for h in range(2)] for r in range(5)])
        fn = stats.paired_t_5x2cv if test == "5x2cv-t" else stats.combined_f_5x2cv
        res = fn(diffs).to_dict()
        return {**base, **res, "test": test, "n": 10}
    sa, sb = a.scores(), b.scores()
    keys = sorted(set(sa) & set(sb))
    if len(keys) < 2:
        return missing(f"the {test} test needs two or more matched folds or seeds; these models share "
                       f"{len(keys)}")
    xa, xb = [sa[k] for k in keys], [sb[k] for k in keys]
    if test == "naive-t":
        res = stats.naive_paired_t(xa, xb).to_dict()
    else:
        n_tr, n_te = a.sizes()
        res = stats.corrected_paired_t(xa, xb, n_tr, n_te, alpha).to_dict()
    return {**base, **res, "test": test, "n": len(keys)}


def holm(pvals: list[float | None]) -> list[float | None]:
    """Holm-adjusted p-values; None stays None (and is not counted as a comparison)."""
    from ..stats import holm as _holm

    idx = [i for i, p in enumerate(pvals) if p is not None and not math.isnan(p)]
    out: list[float | None] = [None] * len(pvals)
    if idx:
        adj = _holm([pvals[i] for i in idx])
        for i, p in zip(idx, adj):
            out[i] = float(p)
    return out


# --- the leaderboard: intervals and the group of winners ----------------------------------------------
def annotate(rows: list[dict[str, Any]], trials: list[dict[str, Any]], alpha: float = 0.05) -> None:
    """Add ``acc_low``, ``acc_high``, ``interval``, ``tied_with_best`` and ``p_vs_best`` (Holm-adjusted)
    to the classification rows of a leaderboard, in place. Should a dataset's statistics fail, its rows
    get ``stats_error`` instead: the leaderboard of a finished run is still written."""
    for dataset, by_label in groups(trials).items():
        rows_here = [r for r in rows if r["dataset"] == dataset and r["model"] in by_label]
        try:
            _annotate(rows_here, by_label, alpha)
        except Exception as exc:  # noqa: BLE001 - a statistic that fails must not lose the leaderboard
            for r in rows_here:
                for k in ("acc_low", "acc_high", "interval", "tied_with_best", "p_vs_best", "best_test"):
                    r.pop(k, None)
                r["stats_error"] = f"{type(exc).__name__}: {exc}"


def _annotate(rows_here: list[dict[str, Any]], by_label: dict[str, Group], alpha: float) -> None:
    for r in rows_here:
        r.update({k: v for k, v in interval(by_label[r["model"]], alpha).items() if k != "k" and k != "n"})
    ranked = sorted((r for r in rows_here if r.get("accuracy") is not None), key=lambda r: -r["accuracy"])
    if not ranked:
        return
    best = ranked[0]
    tests = [pair_test(by_label[best["model"]], by_label[r["model"]], "auto", alpha) for r in ranked[1:]]
    adj = holm([t["p_value"] for t in tests])
    best.update({"tied_with_best": True, "p_vs_best": None, "best_test": None})
    for r, t, p in zip(ranked[1:], tests, adj):
        r.update({"tied_with_best": None if p is None else bool(p >= alpha), "p_vs_best": p,
                  "best_test": t["test"] if p is not None else None,
                  "untested_why": t.get("note") if p is None else None})


def tied_note(rows: list[dict[str, Any]]) -> str:
    """The leaderboard's header line: which method made the intervals and the ties."""
    methods = {r.get("interval") for r in rows if r.get("interval")}
    tests = {r.get("best_test") for r in rows if r.get("best_test")}
    failed = sorted({f"{r['dataset']} ({r['stats_error']})" for r in rows if r.get("stats_error")})
    if not methods:
        return "no intervals: the statistics failed on " + "; ".join(failed) if failed else ""
    names = {"wilson": "Wilson interval on k right of n test samples",
             "corrected-t": "Nadeau-Bengio corrected resampled t interval over folds/seeds"}
    tnames = {"mcnemar": "exact McNemar", "corrected-t": "corrected resampled paired t", "5x2cv-t": "5x2cv paired t"}
    text = "accuracy [95% interval]: " + "; ".join(names.get(m, m) for m in sorted(methods))
    if tests:
        text += (". * = tied with the best (not significantly worse at alpha 0.05; "
                 + ", ".join(tnames.get(t, t) for t in sorted(tests)) + ", Holm-corrected)")
    why = {r.get("untested_why") for r in rows if r.get("interval") and r.get("tied_with_best") is None}
    if why:
        text += ". ? = could not be tested against the best" + (
            ": no per-sample predictions stored (a run made before classbench kept them)" if why == {NO_PREDICTIONS}
            else " (`classbench compare` says why)")
    if failed:
        text += ". No intervals on " + "; ".join(failed)
    return text
