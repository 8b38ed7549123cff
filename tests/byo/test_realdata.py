"""Scheme names on the real copies in CLASSBENCH_DATA (skipped without them)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from classbench.datasets import DataContext

from ..conftest import real_data_dir
from .conftest import load

pytestmark = pytest.mark.realdata


def test_idx_scheme_reads_mnist_through_the_data_dirs():
    data = real_data_dir()
    if not (Path(data.split(os.pathsep)[0]) / "mnist" / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("no mnist/ in CLASSBENCH_DATA")
    ctx = DataContext.from_env(download=False)  # "mnist" is found relative to a CLASSBENCH_DATA folder
    ds = load("idx:mnist?n_test=2000", ctx)
    assert ds.X_train.shape == (60000, 1, 28, 28) and ds.X_test.shape == (2000, 1, 28, 28)
    assert ds.classes == [str(i) for i in range(10)] and ds.y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert ds.provenance["files"]["train_images"]["sha256"].startswith("440fcabf73cc546f")


def test_yale_faces_as_an_image_folder_of_extensionless_gifs(tmp_path):
    yale = Path(real_data_dir().split(os.pathsep)[0]) / "yalefaces"
    files = sorted(yale.glob("subject*.*")) if yale.is_dir() else []
    if not files:
        pytest.skip("no yalefaces/ in CLASSBENCH_DATA")
    for f in files:  # one class folder per subject, the files linked as they are (GIF data, no extension)
        folder = tmp_path / "faces" / f.name.split(".")[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f.name).symlink_to(f)
    ds = load(f"imagefolder:{tmp_path / 'faces'}?size=[60, 80]&test_fraction=0.2")
    assert ds.n_classes == 15 and len(ds.y_train) + len(ds.y_test) == len(files) == 165
    assert ds.X_train.shape[1:] == (1, 60, 80) and all(2 <= n <= 3 for n in np.bincount(ds.y_test))
    # the release holds byte-identical pairs (e.g. subject02.noglasses = subject02.normal): never split apart
    assert ds.provenance["duplicate_files"] >= 5 and ds.provenance["label_conflicts"] == []
    assert set(ds.groups_train).isdisjoint(ds.groups_test)
    assert 0.0 <= ds.X_train.min() < 0.1 and ds.X_train.max() > 0.9
