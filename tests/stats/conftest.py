import numpy as np
import pytest

# Demšar (2006), Table 6: AUC of C4.5 variants on 14 UCI data sets. The table prints AUCs rounded to 3
# decimals; on the 13th data set C4.5+cf and C4.5+m+cf both print 0.975 but the paper ranks them 2 and 3
# (unrounded values differ), so that cell is nudged to 0.97501 to reproduce the paper's ranks.
DEMSAR_NAMES = ["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"]
DEMSAR_AUC = np.array([
    [0.763, 0.768, 0.771, 0.798], [0.599, 0.591, 0.590, 0.569], [0.954, 0.971, 0.968, 0.967],
    [0.628, 0.661, 0.654, 0.657], [0.882, 0.888, 0.886, 0.898], [0.936, 0.931, 0.916, 0.931],
    [0.661, 0.668, 0.609, 0.685], [0.583, 0.583, 0.563, 0.625], [0.775, 0.838, 0.866, 0.875],
    [1.000, 1.000, 1.000, 1.000], [0.940, 0.962, 0.965, 0.962], [0.619, 0.666, 0.614, 0.669],
    [0.972, 0.981, 0.97501, 0.975], [0.957, 0.978, 0.946, 0.970],
])
DEMSAR_DATASETS = ["adult (sample)", "breast cancer", "breast cancer wisconsin", "cmc", "ionosphere", "iris",
                   "liver disorders", "lung cancer", "lymphography", "mushroom", "primary tumor", "rheum",
                   "voting", "wine"]


@pytest.fixture
def demsar():
    return DEMSAR_AUC.copy()


def random_scores(seed: int, n: int, k: int, ties: bool = False) -> np.ndarray:
    """Seeded N x k score table with real differences between models (and many ties when asked)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.8, 0.05, (n, k)) + np.linspace(0, 0.04, k)
    return np.round(x, 2) if ties else x
