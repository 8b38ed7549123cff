"""textfolder:, textcsv: and idx: datasets."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.errors import DataError, UserError

from .conftest import load, make_idx_folder, make_text_folder, write_csv


def test_textfolder_split_and_presplit(tmp_path):
    root = make_text_folder(tmp_path / "t", per_class=6)
    ds = load(f"textfolder:{root}?test_fraction=0.34")
    assert ds.modality == "text" and ds.classes == ["neg", "pos"] and ds.X_train.dtype == object
    assert np.bincount(ds.y_test).tolist() == [2, 2] and isinstance(ds.X_train[0], str)
    pre = make_text_folder(tmp_path / "p", split=True, per_class=6)
    (pre / "train" / "unsup").mkdir()
    (pre / "train" / "unsup" / "0_0.txt").write_text("no label")
    (pre / "imdb.vocab").write_text("a\nb\n")  # files beside the class folders are ignored
    ds = load(f"textfolder:{pre}?classes=neg,pos")
    assert ds.classes == ["neg", "pos"] and len(ds.y_train) == 8 and len(ds.y_test) == 4
    assert all(f.startswith("test/") for f in ds.meta["files_test"])
    assert "imdb.vocab" in ds.provenance["ignored"] and "train/unsup/" in ds.provenance["ignored"]
    assert load(f"textfolder:{pre}").classes == ["neg", "pos", "unsup"]  # train-only class is allowed


def test_textfolder_empty_binary_and_undecodable_files(tmp_path):
    root = make_text_folder(tmp_path / "t", per_class=4)
    (root / "pos" / "empty.txt").write_text("  \n")
    with pytest.raises(DataError, match=r"pos/empty.txt is empty.*skip_bad=true"):
        load(f"textfolder:{root}")
    (root / "neg" / "blob.bin").write_bytes(b"\x00\x01\x02")
    (root / "neg" / "latin.txt").write_bytes(b"caf\xe9 cr\xe8me")
    ds = load(f"textfolder:{root}?skip_bad=true")
    assert len(ds.y_train) + len(ds.y_test) == 9
    assert any("empty.txt: is empty" in s for s in ds.provenance["skipped"])
    assert any("blob.bin" in s and "NUL" in s for s in ds.provenance["skipped"])
    assert ds.provenance["replaced_bytes"] == 2 and ds.provenance["files_with_replaced_bytes"] == ["neg/latin.txt"]
    texts = list(ds.X_train) + list(ds.X_test)
    assert "caf\ufffd cr\ufffdme" in texts


def test_textcsv(tmp_path):
    rows = [[f"review {i} was {'good' if i % 2 else 'bad'}", "pos" if i % 2 else "neg", i] for i in range(10)]
    path = write_csv(tmp_path / "r.csv", ["body", "sentiment", "n"], rows)
    ds = load(f"textcsv:{path}?text=body&label=sentiment&test_fraction=0.2")
    assert ds.modality == "text" and ds.classes == ["neg", "pos"] and len(ds.y_test) == 2
    assert all(("good" in t) == (y == 1) for t, y in zip(ds.X_train, ds.y_train))
    with pytest.raises(UserError, match=r"text/label='text' is neither a column .* Its columns: 'body', 'sentiment', 'n'"):
        load(f"textcsv:{path}")
    rows[3][0] = ""
    path = write_csv(tmp_path / "e.csv", ["text", "label"], [r[:2] for r in rows])
    with pytest.raises(DataError, match=r"empty text in column 'text' \(line 5\)"):
        load(f"textcsv:{path}")
    ds = load(f"textcsv:{path}?skip_bad=true")
    assert len(ds.y_train) + len(ds.y_test) == 9 and ds.provenance["skipped_rows"] == ["line 5"]


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_like_fashion_mnist(tmp_path, gz):
    arrays = make_idx_folder(tmp_path / "fashion", gz=gz)
    ds = load(f"idx:{tmp_path / 'fashion'}")
    assert ds.X_train.shape == (20, 1, 6, 5) and ds.X_test.shape == (10, 1, 6, 5)
    np.testing.assert_allclose(ds.X_train[:, 0] * 255, arrays["train-images-idx3"], atol=1e-4)
    assert ds.classes == ["0", "1", "2", "3"] and ds.y_test.tolist() == arrays["t10k-labels-idx1"].tolist()
    assert len(ds.provenance["files"]) == 4 and all(len(f["sha256"]) == 64 for f in ds.provenance["files"].values())
    named = load(f"idx:{tmp_path / 'fashion'}?classes=\"shirt,shoe,bag,coat\"&n_train=8")
    assert named.classes == ["shirt", "shoe", "bag", "coat"] and len(named.y_train) == 8
    with pytest.raises(UserError, match=r"gives 2 name\(s\), but the labels go up to 3"):
        load(f"idx:{tmp_path / 'fashion'}?classes=\"a,b\"")


def test_idx_prefixes_single_file_and_missing_files(tmp_path):
    make_idx_folder(tmp_path / "e", prefix="emnist-letters-", test_word="test", k=3)
    make_idx_folder(tmp_path / "e", prefix="emnist-digits-", test_word="test", k=5)
    with pytest.raises(UserError, match=r"several IDX sets.*'emnist-digits-', 'emnist-letters-'"):
        load(f"idx:{tmp_path / 'e'}")
    assert len(load(f"idx:{tmp_path / 'e'}?prefix=emnist-letters-").classes) == 3
    assert len(load(f"idx:{tmp_path / 'e' / 'emnist-digits-train-images-idx3-ubyte.gz'}").classes) == 5
    make_idx_folder(tmp_path / "m", gz=False)
    (tmp_path / "m" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match=r"no t10k-labels-idx1-ubyte\[.gz\] in .*four files"):
        load(f"idx:{tmp_path / 'm'}")
