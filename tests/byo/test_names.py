"""Scheme names: parsing, parameters from the query and from suites, pickling, the registry hook."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import classbench.datasets as cbd
from classbench.datasets.byo import QueryValue, describe_schemes, parse_name, resolve_scheme
from classbench.datasets.byo_images import ImageFolder
from classbench.errors import DataError, UserError

from .conftest import load, make_image_folder, write_csv


def test_parse_name_splits_scheme_path_and_typed_query():
    scheme, path, q = parse_name("csv:data/my table.csv?target=0&test_fraction=0.5&drop=id,name&skip_bad=true")
    assert (scheme, path) == ("csv", "data/my table.csv")
    src = resolve_scheme("csv:data/my table.csv?target=0&test_fraction=0.5&drop=id,name&skip_bad=true")
    typed = src._typed({})
    # str parameters stay text even when they look like numbers; others are TOML literals
    assert typed == {"target": "0", "test_fraction": 0.5, "drop": "id,name", "skip_bad": True}
    assert q["target"] == QueryValue("0")
    _, _, q = parse_name("imagefolder:/x?size=[24, 32]&classes=%22a,b%22")
    src = resolve_scheme("imagefolder:/x?size=[24, 32]&classes=%22a,b%22")
    assert src._typed({}) == {"size": [24, 32], "classes": "a,b"}


@pytest.mark.parametrize("name, msg", [
    ("imgfolder:/tmp/x", "Did you mean 'imagefolder'"),
    ("imagefolder:", "no path after 'imagefolder:'"),
    ("csv:a.csv?target", "must be written KEY=VALUE"),
    ("csv:a.csv?target=a&target=b", "given twice"),
])
def test_bad_names_are_user_errors(name, msg):
    with pytest.raises(UserError, match=msg):
        resolve_scheme(name)


def test_unknown_parameter_names_the_dataset_and_accepted_ones(tmp_path, ctx):
    make_image_folder(tmp_path / "imgs", n_classes=2, per_class=2)
    src = resolve_scheme(f"imagefolder:{tmp_path / 'imgs'}?colour=rgb")
    with pytest.raises(UserError, match=r"unknown parameter 'colour'.*Did you mean 'color'"):
        src.check(ctx)
    src = resolve_scheme(f"imagefolder:{tmp_path / 'imgs'}?color=blue")
    with pytest.raises(UserError, match=r"'color' got 'blue'.*'grayscale', 'rgb'"):
        src.check(ctx)


def test_suite_params_override_query_params(tmp_path, ctx):
    root = make_image_folder(tmp_path / "imgs", n_classes=2, per_class=4, size=(12, 12))
    name = f"imagefolder:{root}?size=8&color=rgb"
    ds = load(name, ctx)
    assert ds.X_train.shape[1:] == (3, 8, 8)
    ds = load(name, ctx, size=[6, 10])  # a suite file's params / --set win over the name's
    assert ds.X_train.shape[1:] == (3, 6, 10)
    assert ds.provenance["params"]["size"] == (6, 10) and ds.provenance["params"]["color"] == "rgb"


def test_missing_path_names_every_place_searched(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "datadir"
    other.mkdir()
    ctx = cbd.DataContext(data_dirs=[other], download=False)
    src = resolve_scheme("imagefolder:photos")
    with pytest.raises(DataError) as exc:
        src.check(ctx)
    assert str(tmp_path / "photos") in str(exc.value) and str(other / "photos") in str(exc.value)
    make_image_folder(other / "photos", n_classes=2, per_class=2)  # found through the data dir
    assert src.locate(ctx) == (other / "photos").resolve()
    write_csv(tmp_path / "t.csv", ["a", "y"], [[1, 0]])
    with pytest.raises(DataError, match="is not a folder"):
        resolve_scheme("imagefolder:t.csv").check(ctx)


def test_sources_pickle_as_their_name():
    src = resolve_scheme("csv:/data/x.csv?target=label")
    back = pickle.loads(pickle.dumps(src))
    assert type(back).__name__ == "CsvTable" and back.name == src.name and back.query == src.query
    assert back.modality == "tabular"


def test_schemes_are_described_for_listing():
    usages = [u for u, _, _ in describe_schemes()]
    assert usages[0] == "imagefolder:PATH" and any(u.startswith("csv:PATH?target=") for u in usages)
    assert {m for _, m, _ in describe_schemes()} == {"image", "tabular", "text"}


def test_get_source_and_load_dataset_resolve_schemes(tmp_path):
    """The real get_source (no stand-in) resolves a scheme name, and load_dataset loads through it."""
    root = make_image_folder(tmp_path / "imgs", n_classes=2, per_class=4)
    assert isinstance(cbd.get_source(f"imagefolder:{root}"), ImageFolder)
    ds = cbd.load_dataset(f"imagefolder:{root}?test_fraction=0.5", data_dir=None)
    assert ds.modality == "image" and len(ds.y_test) == 4 and ds.classes == ["c00", "c01"]
    assert np.bincount(ds.y_test).tolist() == [2, 2]
