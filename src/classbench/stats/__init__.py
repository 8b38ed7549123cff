"""Statistics for classifier comparisons: intervals, paired tests, and ranks over many datasets.

Pure functions over per-sample outcomes and per-fold scores; the leaderboard, the report and
``classbench compare`` only call them. Each is checked in tests/stats against scipy, statsmodels,
scikit-posthocs, autorank, baycomp or a published worked example. docs/statistics.md says which test is
used when, and why.

Importing this package loads numpy only; scipy (and baycomp) load inside the functions.

    from classbench.stats import proportion_ci, mcnemar_exact, friedman, nemenyi_cd
    proportion_ci(9944, 10000)                    # (0.9927, 0.9957): Wilson 95% interval
    mcnemar_exact(right_a, right_b).p_value       # same test samples, two models
    nemenyi_cd(k=4, n=14)                         # 1.2536: Demšar's (2006) example
"""

from __future__ import annotations

from ._types import FriedmanResult, PairTest
from .analyse import analyse_scores, cd_cliques, read_scores_csv
from .bayes import baycomp_available, bayesian_signed_rank
from .intervals import PROPORTION_METHODS, corrected_t_ci, proportion_ci
from .pairwise import (
    combined_f_5x2cv,
    corrected_paired_t,
    holm,
    mcnemar_exact,
    naive_paired_t,
    paired_t_5x2cv,
)
from .ranks import friedman, holm_vs_control, mean_ranks, nemenyi_cd, nemenyi_pvalues, nemenyi_q, rank_matrix

__all__ = [
    "PairTest", "FriedmanResult", "PROPORTION_METHODS",
    "proportion_ci", "corrected_t_ci",
    "mcnemar_exact", "corrected_paired_t", "naive_paired_t", "paired_t_5x2cv", "combined_f_5x2cv", "holm",
    "mean_ranks", "rank_matrix", "friedman", "nemenyi_q", "nemenyi_cd", "nemenyi_pvalues", "holm_vs_control",
    "bayesian_signed_rank", "baycomp_available",
    "analyse_scores", "read_scores_csv", "cd_cliques",
]
