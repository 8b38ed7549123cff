"""IMDB loader on small generated aclImdb folders and tarballs: good copies, attacks, damage, the cache."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

import classbench.datasets._imdb_files as files_mod
import classbench.datasets.imdb as imdb_mod
from classbench.datasets import DATASETS, load_dataset
from classbench.datasets.base import DataContext
from classbench.datasets.imdb import IMDB
from classbench.errors import DataError, UserError

from .conftest import write_tar, write_tree

pytestmark = pytest.mark.filterwarnings("ignore:IMDB.*not the full release")


def _ctx(tmp_path: Path, download: bool = False) -> DataContext:
    return DataContext(data_dirs=[tmp_path / "data"], cache_dir=tmp_path / "cache", download=download)


def _check_good(ds, files):
    assert ds.modality == "text" and ds.classes == ["neg", "pos"]
    assert len(ds.y_train) == len(ds.y_test) == 6 and ds.X_train.dtype == object
    assert isinstance(ds.X_train[0], str)
    np.testing.assert_array_equal(ds.y_train, [0, 0, 0, 1, 1, 1])  # neg then pos, ids ascending
    np.testing.assert_array_equal(ds.meta["rating_train"], [1, 2, 3, 7, 8, 9])
    np.testing.assert_array_equal(ds.meta["id_test"], [0, 1, 2, 0, 1, 2])
    assert ds.X_train[4] == files["aclImdb/train/pos/1_8.txt"].decode()
    assert ds.X_test[0] == files["aclImdb/test/neg/0_1.txt"].decode()
    assert "unlabelled" not in " ".join(ds.X_train)
    assert ds.provenance["counts"] == {"train/neg": 3, "train/pos": 3, "test/neg": 3, "test/pos": 3}
    assert ds.provenance["complete"] is False and ds.provenance["replaced_characters"] == 0


def test_registered():
    assert DATASETS.get("imdb") is IMDB and IMDB.modality == "text"


def test_tarball_with_same_layout(tmp_path, imdb_files):
    path = write_tar(tmp_path / "data" / "imdb" / "aclImdb_noUnsup.tar.gz", imdb_files)
    ds = load_dataset("imdb", ctx=_ctx(tmp_path))
    _check_good(ds, imdb_files)
    assert ds.provenance["origin"] == "archive" and ds.provenance["canonical"] is False
    assert ds.provenance["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_extracted_folder(tmp_path, imdb_files):
    write_tree(tmp_path / "data" / "imdb", imdb_files)
    ds = load_dataset("imdb", ctx=_ctx(tmp_path))
    _check_good(ds, imdb_files)
    assert ds.provenance["origin"] == "folder" and ds.provenance["sha256"] is None
    assert len(ds.provenance["fingerprint"]) == 64  # names, sizes and mtimes of the review files


def test_canonical_archive_is_preferred_and_checked(tmp_path, imdb_files, monkeypatch):
    canon = write_tar(tmp_path / "data" / "imdb" / "aclImdb_v1.tar.gz", imdb_files)
    write_tree(tmp_path / "data" / "imdb", {"aclImdb/train/pos/0_9.txt": b"x"})  # ignored: canonical first
    monkeypatch.setattr(imdb_mod, "ARCHIVE_SHA256", hashlib.sha256(canon.read_bytes()).hexdigest())
    ds = load_dataset("imdb", ctx=_ctx(tmp_path))
    assert ds.provenance["origin"] == "canonical archive" and ds.provenance["canonical"] is True
    _check_good(ds, imdb_files)


def test_canonical_name_with_wrong_checksum_is_never_used(tmp_path, imdb_files):
    write_tar(tmp_path / "data" / "imdb" / "aclImdb_v1.tar.gz", imdb_files)  # not the real bytes
    with pytest.raises(DataError) as err:
        load_dataset("imdb", ctx=_ctx(tmp_path))
    msg = str(err.value)
    assert "checksum mismatch" in msg and "aclImdb/ folder" in msg and "Downloads are turned off" in msg


def test_nothing_found_names_places_and_url(tmp_path):
    (tmp_path / "data").mkdir()
    with pytest.raises(DataError) as err:
        load_dataset("imdb", ctx=_ctx(tmp_path))
    msg = str(err.value)
    assert str(tmp_path / "data" / "imdb") in msg and imdb_mod.ARCHIVE_URL in msg


@pytest.mark.parametrize("name, match", [
    ("aclImdb/../../evil.txt", "path traversal"),
    ("aclImdb/train/pos/../../../evil.txt", "path traversal"),
    ("/etc/evil.txt", "absolute path"),
])
def test_unsafe_member_names(tmp_path, imdb_files, name, match):
    evil = tarfile.TarInfo(name)
    evil.size = 3
    write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", imdb_files, [evil])
    with pytest.raises(DataError, match=match) as err:
        load_dataset("imdb", ctx=_ctx(tmp_path))
    assert name in str(err.value)


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE])
def test_links_and_special_members(tmp_path, imdb_files, kind):
    link = tarfile.TarInfo("aclImdb/train/pos/5_9.txt")
    link.type = kind
    link.linkname = "/etc/passwd" if kind != tarfile.FIFOTYPE else ""
    write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", imdb_files, [link])
    with pytest.raises(DataError, match="link|special file") as err:
        load_dataset("imdb", ctx=_ctx(tmp_path))
    assert "aclImdb/train/pos/5_9.txt" in str(err.value)


def test_oversized_member(tmp_path, imdb_files, monkeypatch):
    monkeypatch.setattr(files_mod, "MAX_REVIEW_BYTES", 50)
    imdb_files["aclImdb/train/neg/0_1.txt"] = b"long " * 20
    write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", imdb_files)
    with pytest.raises(DataError, match="limit for one review"):
        load_dataset("imdb", ctx=_ctx(tmp_path))


@pytest.mark.parametrize("form", ["tar", "folder"])
def test_missing_neg_folder(tmp_path, imdb_files, form):
    files = {k: v for k, v in imdb_files.items() if "/train/neg/" not in k}
    if form == "tar":
        write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", files)
        match = r"no reviews in train/neg/"
    else:
        write_tree(tmp_path / "data" / "imdb", files)
        match = r"train/neg is missing"
    with pytest.raises(DataError, match=match):
        load_dataset("imdb", ctx=_ctx(tmp_path))


@pytest.mark.parametrize("form", ["tar", "folder"])
@pytest.mark.parametrize("data, match", [
    (b"", "is empty"), (b"  \n", "is empty"), (b"GIF89a\x00\x01\x02binary", "binary"),
    (bytes(range(128, 256)) * 4, "not UTF-8"),
])
def test_damaged_review(tmp_path, imdb_files, form, data, match):
    imdb_files["aclImdb/test/pos/2_9.txt"] = data
    if form == "tar":
        write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", imdb_files)
    else:
        write_tree(tmp_path / "data" / "imdb", imdb_files)
    with pytest.raises(DataError, match=match) as err:
        load_dataset("imdb", ctx=_ctx(tmp_path))
    assert "test/pos/2_9.txt" in str(err.value)


def test_rating_that_contradicts_the_folder(tmp_path, imdb_files):
    imdb_files["aclImdb/train/pos/9_2.txt"] = b"filed under pos but rated 2"
    write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", imdb_files)
    with pytest.raises(DataError, match="rating 2"):
        load_dataset("imdb", ctx=_ctx(tmp_path))


def test_undecodable_bytes_are_replaced_and_counted(tmp_path, imdb_files):
    imdb_files["aclImdb/train/neg/1_2.txt"] = "Caf\u00e9 is bad ".encode() + b"\xff\xfe bytes \xc3"
    write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", imdb_files)
    ds = load_dataset("imdb", ctx=_ctx(tmp_path))
    assert ds.X_train[1] == "Caf\u00e9 is bad \ufffd\ufffd bytes \ufffd"
    assert ds.provenance["replaced_characters"] == 3 and ds.provenance["n_files_with_replacements"] == 1
    assert "train/neg/1_2.txt" in ds.provenance["files_with_replacements"][0]


def test_second_load_uses_cache_and_corruption_rebuilds(tmp_path, imdb_files, monkeypatch):
    write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", imdb_files)
    ctx = _ctx(tmp_path)
    first = load_dataset("imdb", ctx=ctx)
    folder = Path(first.meta["prepared_cache"])
    assert folder.parent == ctx.cache_dir / "imdb" and first.meta["cache_hit"] is False
    assert (folder / "manifest.json").exists() and (folder / "train_text.npy").exists()
    real = imdb_mod.read_archive
    monkeypatch.setattr(imdb_mod, "read_archive", lambda p: pytest.fail("parsed the archive again"))
    second = load_dataset("imdb", ctx=ctx)
    assert second.meta["cache_hit"] is True and list(second.X_train) == list(first.X_train)
    np.testing.assert_array_equal(second.meta["rating_test"], first.meta["rating_test"])
    assert second.provenance["sha256"] == first.provenance["sha256"]
    # flip one byte of the cached text: the manifest's sha256 no longer matches -> rebuilt from the archive
    blob = bytearray((folder / "train_text.npy").read_bytes())
    blob[-3] ^= 0x20
    (folder / "train_text.npy").write_bytes(bytes(blob))
    calls = []
    monkeypatch.setattr(imdb_mod, "read_archive", lambda p: calls.append(p) or real(p))
    third = load_dataset("imdb", ctx=ctx)
    assert calls and third.meta["cache_hit"] is False and list(third.X_train) == list(first.X_train)
    (folder / "manifest.json").write_text("{not json")
    assert load_dataset("imdb", ctx=ctx).meta["cache_hit"] is False
    assert json.loads((folder / "manifest.json").read_text())["format"] == "imdb-prepared-v1"


def test_subsets_and_bad_params(tmp_path, imdb_files):
    write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", imdb_files)
    ds = load_dataset("imdb", ctx=_ctx(tmp_path), n_train=4, n_test=2)
    assert len(ds.X_train) == 4 and len(ds.X_test) == 2 and len(ds.meta["rating_train"]) == 4
    again = load_dataset("imdb", ctx=_ctx(tmp_path), n_train=4, n_test=2)
    assert list(again.X_train) == list(ds.X_train)
    with pytest.raises(UserError, match="n_train=7"):
        load_dataset("imdb", ctx=_ctx(tmp_path), n_train=7)
    with pytest.raises(UserError, match="n_tran"):
        load_dataset("imdb", ctx=_ctx(tmp_path), n_tran=3)


def test_show_and_verify(tmp_path, imdb_files, monkeypatch):
    write_tar(tmp_path / "data" / "imdb" / "x.tar.gz", imdb_files)
    text = IMDB().show(_ctx(tmp_path), 4)
    raw = imdb_files["aclImdb/test/pos/1_8.txt"].decode()
    assert "label pos, rating 8/10" in text and "aclImdb/test/pos/1_8.txt" in text
    assert "<start> " + " ".join(raw.lower().split()[:2]) in text.replace("<br />", " ")
    assert raw[:40] in text
    with pytest.raises(UserError, match="out of range"):
        IMDB().show(_ctx(tmp_path), 6)
    from classbench.text import TextVectorizer

    monkeypatch.setattr(TextVectorizer, "fit", lambda *a: pytest.fail("vocabulary fitted again"))
    assert IMDB().show(_ctx(tmp_path), 4) == text  # the vocabulary is kept beside the prepared cache
    [(what, status)] = IMDB().verify(_ctx(tmp_path))
    assert status == "ok" and "12 reviews" in what
    assert IMDB().info(_ctx(tmp_path))["found"]["kind"] == "archive"
