"""Save -> load gives the same predictions, for every family (scikit-learn, torch, scratch, text, faces)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classbench.datasets import load_dataset
from classbench.models import MODELS, create_model
from classbench.persist import load_model, read_meta, save_model, torch_predictor


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits")
    keep = np.concatenate([np.flatnonzero(ds.y_train == c)[:30] for c in range(10)])
    return ds, ds.X_train[keep], ds.y_train[keep], ds.X_test[:60]


@pytest.fixture(scope="module")
def texts():
    rng = np.random.default_rng(0)
    good = ["great film, loved it", "wonderful acting", "best movie this year", "i loved the music!"]
    bad = ["terrible film, hated it", "awful acting", "worst movie this year", "i hated the music?"]
    X = np.array([f"{rng.choice(good if i % 2 else bad)} {rng.choice(good if i % 2 else bad)} $5"
                  for i in range(40)], dtype=object)
    return X, np.array(["neg", "pos"] * 20)


def _outputs(model, X):
    """Every prediction method the model advertises (``hasattr``), each called: one that is advertised
    but fails is a defect, not something to skip."""
    out = {"predict": np.asarray(model.predict(X))}
    for name in ("predict_proba", "decision_function"):
        if hasattr(model, name):
            out[name] = np.asarray(getattr(model, name)(X))
    return out


def _same(a, b):
    """A round trip is exact: the same methods, and every output bit for bit (same values, dtype, shape)."""
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k, strict=True)


IMAGE_MODELS = [
    ("logreg", {}), ("rbf-svm", {"n_components": 50}), ("ridge", {}), ("random-forest", {"n_estimators": 3}),
    ("mlp", {"hidden": [8], "epochs": 1}), ("lenet5", {"epochs": 1, "batch_size": 64}),
    ("scratch-ridge", {}), ("scratch-lda", {}), ("scratch-kernel-svm", {}), ("scratch-kfd", {}),
    ("scratch-mlp", {"hidden": [8], "epochs": 1}), ("scratch-lenet5", {"epochs": 1, "batch_size": 100}),
    ("eigenfaces", {"n_components": 10, "skip_leading": 0}),
]
TEXT_MODELS = [
    ("tfidf-logreg", {"min_df": 1}), ("nbsvm", {"loss": "svm"}),
    ("lstm", {"epochs": 1, "maxlen": 12, "max_words": 40, "units": 4, "embedding_dim": 4}),
    ("embedding-bag", {"epochs": 1, "maxlen": 12, "embedding_dim": 4}),
    ("scratch-gru", {"epochs": 1, "maxlen": 12, "max_words": 40, "units": 4, "embedding_dim": 4}),
]


def _fit(name, kw, X, y):
    assert name in MODELS, f"model {name!r} is not registered: renamed or removed? update this test"
    model = create_model(name, **kw)
    if "random_state" in model.get_params():
        model.set_params(random_state=0)
    return model.fit(X, y)


@pytest.mark.parametrize("name,kw", IMAGE_MODELS, ids=[m[0] for m in IMAGE_MODELS])
def test_image_models_round_trip(name, kw, digits, tmp_path):
    ds, X, y, X_test = digits
    model = _fit(name, kw, X, y)
    folder = save_model(model, tmp_path / "m", dataset=ds)
    meta = read_meta(folder)
    assert meta["model"] == name and meta["modality"] == "image" and meta["class_names"] == ds.classes
    assert meta["input"] == {"kind": "image", "channels": 1, "height": 8, "width": 8, "scale": 1 / 255,
                             "color": "grayscale", "steps": []}
    assert set(meta["payload"]) == {p.name for p in folder.iterdir()} - {"model.json"}
    loaded = load_model(folder)
    _same(_outputs(model, X_test), _outputs(loaded.model, X_test))
    assert loaded.class_names == ds.classes
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary folder left


@pytest.mark.parametrize("name,kw", TEXT_MODELS, ids=[m[0] for m in TEXT_MODELS])
def test_text_models_round_trip(name, kw, texts, tmp_path):
    X, y = texts
    model = _fit(name, kw, X, y)
    folder = save_model(model, tmp_path / "m")
    assert read_meta(folder)["input"] == {"kind": "text"}
    loaded = load_model(folder).model
    _same(_outputs(model, X), _outputs(loaded, X))
    new = np.array(["an unseen word: splendid", "$"], dtype=object)
    _same(_outputs(model, new), _outputs(loaded, new))


def test_torch_weights_are_a_plain_state_dict(digits, tmp_path):
    import torch

    ds, X, y, X_test = digits
    model = _fit("lenet5", {"epochs": 1}, X, y)
    folder = save_model(model, tmp_path / "m", dataset=ds)
    weights = torch.load(folder / "weights.pt", weights_only=True)
    assert set(weights) == set(model.module_.state_dict())
    state = json.loads((folder / "state.json").read_text())
    assert state["weights"] == "torch" and state["torch_layers"][0]["type"] == "Conv2d"
    with np.load(folder / "arrays.npz", allow_pickle=False) as z:  # no object arrays anywhere
        assert all(z[k].dtype != object for k in z.files)


@pytest.mark.parametrize("name,kw", [("lenet5", {"epochs": 1}), ("mlp", {"hidden": [8], "epochs": 1})])
def test_fast_torch_path_matches_the_model(name, kw, digits, tmp_path):
    ds, X, y, X_test = digits
    model = _fit(name, kw, X, y)
    folder = save_model(model, tmp_path / "m", dataset=ds)
    fast = torch_predictor(folder)
    assert fast is not None
    np.testing.assert_allclose(fast(X_test), model.predict_proba(X_test), rtol=0, atol=1e-12)


def test_fast_torch_path_declines_other_models(texts, digits, tmp_path):
    X, y = texts
    lstm = _fit("lstm", TEXT_MODELS[2][1], X, y)
    assert torch_predictor(save_model(lstm, tmp_path / "lstm")) is None
    ds, Xd, yd, _ = digits
    assert torch_predictor(save_model(_fit("logreg", {}, Xd, yd), tmp_path / "lr", dataset=ds)) is None


def test_string_labels_and_overwrite(digits, tmp_path):
    ds, X, y, X_test = digits
    names = np.array([f"digit-{v}" for v in y])
    model = _fit("logreg", {}, X, names)
    folder = save_model(model, tmp_path / "m")
    save_model(model, folder, overwrite=True)
    meta = read_meta(folder)
    assert meta["classes"][:2] == ["digit-0", "digit-1"] and meta["classes_dtype"].endswith("U7")
    loaded = load_model(folder)
    assert loaded.class_names == list(model.classes_)
    np.testing.assert_array_equal(loaded.model.predict(X_test), model.predict(X_test))
    assert [p.name for p in tmp_path.iterdir()] == ["m"]
