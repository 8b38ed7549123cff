"""The regression task: basis-function ridge (both families), its metrics, leaderboard and store schema."""

import sqlite3

import numpy as np
import pytest

import classbench as cb
from classbench.bench.store import SCHEMA_VERSION, Store
from classbench.cli import main
from classbench.errors import UserError


@pytest.fixture(scope="module")
def sine():
    return cb.load_dataset("noisy-sine")


def test_textbook_picture_on_noisy_sine(sine):
    m = cb.create_model("scratch-ridge-regression", basis="polynomial", alpha=1e-8).fit(sine.X_train, sine.y_train)
    curve = m.cv_curve_
    train = [r["train_rmse"] for r in curve]
    val = [r["val_rmse"] for r in curve]
    # nested least-squares bases: training error never rises with M
    assert all(b <= a + 1e-6 for a, b in zip(train, train[1:])), train
    best = int(np.argmin(val))
    assert m.degree_ == curve[best]["degree"]
    assert 0 < best < len(val) - 1, "the minimum lies inside the U, not at an end"
    assert val[0] > val[best] and val[-1] > 5 * val[best], "validation error is U-shaped"
    assert 2 <= m.degree_ <= 8


@pytest.mark.parametrize("basis,degree", [("identity", None), ("polynomial", 3), ("gaussian", 6)])
def test_scratch_matches_sklearn_family(basis, degree):
    d = cb.load_dataset("diabetes")
    kw = {"basis": basis, "degree": degree, "alpha": 0.5}
    a = cb.create_model("ridge-regression", **kw).fit(d.X_train, d.y_train).predict(d.X_test)
    b = cb.create_model("scratch-ridge-regression", **kw).fit(d.X_train, d.y_train).predict(d.X_test)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _standardise(X_train, X):
    """(X - training mean) / training std, std 0 -> 1: what both families do before the basis."""
    sd = X_train.std(0)
    return (X - X_train.mean(0)) / np.where(sd > 0, sd, 1.0)


@pytest.mark.parametrize("name", ["ridge-regression", "scratch-ridge-regression"])
def test_polynomial_basis_against_sklearn_polynomial_features(name, sine):
    """1-D: phi_j(x) = z^j, j = 1..M, z standardised, ridge with an unpenalised bias, built from scikit-learn's
    PolynomialFeatures and Ridge (none of classbench's basis code); 2-D: powers per feature, no cross terms."""
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import PolynomialFeatures

    X, y, Xt = (np.asarray(a, dtype=np.float64) for a in (sine.X_train, sine.y_train, sine.X_test))
    m = cb.create_model(name, basis="polynomial", degree=5, alpha=1e-3).fit(X, y)
    poly = PolynomialFeatures(5, include_bias=False)
    ref = Ridge(alpha=1e-3).fit(poly.fit_transform(_standardise(X, X)), y)
    np.testing.assert_allclose(m.predict(Xt), ref.predict(poly.transform(_standardise(X, Xt))), rtol=1e-6, atol=1e-8)

    rng = np.random.default_rng(0)
    X2 = rng.normal(size=(60, 2)) * [1.0, 10.0] + [0.0, 5.0]
    y2 = X2[:, 0] ** 3 - 0.02 * X2[:, 1] ** 2 + rng.normal(0, 0.1, 60)
    m2 = cb.create_model(name, basis="polynomial", degree=3, alpha=0.1).fit(X2, y2)
    Z = _standardise(X2, X2)
    per_feature = np.column_stack([Z[:, k] ** j for j in (1, 2, 3) for k in (0, 1)])
    np.testing.assert_allclose(m2.predict(X2), Ridge(alpha=0.1).fit(per_feature, y2).predict(per_feature),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["ridge-regression", "scratch-ridge-regression"])
def test_gaussian_basis_against_an_rbf_kernel(name, sine):
    """1-D: M centres at the quantiles of the standardised x, width s = width x the mean distance from a
    centre to its nearest neighbour; phi_j = exp(-(z - mu_j)^2 / (2 s^2)) from scikit-learn's rbf_kernel."""
    from sklearn.linear_model import Ridge
    from sklearn.metrics.pairwise import rbf_kernel

    X, y, Xt = (np.asarray(a, dtype=np.float64) for a in (sine.X_train, sine.y_train, sine.X_test))
    M, width, alpha = 7, 1.5, 1e-3
    m = cb.create_model(name, basis="gaussian", degree=M, width=width, alpha=alpha).fit(X, y)
    z = _standardise(X, X)[:, 0]
    centres = np.quantile(z, np.linspace(0, 1, M))
    gaps = np.diff(centres)
    nearest = np.minimum(np.r_[np.inf, gaps], np.r_[gaps, np.inf])
    s = width * nearest.mean()

    def phi(A):
        return rbf_kernel(_standardise(X, A), centres[:, None], gamma=1 / (2 * s * s))
    ref = Ridge(alpha=alpha).fit(phi(X), y)
    np.testing.assert_allclose(m.predict(Xt), ref.predict(phi(Xt)), rtol=1e-6, atol=1e-8)


