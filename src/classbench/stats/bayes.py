"""Bayesian signed-rank test over datasets (Benavoli et al. 2014, 2017), through baycomp when installed."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UserError


def baycomp_available() -> bool:
    """True when the optional ``baycomp`` package imports (``pip install 'classbench[stats]'``)."""
    try:
        import baycomp  # noqa: F401
    except ImportError:
        return False
    return True


def bayesian_signed_rank(a: Any, b: Any, rope: float = 0.01, seed: int = 0,
                         nsamples: int = 50000) -> tuple[float, float, float] | None:
    """Posterior probabilities that ``a`` is better, that the two are practically equivalent, that ``b`` is.

    The Bayesian signed-rank test (Benavoli et al. 2017) on one score per dataset (higher is better);
    "equivalent" means the difference lies within the region of practical equivalence ``[-rope, rope]``
    (e.g. 0.01 = one accuracy point). Computed by ``baycomp.SignedRankTest`` with a fixed ``seed``.

    Parameters
    ----------
    a, b : array of shape (N,)
        Scores of the two models on the same N datasets.

    Returns
    -------
    ``(p_a_better, p_rope, p_b_better)``, summing to 1; ``None`` when baycomp is not installed.
    """
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    if x.shape != y.shape or x.size < 2:
        raise UserError(f"The Bayesian signed-rank test needs both models' scores on the same 2 or more "
                        f"datasets; got {x.size} and {y.size} scores.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise UserError("The Bayesian signed-rank test needs finite scores; found NaN or infinity.")
    if rope < 0:
        raise UserError(f"rope (the region of practical equivalence) must be >= 0, got {rope!r}.")
    try:
        from baycomp import SignedRankTest
    except ImportError:
        return None
    # baycomp works on y - x: its "left" is x better by more than rope, its "right" y better.
    probs = SignedRankTest.probs(x, y, rope=rope, nsamples=nsamples, random_state=seed)
    if rope > 0:
        p_left, p_rope, p_right = (float(v) for v in probs)
    else:
        p_left, p_right = (float(v) for v in probs)
        p_rope = 0.0
    return p_left, p_rope, p_right
