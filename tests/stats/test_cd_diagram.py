import warnings

import numpy as np
import pandas as pd
import pytest

from classbench.errors import UserError
from classbench.report.cd_diagram import cd_cliques, plot_cd
from classbench.stats import mean_ranks, nemenyi_cd


def test_cd_cliques_hand_example():
    ranks = {"a": 1.0, "b": 1.5, "c": 2.4, "d": 3.0, "e": 4.5}
    # a-b 0.5 < 1; a-c 1.4 >= 1. b-c 0.9; b-d 1.5. c-d 0.6; c-e 2.1. d-e 1.5: e stands alone
    assert cd_cliques(ranks, 1.0) == [["a", "b"], ["b", "c"], ["c", "d"]]
    assert cd_cliques(ranks, 10.0) == [["a", "b", "c", "d", "e"]]
    assert cd_cliques(ranks, 0.1) == []
    # a clique inside an earlier one is not repeated
    assert cd_cliques({"a": 1.0, "b": 1.2, "c": 1.3, "d": 3.0}, 0.5) == [["a", "b", "c"]]


@pytest.mark.parametrize("seed, n, k, spread", [(0, 20, 6, 0.06), (1, 30, 8, 0.1), (2, 10, 5, 0.02),
                                                (3, 50, 7, 0.05)])
def test_cd_cliques_match_autorank(seed, n, k, spread):
    from autorank import autorank
    from autorank._util import get_sorted_rank_groups

    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.normal(0.8, 0.05, (n, k)) + np.linspace(0, spread, k), columns=[f"m{i}" for i in range(k)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = autorank(x, alpha=0.05, verbose=False, force_mode="nonparametric", order="descending")
    _, names, groups = get_sorted_rank_groups(res, reverse=True)  # best first
    theirs = [set(names[i:j + 1]) for i, j in groups]
    ranks = dict(zip(x.columns, mean_ranks(x.values)))
    ours = [set(c) for c in cd_cliques(ranks, nemenyi_cd(k, n))]
    assert ours == theirs
    assert len(ours) >= 1


def test_plot_cd_draws_the_cliques():
    ranks = {"a": 1.0, "b": 1.5, "c": 2.4, "d": 3.0, "e": 4.5}
    fig = plot_cd(ranks, 1.0, title="five models")
    ax = fig.axes[0]
    thick = sorted((min(ln.get_xdata()), max(ln.get_xdata())) for ln in ax.lines if ln.get_linewidth() >= 3)
    want = [(1.0, 1.5), (1.5, 2.4), (2.4, 3.0)]  # each bar overhangs its end models by 0.03
    assert np.allclose(thick, [(lo - 0.03, hi + 0.03) for lo, hi in want])
    texts = [t.get_text() for t in ax.texts]
    for name, r in ranks.items():
        assert f"{name} ({r:.2f})" in texts
    assert "CD = 1" in texts
    cd_bar = [ln for ln in ax.lines if list(ln.get_ydata()) == [-0.55, -0.55]]
    assert len(cd_bar) == 1 and np.ptp(cd_bar[0].get_xdata()) == pytest.approx(1.0)
    from classbench.report.plots import to_png

    assert to_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_cd_into_given_axes_and_bad_input():
    from classbench.report.plots import new_figure

    fig = new_figure(6, 3)
    ax = fig.add_subplot(1, 1, 1)
    assert plot_cd({"x": 1.2, "y": 1.8}, 1.5, ax=ax) is fig
    assert sum(ln.get_linewidth() >= 3 for ln in ax.lines) == 1
    with pytest.raises(UserError):
        plot_cd({"x": 1.0}, 1.0)
    with pytest.raises(UserError):
        plot_cd({"x": 1.0, "y": 2.0}, float("nan"))
