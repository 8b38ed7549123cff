"""openml:ID and openml:NAME against a local server that answers like OpenML's REST API."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classbench.datasets import DataContext
from classbench.errors import DataError, UserError

from .conftest import ARFF, load


def _ctx(tmp_path, download=True, data_dirs=()):
    return DataContext(data_dirs=list(data_dirs), cache_dir=tmp_path / "cache", download=download)


def test_download_by_id_then_offline_from_the_cache(tmp_path, openml_server, monkeypatch):
    md5 = openml_server.add_dataset(4711, "toy-credit")
    ctx = _ctx(tmp_path)
    ds = load("openml:4711", ctx)
    folder = tmp_path / "cache" / "openml" / "4711"
    assert sorted(p.name for p in folder.iterdir()) == ["data.arff", "description.json", "features.json"]
    assert (folder / "data.arff").read_text() == ARFF
    # default target from the description; the row-id column is left out; declared nominal order kept
    assert ds.classes == ["good", "bad"] and ds.provenance["target"] == "class"
    assert ds.meta["feature_names"] == ["amount", "purpose", "age"] and ds.provenance["left_out"] == ["id"]
    assert ds.meta["columns"][1] == {"name": "purpose", "kind": "nominal",
                                     "categories": ["new car", "used car", "radio/tv"]}
    assert ds.provenance["openml"]["md5_checksum"] == md5 and ds.provenance["source"] == "openml"
    X = np.concatenate([ds.X_train, ds.X_test])
    assert X.shape == (24, 3) and np.isnan(X[:, 0]).sum() == 5  # rows 0, 5, 10, 15, 20 have amount '?'
    served = len(openml_server.log)
    # offline now: the cache answers, and no request is made
    monkeypatch.setenv("CLASSBENCH_OFFLINE", "1")
    again = load("openml:4711", _ctx(tmp_path, download=False))
    assert np.array_equal(again.X_train, ds.X_train, equal_nan=True) and len(openml_server.log) == served
    # by name, offline: found among the descriptions on disk
    assert load("openml:toy-credit", _ctx(tmp_path, download=False)).classes == ["good", "bad"]


def test_by_name_looks_up_the_oldest_active_version(tmp_path, openml_server):
    openml_server.add_dataset(99, "toy-credit")
    ds = load("openml:toy-credit?test_fraction=0.5", _ctx(tmp_path))
    assert ds.provenance["openml"]["id"] == "99" and len(ds.y_test) == 12
    assert "/api/v1/json/data/list/data_name/toy-credit/limit/2/status/active" in openml_server.log


def test_unknown_name_and_id_are_user_errors(tmp_path, openml_server):
    with pytest.raises(UserError, match=r"OpenML has no active dataset named 'no-such-set'.*HTTP 412.*No results"):
        load("openml:no-such-set", _ctx(tmp_path))
    with pytest.raises(UserError, match=r"OpenML has no dataset 12345 .*HTTP 412"):
        load("openml:12345", _ctx(tmp_path))
    openml_server.routes["/api/v1/json/data/list/data_name/gone/limit/2/status/active"] = (404, b"not found")
    with pytest.raises(UserError, match=r"OpenML has no active dataset named 'gone' .*HTTP 404"):
        load("openml:gone", _ctx(tmp_path))


def test_http_error_on_the_data_file_names_the_url_and_keeps_nothing(tmp_path, openml_server):
    openml_server.add_dataset(7, "toy-credit")
    openml_server.routes["/data/v1/download/7/toy-credit.arff"] = (503, b"busy")
    with pytest.raises(DataError, match=r"HTTP 503.*To fetch by hand, save .*/api/v1/json/data/7 as description.json"):
        load("openml:7", _ctx(tmp_path))
    folder = tmp_path / "cache" / "openml" / "7"
    assert not folder.exists() or not any(folder.iterdir())  # no partial file, no description


def test_a_corrupted_file_is_refused_and_never_used(tmp_path, openml_server):
    bad = ARFF.replace("radio/tv}", "radio/tv,boat}").encode()  # a well-formed ARFF, but not the right bytes
    openml_server.add_dataset(8, "toy-credit", served=bad)
    with pytest.raises(DataError, match=r"checksum mismatch \(got md5 [0-9a-f]{32}, expected [0-9a-f]{32}"):
        load("openml:8", _ctx(tmp_path))
    folder = tmp_path / "cache" / "openml" / "8"
    assert not (folder / "data.arff").exists() and not (folder / "description.json").exists()
    assert not any(p.name.endswith(".part") for p in folder.glob("*")) if folder.exists() else True
    # a copy on disk that fails its md5 is reported, not used, and the download replaces it
    openml_server.add_dataset(8, "toy-credit")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.arff").write_bytes(bad)
    (folder / "description.json").write_text(json.dumps(
        json.loads(openml_server.routes["/api/v1/json/data/8"][1])))
    (folder / "features.json").write_text(openml_server.routes["/api/v1/json/data/features/8"][1].decode())
    with pytest.raises(DataError, match=r"data.arff \(checksum mismatch: md5 .* not used\)"):
        load("openml:8", _ctx(tmp_path, download=False))
    ds = load("openml:8", _ctx(tmp_path))
    assert ds.meta["columns"][1]["categories"] == ["new car", "used car", "radio/tv"]


def test_offline_error_lists_the_places_and_what_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSBENCH_OPENML_URL", "http://127.0.0.1:9")
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(DataError) as err:
        load("openml:61", _ctx(tmp_path, download=False, data_dirs=[data]))
    msg = str(err.value)
    assert f"{data}/openml/61 (missing)" in msg and f"{tmp_path}/cache/openml/61 (missing)" in msg
    assert "http://127.0.0.1:9/api/v1/json/data/61 as description.json" in msg and "data.arff" in msg
    with pytest.raises(DataError, match=r"no OpenML dataset named 'iris' is on disk.*downloads are turned off"):
        load("openml:iris", _ctx(tmp_path, download=False, data_dirs=[data]))


def test_files_put_by_hand_into_a_data_dir_are_used(tmp_path, openml_server):
    openml_server.add_dataset(5, "toy-credit")
    folder = tmp_path / "data" / "openml" / "5"
    folder.mkdir(parents=True)
    for name, path in (("description.json", "/api/v1/json/data/5"), ("features.json", "/api/v1/json/data/features/5"),
                       ("data.arff", "/data/v1/download/5/toy-credit.arff")):
        (folder / name).write_bytes(openml_server.routes[path][1])
    served = len(openml_server.log)
    ds = load("openml:5?target=purpose", _ctx(tmp_path, download=False, data_dirs=[tmp_path / "data"]))
    assert ds.classes == ["new car", "used car", "radio/tv"] and len(openml_server.log) == served
