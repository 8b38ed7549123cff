"""SMO kernel SVM against libsvm (scikit-learn's SVC), kernels against sklearn's pairwise kernels, and KFD."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.svm import SVC

from classbench.models.scratch.kernel import ScratchKFD, kernel_diag, kernel_matrix
from classbench.models.scratch.linear import ScratchLDA
from classbench.models.scratch.svm import ScratchKernelSVM

#: (kernel, gamma, degree, coef0) per kernel; the sigmoid uses a small gamma, where tanh is near-linear
KERNELS = [("linear", 1.0, 3, 0.0), ("poly", 0.05, 3, 1.0), ("rbf", 0.1, 3, 0.0), ("sigmoid", 0.002, 3, 0.0)]


@pytest.fixture(scope="module")
def binary(digits):
    """Digits 3 vs 8 (hard to separate), float64, 240 train / 100 test."""
    Xtr, ytr, Xte, yte = digits
    tr, te = np.isin(ytr, (3, 8)), np.isin(yte, (3, 8))
    return Xtr[tr][:240] * 4, ytr[tr][:240], Xte[te][:100] * 4, yte[te][:100]


@pytest.mark.parametrize("kernel,gamma,degree,coef0", KERNELS)
def test_kernels_match_sklearn(kernel, gamma, degree, coef0, digits):
    A, B = digits[0][:30], digits[2][:20]
    kw = {"gamma": gamma, "degree": degree, "coef0": coef0}
    accepted = {"linear": (), "poly": ("gamma", "degree", "coef0"), "rbf": ("gamma",), "sigmoid": ("gamma", "coef0")}
    ref = pairwise_kernels(A, B, metric=kernel, **{k: kw[k] for k in accepted[kernel]})
    np.testing.assert_allclose(kernel_matrix(A, B, kernel, **kw), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kernel_matrix(A, A, kernel, **kw), kernel_matrix(A, A.copy(), kernel, **kw),
                               rtol=1e-10, atol=1e-12)  # the symmetric (syrk) path
    np.testing.assert_allclose(kernel_diag(A, kernel, **kw), np.diag(kernel_matrix(A, A, kernel, **kw)),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kernel,gamma,degree,coef0", KERNELS)
@pytest.mark.parametrize("C", [0.5, 10.0])
def test_smo_matches_libsvm_on_a_binary_problem(binary, kernel, gamma, degree, coef0, C):
    Xtr, ytr, Xte, _ = binary
    kw = {"kernel": kernel, "gamma": gamma, "degree": degree, "coef0": coef0, "C": C}
    mine = ScratchKernelSVM(tol=1e-7, **kw).fit(Xtr, ytr)
    ref = SVC(tol=1e-7, shrinking=False, **kw).fit(Xtr, ytr)
    # dual solution: alpha_i * y_i per training sample (sklearn's sign: positive for classes_[1])
    dual_mine, dual_ref = np.zeros(len(Xtr)), np.zeros(len(Xtr))
    dual_mine[mine.support_] = -mine.pair_coef_[:, 0]
    dual_ref[ref.support_] = ref.dual_coef_[0]
    scale = max(np.abs(dual_ref).max(), 1.0)
    np.testing.assert_allclose(dual_mine, dual_ref, atol=1e-3 * scale)
    np.testing.assert_allclose(mine.pair_rho_[0], ref.intercept_[0], atol=1e-3 * scale)  # sklearn flips both
    d_mine, d_ref = mine.decision_function(Xte), ref.decision_function(Xte)
    np.testing.assert_allclose(d_mine, d_ref, atol=1e-3 * max(np.abs(d_ref).max(), 1.0))
    np.testing.assert_array_equal(mine.predict(Xte), ref.predict(Xte))
    assert set(mine.support_) == set(ref.support_) or np.abs(dual_mine - dual_ref).max() < 1e-3


def test_smo_multiclass_matches_libsvm(digits):
    Xtr, ytr, Xte, _ = digits
    X, y = Xtr[:600], ytr[:600]
    mine = ScratchKernelSVM(C=3.0, gamma=0.05, decision_function_shape="ovo").fit(X, y)
    ref = SVC(C=3.0, gamma=0.05, decision_function_shape="ovo").fit(X, y)
    assert len(mine.history_) == 45 and len(mine.pairs_) == 45
    np.testing.assert_allclose(mine.decision_function(Xte), ref.decision_function(Xte), atol=5e-3)
    assert np.mean(mine.predict(Xte) == ref.predict(Xte)) > 0.995
    mine.set_params(decision_function_shape="ovr")
    ref.set_params(decision_function_shape="ovr")
    close = np.abs(mine.decision_function(Xte) - ref.decision_function(Xte)).max(axis=1) < 5e-3
    assert close.mean() > 0.99  # the rest: a pair decision within tol of 0 votes the other way
    assert abs(len(mine.support_) - len(ref.support_)) <= 3


def test_all_three_kernel_storages_give_one_solution(binary):
    """Whole Gram matrix, per-pair block, LRU row cache (a tiny cache_size forces each)."""
    Xtr, ytr, Xte, _ = binary
    X = np.vstack([Xtr, Xtr[:160] + 0.01])  # 400 samples
    y = np.concatenate([ytr, ytr[:160]])
    kw = {"C": 2.0, "gamma": 0.1, "tol": 1e-6}
    n = len(X)
    whole = ScratchKernelSVM(cache_size=1.1 * n * n * 8 / 2**20, **kw).fit(X, y)
    block = ScratchKernelSVM(cache_size=0.99 * n * n * 8 / 2**20, **kw).fit(X, y)
    rows = ScratchKernelSVM(cache_size=1.0, **kw).fit(X, y)  # 1 MB < 400^2 doubles: ~330 cached rows
    for other in (block, rows):
        np.testing.assert_allclose(other.decision_function(Xte), whole.decision_function(Xte), atol=1e-6)


def test_smo_history_and_max_iter(binary):
    Xtr, ytr, _, _ = binary
    model = ScratchKernelSVM(C=1.0, gamma=0.1).fit(Xtr, ytr)
    (row,) = model.history_
    assert row["pair"] == (3, 8) and row["iterations"] > 0 and row["n_support"] == len(model.support_)
    assert row["loss"] < 0 and 0.9 < row["accuracy"] <= 1.0
    with pytest.warns(RuntimeWarning, match="max_iter"):
        ScratchKernelSVM(C=1.0, gamma=0.1, max_iter=3).fit(Xtr, ytr)


def test_kfd_exact_and_with_landmarks(digits):
    Xtr, ytr, Xte, yte = digits
    X, y = Xtr[:500], ytr[:500]
    exact = ScratchKFD(gamma=0.05).fit(X, y)
    assert len(exact.landmarks_) == 500 and exact.transform(Xte).shape == (len(Xte), 9)
    assert np.mean(exact.predict(Xte) == yte) > 0.93  # LDA: 0.90
    sub = ScratchKFD(gamma=0.05, n_landmarks=150, random_state=1).fit(X, y)
    assert len(sub.landmarks_) == 150 and np.mean(sub.predict(Xte) == yte) > 0.88
    other = ScratchKFD(gamma=0.05, n_landmarks=150, random_state=2).fit(X, y)
    assert not np.array_equal(other.landmarks_, sub.landmarks_)


def test_linear_kernel_kfd_is_lda(blobs):
    """With a linear kernel, no regularisation and every sample a landmark, KFD is LDA."""
    X, y = blobs
    kfd = ScratchKFD(kernel="linear", reg=0.0).fit(X[::2], y[::2])
    lda = ScratchLDA().fit(X[::2], y[::2])
    np.testing.assert_allclose(kfd.predict_proba(X[1::2]), lda.predict_proba(X[1::2]), atol=1e-6)


def test_max_train_samples_subsets_stratified(digits):
    Xtr, ytr, Xte, yte = digits
    model = ScratchKernelSVM(C=5.0, max_train_samples=300, random_state=0).fit(Xtr, ytr)
    assert len(model.train_indices_) == 300 and set(model.support_) <= set(model.train_indices_)
    assert np.bincount(ytr[model.train_indices_]).min() >= 25  # about 30 per class
    np.testing.assert_array_equal(model.support_vectors_, Xtr[model.support_])
    assert np.mean(model.predict(Xte) == yte) > 0.9