def test_alpha_by_cv_and_closed_form_against_sklearn_ridge():
    from sklearn.linear_model import Ridge

    d = cb.load_dataset("diabetes")
    m = cb.create_model("scratch-ridge-regression").fit(d.X_train, d.y_train)
    assert m.alpha_ in m.selected_.values()
    Z = (d.X_train - d.X_train.mean(0)) / d.X_train.std(0)
    ref = Ridge(alpha=m.alpha_).fit(Z, d.y_train)
    Zt = (d.X_test - d.X_train.mean(0)) / d.X_train.std(0)
    np.testing.assert_allclose(m.predict(d.X_test), ref.predict(Zt), rtol=1e-4)


def test_run_sine_suite_leaderboard_and_report(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", "sine", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "rmse" in text and "r2" in text and "accuracy" not in text
    db = sqlite3.connect(out / "classbench.db")
    rows = db.execute("SELECT task, rmse, mae, r2, extra_json FROM trials").fetchall()
    assert all(r[0] == "regression" and r[1] > 0 and r[2] > 0 and r[3] is not None for r in rows)
    assert '"curve"' in rows[0][4]
    run = next((out / "runs").iterdir())
    assert "| dataset | model | rmse | mae | r2 |" in (run / "leaderboard.md").read_text()
    html = (run / "report.html").read_text()
    assert "Regression: fitted curves" in html and "R²" in html


def test_task_mismatch_is_a_clear_error(tmp_path, capsys):
    assert main(["run", "--dataset", "digits", "--model", "ridge-regression", "--out", str(tmp_path)]) == 2
    assert "is a regression model, but dataset 'digits' is a classification task" in capsys.readouterr().err


def _v1_database(path):
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE runs (run_id TEXT PRIMARY KEY, created TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
            suite_name TEXT NOT NULL, suite_json TEXT NOT NULL, command TEXT, options_json TEXT, versions_json TEXT);
        CREATE TABLE trials (run_id TEXT NOT NULL, trial_key TEXT NOT NULL, seq INTEGER NOT NULL,
            dataset TEXT NOT NULL, model TEXT NOT NULL, model_label TEXT NOT NULL, family TEXT,
            seed INTEGER NOT NULL, fold INTEGER NOT NULL, n_folds INTEGER NOT NULL, protocol TEXT NOT NULL,
            spec_json TEXT NOT NULL, params_json TEXT, status TEXT NOT NULL, error TEXT, accuracy REAL,
            macro_f1 REAL, train_s REAL, predict_s REAL, samples_per_s REAL, n_params INTEGER, peak_mem_mb REAL,
            n_train INTEGER, n_test INTEGER, history_json TEXT, extra_json TEXT, versions_json TEXT, started TEXT,
            finished TEXT, PRIMARY KEY (run_id, trial_key));
        INSERT INTO runs VALUES ('r1', '2026-01-01', NULL, 'finished', 'quick', '{}', '', '{}', '{}');
        INSERT INTO trials (run_id, trial_key, seq, dataset, model, model_label, seed, fold, n_folds, protocol,
            spec_json, status, accuracy, macro_f1, train_s, predict_s)
            VALUES ('r1', 'k1', 0, 'digits', 'ridge', 'ridge', 0, 0, 1, 'holdout', '{}', 'ok', 0.9, 0.9, 1, 0.1);
        PRAGMA user_version = 1;
    """)
    db.commit()
    db.close()


def test_older_schema_is_migrated_in_place(tmp_path, capsys):
    _v1_database(tmp_path / "classbench.db")
    assert main(["show", "r1", "--out", str(tmp_path)]) == 0
    assert "0.9000" in capsys.readouterr().out
    db = sqlite3.connect(tmp_path / "classbench.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT accuracy, rmse FROM trials").fetchone() == (0.9, None)


def test_newer_schema_is_refused(tmp_path):
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "classbench.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(UserError, match="written by a newer classbench"):
        Store(tmp_path)


def test_csv_regression_target(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, 80)
    path = tmp_path / "houses.csv"
    path.write_text("a,b,c,price\n" + "\n".join(f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{t:.4f}" for r, t in zip(X, y)))
    out = str(tmp_path / "o")
    assert main(["run", "--dataset", f"csv:{path}?target=price&task=regression", "--model",
                 "scratch-ridge-regression", "--out", out, "--no-report", "--quiet"]) == 0
    db = sqlite3.connect(tmp_path / "o" / "classbench.db")
    assert db.execute("SELECT r2 FROM trials").fetchone()[0] > 0.95
    assert main(["run", "--dataset", f"csv:{path}?target=price", "--model", "logreg", "--out", out]) == 2
    assert "looks like a regression target" in capsys.readouterr().err
