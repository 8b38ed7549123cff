"""eigenfaces, fisherfaces and face-cnn behind the classbench contract, on small synthetic faces."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from classbench.errors import UserError
from classbench.models import MODELS, create_model

from .conftest import split_faces

FAST = {"eigenfaces": {}, "fisherfaces": {},
        "face-cnn": {"epochs": 12, "channels": 8, "lr": 1e-2, "shift": 1.0, "rotation": 3.0, "scale": 0.0,
                     "device": "cpu"}}


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    monkeypatch.setenv("CLASSBENCH_THREADS", "1")


@pytest.fixture(scope="module")
def data():
    return split_faces()


def test_registered_lazily_with_metadata():
    for name, family in (("eigenfaces", "sklearn"), ("fisherfaces", "sklearn"), ("face-cnn", "torch")):
        entry = MODELS.entry(name)
        assert entry.meta["family"] == family and entry.meta["modalities"] == ("image",) and entry.meta["summary"]
    code = ("import sys, classbench.models.faces as f; from classbench.models import MODELS; "
            "MODELS.entry('face-cnn'); print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", ["eigenfaces", "fisherfaces", "face-cnn"])
def test_fit_predict_contract(data, name):
    from sklearn.base import clone

    X_tr, y_tr, X_te, y_te = data
    labels = np.array([f"person{i}" for i in range(15)])  # labels of any type
    model = create_model(name, random_state=0, **FAST[name])
    assert model.fit(X_tr, labels[y_tr]) is model
    pred = model.predict(X_te)
    assert pred.shape == (len(X_te),) and set(pred) <= set(labels)
    assert list(model.classes_) == sorted(labels)
    assert model.n_params_ > 0 and model.history_
    assert np.mean(pred == labels[y_te]) >= 0.9, name
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "classes_")
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X_te), pred)


@pytest.mark.parametrize("name", ["eigenfaces", "fisherfaces", "face-cnn"])
def test_same_seed_same_predictions(data, name):
    X_tr, y_tr, X_te, _ = data
    a = create_model(name, random_state=3, **FAST[name]).fit(X_tr, y_tr)
    b = create_model(name, random_state=3, **FAST[name]).fit(X_tr, y_tr)
    np.testing.assert_array_equal(a.predict(X_te), b.predict(X_te))
    if name == "face-cnn":
        np.testing.assert_allclose(a.predict_proba(X_te), b.predict_proba(X_te), rtol=1e-5, atol=1e-6)
        assert a.predict_proba(X_te).shape == (len(X_te), 15)


def test_subspace_dimensions_follow_the_training_set(data):
    X_tr, y_tr, _, _ = data
    fish = create_model("fisherfaces").fit(X_tr, y_tr)
    assert fish.pca_components_ == len(X_tr) - 15  # N - c
    assert fish.pipeline_[1].scalings_.shape[1] >= 14
    eig = create_model("eigenfaces", n_components=500, skip_leading=3).fit(X_tr, y_tr)
    assert eig.n_components_ == len(X_tr) - 1 - 3  # capped by the rank of the centred training set
    assert eig.pipeline_[-1].n_samples_fit_ == len(X_tr)


def test_eigenfaces_skip_leading_drops_components(data):
    X_tr, y_tr, X_te, _ = data
    a = create_model("eigenfaces", n_components=10, skip_leading=0).fit(X_tr, y_tr)
    b = create_model("eigenfaces", n_components=10, skip_leading=2).fit(X_tr, y_tr)
    za = a.pipeline_[:-1].transform(X_te.reshape(len(X_te), -1))
    zb = b.pipeline_[:-1].transform(X_te.reshape(len(X_te), -1))
    np.testing.assert_allclose(np.abs(zb[:, :8]), np.abs(za[:, 2:10]), rtol=1e-3, atol=1e-4)


def test_bad_parameters_are_user_errors(data):
    X_tr, y_tr, _, _ = data
    with pytest.raises(UserError, match="metric"):
        create_model("eigenfaces", metric="manhattan")
    with pytest.raises(UserError, match="shrinkage"):
        create_model("fisherfaces", shrinkage=2.0)
    with pytest.raises(UserError, match="rotation"):
        create_model("face-cnn", rotation=90.0)
    with pytest.raises(UserError, match="skip_leading=500"):
        create_model("eigenfaces", skip_leading=500).fit(X_tr, y_tr)
    with pytest.raises(UserError, match="too small"):
        create_model("face-cnn", epochs=1, device="cpu").fit(np.zeros((4, 1, 6, 6), np.float32), [0, 1, 0, 1])
    with pytest.raises(UserError, match="single class"):
        create_model("fisherfaces").fit(X_tr[:5], np.zeros(5, int))


def test_augment_is_identity_in_eval_and_random_in_training():
    import torch

    from classbench.models.faces.cnn import Augment

    x = torch.rand(6, 1, 16, 12)
    aug = Augment(shift=3, rotation=10, scale=0.1, brightness=0.2, contrast=0.2)
    assert torch.equal(aug.eval()(x), x)
    torch.manual_seed(0)
    y1 = aug.train()(x)
    assert y1.shape == x.shape and not torch.allclose(y1, x)
    torch.manual_seed(0)
    assert torch.equal(aug(x), y1)  # drawn from torch's seeded generator
    assert torch.allclose(Augment().train()(x), x, atol=1e-6)  # all amounts 0: unchanged
    bright = Augment(brightness=0.2).train()(x)
    diff = (bright - x).flatten(1)
    assert torch.allclose(diff, diff[:, :1].expand_as(diff), atol=1e-6)  # one offset per image
    assert diff.abs().max() <= 0.2 + 1e-6


def test_augment_shift_moves_content_by_whole_pixels():
    import torch

    from classbench.models.faces.cnn import Augment

    x = torch.zeros(1, 1, 9, 9)
    x[0, 0, 4, 4] = 1.0
    torch.manual_seed(0)
    aug = Augment(shift=2).train()
    aug._uniform = lambda n, amount, t: torch.full((n,), amount, dtype=t.dtype)  # the largest shift
    y = aug(x)
    assert torch.argmax(y).item() == 2 * 9 + 2  # output(p) samples input(p + 2): moved 2 rows and 2 columns up-left


@pytest.mark.parametrize("name", ["eigenfaces", "fisherfaces", "face-cnn"])
def test_every_declared_parameter_is_a_constructor_argument(name):
    cls = MODELS.get(name)
    assert set(cls().get_params(deep=False)) == set(cls.param_space)
