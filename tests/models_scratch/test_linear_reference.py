"""Scratch linear models against scikit-learn (the reference) and against naive re-implementations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.covariance import ledoit_wolf_shrinkage as sk_ledoit_wolf_shrinkage
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.svm import LinearSVC

from classbench.models.scratch.iterative import ScratchLinearSVM, ScratchLogReg, ScratchPerceptron
from classbench.models.scratch.linear import ScratchLDA, ScratchRidge, ledoit_wolf_shrinkage


@pytest.mark.parametrize("alpha", [0.0, 1e-3, 1.0, 30.0])
def test_ridge_coefficients_match_ridge_classifier(digits, alpha):
    Xtr, ytr, Xte, _ = digits
    if alpha == 0.0:  # digits has constant pixels: the unpenalised system is singular (least squares)
        Xtr, Xte = Xtr[:, Xtr.std(0) > 0], Xte[:, Xtr.std(0) > 0]
    mine = ScratchRidge(alpha=alpha).fit(Xtr, ytr)
    ref = RidgeClassifier(alpha=alpha, solver="cholesky").fit(Xtr, ytr)
    np.testing.assert_allclose(mine.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(mine.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(mine.decision_function(Xte), ref.decision_function(Xte), rtol=1e-6, atol=1e-8)


def test_ridge_dual_path_when_features_outnumber_samples(digits):
    Xtr, ytr, _, _ = digits
    X, y = Xtr[:40], ytr[:40]  # 40 samples, 64 features: the n x n system is solved
    mine = ScratchRidge(alpha=0.5).fit(X, y)
    ref = RidgeClassifier(alpha=0.5).fit(X, y)
    np.testing.assert_allclose(mine.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(mine.intercept_, ref.intercept_, rtol=1e-6, atol=1e-9)


def test_lda_matches_sklearn_svd_solver(digits, blobs):
    for Xtr, ytr, Xte in (digits[:3], (blobs[0][::2], blobs[1][::2], blobs[0][1::2])):
        mine = ScratchLDA().fit(Xtr, ytr)
        ref = LinearDiscriminantAnalysis().fit(Xtr, ytr)
        np.testing.assert_array_equal(mine.predict(Xte), ref.predict(Xte))
        np.testing.assert_allclose(mine.predict_proba(Xte), ref.predict_proba(Xte), atol=1e-6)
        # the projection spans sklearn's discriminant space: one is a linear map of the other
        Z, Zr = mine.transform(Xte), ref.transform(Xte)
        assert Z.shape == Zr.shape
        Z1 = np.hstack([Z, np.ones((len(Z), 1))])  # sklearn centres on the overall mean first
        R, *_ = np.linalg.lstsq(Z1, Zr, rcond=None)
        assert np.abs(Z1 @ R - Zr).max() < 1e-6 * np.abs(Zr).max()
        # and it whitens the within-class scatter: the class-centred projected training data are isotropic
        Ztr = mine.transform(Xtr)
        resid = Ztr - mine.proj_means_[np.searchsorted(mine.classes_, ytr)]
        cov = resid.T @ resid / len(Ztr)
        np.testing.assert_allclose(cov, np.eye(len(cov)), atol=1e-6)


def test_lda_fixed_shrinkage_agrees_with_sklearn(digits):
    Xtr, ytr, Xte, _ = digits
    for s in (0.05, 0.5):
        mine = ScratchLDA(shrinkage=s).fit(Xtr, ytr)
        ref = LinearDiscriminantAnalysis(solver="eigen", shrinkage=s).fit(Xtr, ytr)
        np.testing.assert_array_equal(mine.predict(Xte), ref.predict(Xte))
        np.testing.assert_allclose(mine.predict_proba(Xte), ref.predict_proba(Xte), atol=1e-6)


def test_ledoit_wolf_matches_sklearn(digits):
    Xtr, ytr, Xte, _ = digits
    Z = np.random.default_rng(0).normal(size=(300, 20)) @ np.random.default_rng(1).normal(size=(20, 20))
    Z -= Z.mean(0)
    assert abs(ledoit_wolf_shrinkage(Z) - sk_ledoit_wolf_shrinkage(Z)) < 1e-12
    mine = ScratchLDA(ledoit_wolf=True).fit(Xtr, ytr)
    assert 0 < mine.shrinkage_ < 1
    ref = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(Xtr, ytr)  # per-class LW, averaged
    assert abs(np.mean(mine.predict(Xte) == digits[3]) - ref.score(Xte, digits[3])) < 0.02


def test_logreg_matches_sklearn_lbfgs(digits):
    Xtr, ytr, Xte, _ = digits
    for C in (0.05, 1.0):
        mine = ScratchLogReg(C=C, tol=1e-10, max_iter=2000).fit(Xtr, ytr)
        ref = LogisticRegression(C=C, tol=1e-10, max_iter=2000).fit(Xtr, ytr)
        np.testing.assert_allclose(mine.predict_proba(Xte), ref.predict_proba(Xte), atol=2e-4)
        np.testing.assert_allclose(mine.coef_, ref.coef_, atol=2e-3 * np.abs(ref.coef_).max())
        assert mine.converged_ and mine.n_iter_ == len(mine.history_)
        losses = [r["loss"] for r in mine.history_]
        assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))  # L-BFGS descends monotonically


def test_logreg_gradient_is_exact(blobs):
    X, y = blobs
    model = ScratchLogReg(C=0.3)
    model._setup_fit(X, y)
    fun = model._objective(X, np.searchsorted(model.classes_, y))
    theta = np.random.default_rng(0).normal(size=3 * 6)
    _, grad, _ = fun(theta)
    eps = 1e-6
    num = [(fun(theta + eps * e)[0] - fun(theta - eps * e)[0]) / (2 * eps) for e in np.eye(len(theta))]
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-8)


def test_linear_svm_matches_liblinear_squared_hinge(digits):
    Xtr, ytr, Xte, _ = digits
    X, y = Xtr[:500], ytr[:500]
    mine = ScratchLinearSVM(C=0.1, tol=1e-9, max_iter=5000).fit(X, y)
    # a large intercept_scaling makes liblinear's penalty on the bias negligible, as here (unpenalised)
    ref = LinearSVC(C=0.1, tol=1e-9, max_iter=100_000, intercept_scaling=1000.0).fit(X, y)
    d_mine, d_ref = mine.decision_function(Xte), ref.decision_function(Xte)
    np.testing.assert_allclose(d_mine, d_ref, atol=5e-3 * np.abs(d_ref).max())
    assert np.mean(mine.predict(Xte) == ref.predict(Xte)) > 0.995


def test_linear_svm_gradient_is_exact(blobs):
    X, y = blobs
    model = ScratchLinearSVM(C=2.0)
    model._setup_fit(X, y)
    fun = model._objective(X, np.searchsorted(model.classes_, y))
    theta = np.random.default_rng(1).normal(scale=0.1, size=3 * 6)
    _, grad, _ = fun(theta)
    eps = 1e-6
    num = [(fun(theta + eps * e)[0] - fun(theta - eps * e)[0]) / (2 * eps) for e in np.eye(len(theta))]
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-8)


def _naive_perceptron(X, y, K, epochs, seed, averaged):
    """The textbook per-sample loop, for checking the blocked implementation exactly."""
    rng = np.random.default_rng(seed)
    Xb = np.hstack([X, np.ones((len(X), 1))])
    W, total, steps = np.zeros((K, Xb.shape[1])), np.zeros((K, Xb.shape[1])), 0
    for _ in range(epochs):
        mistakes = 0
        for t in rng.permutation(len(X)):
            p = int(np.argmax(W @ Xb[t]))
            if p != y[t]:
                W[y[t]] += Xb[t]
                W[p] -= Xb[t]
                mistakes += 1
            total += W
            steps += 1
        if mistakes == 0:
            break
    return total / steps if averaged else W


@pytest.mark.parametrize("averaged", [False, True])
@pytest.mark.parametrize("block_size", [1, 7, 64, 5000])
def test_perceptron_equals_the_sequential_rule(digits, averaged, block_size):
    Xtr, ytr, _, _ = digits
    X, y = Xtr[:300], ytr[:300]
    mine = ScratchPerceptron(epochs=3, averaged=averaged, block_size=block_size, random_state=5).fit(X, y)
    W = _naive_perceptron(X, y, 10, 3, 5, averaged)
    np.testing.assert_allclose(mine.coef_, W[:, :-1], atol=1e-9)
    np.testing.assert_allclose(mine.intercept_, W[:, -1], atol=1e-9)


def test_perceptron_converges_on_separable_data(blobs):
    X, y = blobs
    model = ScratchPerceptron(epochs=100, random_state=0).fit(X, y)
    assert model.history_[-1]["mistakes"] == 0 and len(model.history_) < 100
    assert np.mean(model.predict(X) == y) == 1.0
    other = ScratchPerceptron(epochs=2, random_state=1).fit(X, y)
    assert not np.array_equal(other.coef_, ScratchPerceptron(epochs=2, random_state=0).fit(X, y).coef_)
