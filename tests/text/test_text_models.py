"""Contract tests of every text model on a tiny synthetic sentiment task (raw texts in)."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone

from classbench.errors import UserError
from classbench.models import MODELS, create_model

from .conftest import make_texts

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

SMALL = {"maxlen": 32, "embedding_dim": 8, "batch_size": 32, "max_words": 60}
FAST: dict[str, dict] = {
    "lstm": {**SMALL, "units": 8, "epochs": 4, "lr": 1e-2},
    "gru": {**SMALL, "units": 8, "epochs": 4, "lr": 1e-2},
    "embedding-bag": {**SMALL, "epochs": 10, "lr": 1e-2},
    "text-cnn": {**SMALL, "filters": 8, "epochs": 4, "lr": 1e-2, "dropout": 0.2},
    "tfidf-logreg": {},
    "nbsvm": {},
    "nbsvm3": {},
}
def _ours(entry) -> bool:
    target = entry.target if isinstance(entry.target, str) else f"{entry.target.__module__}:"
    return target.startswith("classbench.models.text.")


TEXT_MODELS = [e.name for e in MODELS if _ours(e)]


@pytest.fixture(scope="module")
def task():
    X, y = make_texts(240, seed=1)
    Xt, yt = make_texts(100, seed=2)
    return X, y, Xt, yt


@pytest.fixture(scope="module")
def fitted(task):
    """One fitted model per name, trained with one thread like the tests (results depend on the thread count)."""
    X, y, _, _ = task
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLASSBENCH_THREADS", "1")
        return {name: create_model(name, **FAST[name], random_state=0).fit(X, y) for name in FAST}


def test_all_text_models_are_covered():
    assert sorted(TEXT_MODELS) == sorted(FAST)
    for name in TEXT_MODELS:
        assert MODELS.entry(name).meta["modalities"] == ("text",)


def test_listing_imports_neither_torch_nor_sklearn():
    code = ("import sys, classbench.models as m; import classbench.models.text; "
            "assert 'lstm' in m.MODELS and 'nbsvm' in m.MODELS; "
            "print(sorted(k for k in ('torch', 'sklearn') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", list(FAST))
def test_every_parameter_is_declared(name):
    model = create_model(name)
    assert set(model.get_params()) == set(model.param_space)
    with pytest.raises(UserError, match="maxlen|max_words|ngram_max"):
        create_model(name, **({"maxlen": 1} if "maxlen" in model.param_space else {"ngram_max": 4}))


@pytest.mark.parametrize("name", list(FAST))
def test_fit_predict_learns(name, fitted, task):
    _, _, Xt, yt = task
    model = fitted[name]
    pred = model.predict(Xt)
    assert pred.shape == (len(Xt),) and set(pred) <= {"neg", "pos"}
    assert list(model.classes_) == ["neg", "pos"]
    assert np.mean(pred == yt) >= 0.85, f"{name} accuracy {np.mean(pred == yt):.2f} on an easy task"
    assert model.n_params_ > 0 and model.history_


@pytest.mark.parametrize("name", list(FAST))
def test_predict_proba_and_determinism(name, fitted, task):
    X, y, Xt, _ = task
    model = fitted[name]
    again = create_model(name, **FAST[name], random_state=0).fit(X, y)
    if hasattr(model, "predict_proba"):
        p = model.predict_proba(Xt)
        assert p.shape == (len(Xt), 2) and np.all(p >= 0)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
        np.testing.assert_array_equal(p, again.predict_proba(Xt))
        np.testing.assert_array_equal(model.classes_[p.argmax(1)], model.predict(Xt))
    else:
        assert name.startswith("nbsvm") and model.loss == "svm"
    np.testing.assert_array_equal(model.predict(Xt), again.predict(Xt))


@pytest.mark.parametrize("name", list(FAST))
def test_clone_pickle_and_bad_input(name, fitted, task):
    _, _, Xt, _ = task
    model = fitted[name]
    c = clone(model)
    assert c.get_params() == model.get_params() and not hasattr(c, "classes_")
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(Xt[:20]), model.predict(Xt[:20]))
    with pytest.raises(UserError, match="text"):
        create_model(name, **FAST[name]).fit(np.zeros((10, 4)), np.arange(10) % 2)
    with pytest.raises(UserError):
        model.predict(np.array([1.0, 2.0]))


@pytest.mark.parametrize("name", ["lstm", "gru", "embedding-bag", "text-cnn"])
def test_torch_history(name, fitted):
    model = fitted[name]
    assert len(model.history_) == FAST[name]["epochs"]
    row = model.history_[-1]
    for key in ("loss", "accuracy", "seconds"):
        assert isinstance(row[key], float)
    if model.validation_fraction > 0:  # the RNNs hold 20% out, as the notebook
        assert isinstance(row["val_loss"], float) and 0 <= row["val_accuracy"] <= 1


def test_vocabulary_from_fitted_texts_only():
    X = np.array([f"good uniq{i}" if i % 2 else f"bad uniq{i}" for i in range(40)], dtype=object)
    y = np.arange(40) % 2
    model = create_model("lstm", **{**FAST["lstm"], "epochs": 1}, validation_fraction=0.25, random_state=0)
    model.fit(X, y)
    seen = [w for w in model.vectorizer_.index if w.startswith("uniq")]
    assert len(seen) == 30  # the 10 held-out texts' words are not in the vocabulary
    model = create_model("gru", **{**FAST["gru"], "epochs": 1}, validation_fraction=0.0, random_state=0)
    model.fit(X, y, X_val=np.array(["good zyzzyva"], dtype=object), y_val=np.array([1]))
    assert "zyzzyva" not in model.vectorizer_.index and model.history_[0]["val_accuracy"] is not None


@pytest.mark.parametrize("name", ["lstm", "gru", "text-cnn", "embedding-bag"])
def test_padding_does_not_change_outputs(name, fitted, task):
    """A review's logits are the same whatever its padding and whatever else shares its batch."""
    model = fitted[name]
    module = model.module_.eval()
    ids = torch.from_numpy(model._as_input(task[2][:6], "X"))
    short = ids[1:2]
    n = int((short != 0).sum())
    with torch.no_grad():
        alone = module(short[:, : max(n, 1)])  # the real tokens only, no padding at all
        batched = module(ids)[1:2]
        longer = module(torch.nn.functional.pad(short, (0, 40)))  # 40 more padding ids
    assert short.shape[1] > n and (short[:, n:] == 0).all()  # the review was padded, after its tokens
    torch.testing.assert_close(alone, batched, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(alone, longer, atol=1e-5, rtol=1e-5)


def test_rnn_options_and_bigrams(task):
    X, y, Xt, _ = task
    one_epoch = {**FAST["gru"], "epochs": 1}
    base = create_model("gru", **one_epoch, random_state=0).fit(X, y)
    bi = create_model("gru", **one_epoch, bidirectional=True, num_layers=2, random_state=0).fit(X, y)
    assert bi.n_params_ > 2 * base.n_params_ and bi.module_.bidirectional and len(bi.module_.bwd) == 2
    assert bi.predict_proba(Xt).shape == (len(Xt), 2)
    bag = create_model("embedding-bag", **FAST["embedding-bag"], ngrams=2, random_state=0).fit(X, y)
    vec = bag.vectorizer_
    assert vec.width == 2 * SMALL["maxlen"] and vec.vocab_size > vec.max_words
    assert bag._as_input(Xt[:3], "X").shape == (3, 2 * SMALL["maxlen"])
    assert bag.module_.emb.sparse  # adam: lazy (sparse) updates of the big table
    for opt in ("sgd", "rmsprop"):
        other = create_model("embedding-bag", **{**FAST["embedding-bag"], "epochs": 1}, optimizer=opt).fit(X, y)
        assert other.module_.emb.sparse == (opt == "sgd") and other.predict(Xt).shape == (len(Xt),)
    with pytest.raises(UserError, match="ngrams"):
        create_model("embedding-bag", ngrams=3)


def test_nbsvm3_is_the_interpolated_svm_on_trigrams():
    from sklearn.svm import LinearSVC

    X, y = make_texts(120, seed=4)
    model = create_model("nbsvm3").fit(X, y)
    assert model.counter_.ngram_max == 3 and any(k >= (len(model.counter_.index) + 1) ** 2 for k in model.counter_.keys)
    counts = model.counter_.transform(X)  # binary 1..3-grams; r from the smoothed per-class counts
    p = 1.0 + np.asarray(counts[y == "pos"].sum(0)).ravel()
    q = 1.0 + np.asarray(counts[y == "neg"].sum(0)).ravel()
    np.testing.assert_allclose(model.r_[0], np.log(p / p.sum()) - np.log(q / q.sum()), rtol=1e-5)
    svm = LinearSVC(C=0.03, random_state=0).fit(counts.multiply(model.r_[0][None, :]).tocsr(), y == "pos")
    w = svm.coef_.ravel()
    np.testing.assert_allclose(model.coef_[0], 0.9 * np.abs(w).mean() + 0.1 * w, rtol=1e-5)
    np.testing.assert_allclose(model.intercept_[0], 0.1 * svm.intercept_[0], rtol=1e-5)


def test_nbsvm_svm_variant_and_multiclass():
    X, y = make_texts(120, seed=3)
    X = np.concatenate([X, np.array([f"the plot was meh number {i}" for i in range(60)], dtype=object)])
    y = np.concatenate([y, np.array(["meh"] * 60)])
    for loss in ("svm", "logreg"):
        model = create_model("nbsvm", loss=loss).fit(X, y)
        assert model.r_.shape[0] == 3 and model.decision_function(X[:5]).shape == (5, 3)
        assert np.mean(model.predict(X) == y) > 0.95
        assert hasattr(model, "predict_proba") == (loss == "logreg")
    tfidf = create_model("tfidf-logreg").fit(X, y)
    np.testing.assert_allclose(tfidf.predict_proba(X[:7]).sum(1), 1.0)
