"""Bad saved models and bad inputs give clear errors that say what and where."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classbench.datasets import load_dataset
from classbench.errors import DataError, UserError
from classbench.models import create_model
from classbench.persist import FORMAT_VERSION, load_model, meta_digest, read_meta, save_model, sha256_file


@pytest.fixture(scope="module")
def fitted():
    ds = load_dataset("digits")
    return ds, create_model("logreg", max_iter=30).fit(ds.X_train[:300], ds.y_train[:300])


@pytest.fixture()
def folder(fitted, tmp_path):
    ds, model = fitted
    return save_model(model, tmp_path / "model", dataset=ds)


def _rewrite_meta(folder, reseal=True, **changes):
    """Change model.json; ``reseal`` also updates its own checksum (to reach the checks behind it)."""
    meta = json.loads((folder / "model.json").read_text())
    meta.update(changes)
    if reseal:
        meta["meta_sha256"] = meta_digest(meta)
    (folder / "model.json").write_text(json.dumps(meta))


def test_a_tampered_model_json_is_refused(folder):
    classes = read_meta(folder)["classes"]
    _rewrite_meta(folder, reseal=False, classes=classes[::-1])  # e.g. a label swap: payload files untouched
    with pytest.raises(DataError, match=r"model\.json does not match the sha256 recorded in it \(meta_sha256\): the "
                                        r"model description was changed .* save the model again"):
        load_model(folder)
    meta = json.loads((folder / "model.json").read_text())
    del meta["meta_sha256"]
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(DataError, match=r"model\.json has no checksum of its own"):
        read_meta(folder)
    _rewrite_meta(folder, classes=classes)  # resealed with the true content: loads again
    assert load_model(folder).meta["classes"] == classes


@pytest.mark.parametrize("name", ["state.json", "arrays.npz", "model_pipeline-0.skops"])
def test_a_changed_payload_file_is_named(folder, name):
    with open(folder / name, "ab") as fh:
        fh.write(b" ")
    with pytest.raises(DataError, match=rf"{name} does not match the sha256 recorded in .*model\.json.*save the model again"):
        load_model(folder)


def test_a_missing_payload_file_is_named(folder):
    (folder / "arrays.npz").unlink()
    with pytest.raises(DataError, match=r"arrays\.npz is missing"):
        load_model(folder)


def test_a_newer_format_says_to_upgrade(folder):
    _rewrite_meta(folder, format_version=FORMAT_VERSION + 1, classbench_version="9.0")
    with pytest.raises(UserError, match=rf"saved by classbench 9\.0 in model format {FORMAT_VERSION + 1}; this "
                                        rf"classbench .* reads formats up to {FORMAT_VERSION}\. Upgrade classbench"):
        read_meta(folder)


def test_not_a_model_folder(tmp_path, folder):
    with pytest.raises(UserError, match=r"does not exist, so it is not a saved classbench model"):
        load_model(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"empty has no model\.json"):
        load_model(tmp_path / "empty")
    (folder / "model.json").write_text("{not json")
    with pytest.raises(DataError, match=r"model\.json is not readable JSON"):
        load_model(folder)
    (folder / "model.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(DataError, match=r"not a classbench model description"):
        load_model(folder)


def test_unknown_model_name(folder):
    _rewrite_meta(folder, model="no-such-model")
    with pytest.raises(UserError, match=r"holds a 'no-such-model' model, which this classbench does not know.*"
                                        r"CLASSBENCH_PLUGINS"):
        load_model(folder)


def test_payload_that_does_not_fit_its_model(fitted, tmp_path):
    ds, _ = fitted
    model = create_model("mlp", hidden=[4], epochs=1).fit(ds.X_train[:100], ds.y_train[:100])
    folder = save_model(model, tmp_path / "mlp", dataset=ds)
    _rewrite_meta(folder, params={**read_meta(folder)["params"], "hidden": {"$tuple": [5]}})
    with pytest.raises(DataError, match=r"mlp.* could not be rebuilt .*size mismatch"):
        load_model(folder)


class Foreign:
    """A type that is not scikit-learn's, NumPy's, SciPy's or classbench's."""


def test_skops_file_with_untrusted_types_is_refused(folder):
    import skops.io as sio

    bad = load_model(folder).model.pipeline_  # the fitted LogisticRegression
    bad.foreign_ = Foreign()
    sio.dump(bad, folder / "model_pipeline-0.skops")
    payload = read_meta(folder)["payload"]
    payload["model_pipeline-0.skops"] = sha256_file(folder / "model_pipeline-0.skops")
    _rewrite_meta(folder, payload=payload)
    with pytest.raises(DataError, match=r"model_pipeline-0\.skops asks to build types that classbench does not "
                                        r"trust \(.*Foreign"):
        load_model(folder)


def test_state_naming_a_foreign_type_is_refused(folder):
    state = json.loads((folder / "state.json").read_text())
    state["attrs"]["x_"] = {"$obj": "os:system", "state": {}}
    (folder / "state.json").write_text(json.dumps(state))
    payload = read_meta(folder)["payload"]
    payload["state.json"] = sha256_file(folder / "state.json")
    _rewrite_meta(folder, payload=payload)
    with pytest.raises(DataError, match=r"names the type 'os:system'; classbench only rebuilds its own types"):
        load_model(folder)


def test_saving_needs_a_fitted_registered_model(tmp_path, fitted):
    with pytest.raises(UserError, match=r"not fitted yet"):
        save_model(create_model("logreg"), tmp_path / "a")
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(UserError, match=r"not a registered classbench model"):
        save_model(LogisticRegression(), tmp_path / "b")
    ds, model = fitted
    save_model(model, tmp_path / "c")
    with pytest.raises(UserError, match=r"already exists"):
        save_model(model, tmp_path / "c")


def test_a_failed_save_leaves_nothing_behind(fitted, tmp_path):
    ds, model = fitted
    model = create_model("logreg", max_iter=30).fit(ds.X_train[:300], ds.y_train[:300])
    model.strange_ = np.random.default_rng(0)  # a Generator: not something classbench saves
    with pytest.raises(UserError, match=r"Cannot save attribute model\['strange_'\] \(a numpy.random.*Generator\)"):
        save_model(model, tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_every_file_read_must_have_a_checksum(folder):
    payload = read_meta(folder)["payload"]
    del payload["model_pipeline-0.skops"]
    _rewrite_meta(folder, payload=payload)
    with pytest.raises(DataError, match=r"lists no checksum for model_pipeline-0\.skops"):
        load_model(folder)
    del payload["arrays.npz"]
    _rewrite_meta(folder, payload=payload)
    with pytest.raises(DataError, match=r"lists no payload checksums"):
        load_model(folder)
