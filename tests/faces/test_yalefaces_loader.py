"""The yalefaces loader on small generated folders and zips: layout quirks, bad files, duplicates, split."""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile

import numpy as np
import pytest

from classbench.datasets import DataContext, load_dataset
from classbench.datasets.yalefaces import YaleFaces, canonical_names
from classbench.errors import DataError, UserError

from .conftest import TWINS, gif_bytes, synthetic_faces, write_faces


def load(ctx, **params):
    src = YaleFaces()
    return src.load(ctx, **src.check(ctx, **params))


def all_names(ds) -> list[str]:
    return ds.meta["files_train"] + ds.meta["files_test"]


def test_good_folder_loads_and_splits_8_3(ctx):
    ds = load(ctx, width=10, height=12, crop=[])
    assert ds.X_train.shape == (120, 1, 12, 10) and ds.X_test.shape == (45, 1, 12, 10)
    assert ds.X_train.dtype == np.float32 and 0.0 <= ds.X_train.min() and ds.X_train.max() <= 1.0
    assert ds.classes == [f"subject{s:02d}" for s in range(1, 16)]
    assert np.bincount(ds.y_test).tolist() == [3] * 15 and np.bincount(ds.y_train).tolist() == [8] * 15
    assert sorted(all_names(ds)) == canonical_names()
    # labels come from the names
    for name, label in zip(ds.meta["files_train"], ds.y_train):
        assert ds.classes[label] == name.split(".")[0]
    assert ds.provenance["canonical_files"] == 0 and ds.provenance["skipped"] == []


def test_pixels_are_the_files_pixels_without_preprocessing(ctx):
    ds = load(ctx, width=12, height=16, crop=[], equalize=False)
    faces = synthetic_faces()
    i = ds.meta["files_train"].index("subject05.wink")
    np.testing.assert_allclose(ds.X_train[i, 0], faces["subject05.wink"] / 255.0, atol=1e-6)


def test_duplicates_share_a_group_and_one_side(ctx):
    for seed in range(5):
        ds = load(ctx, width=8, height=8, crop=[], split_seed=seed)
        groups = dict(zip(all_names(ds), np.concatenate([ds.groups_train, ds.groups_test])))
        for copy, orig in TWINS.items():
            assert groups[copy] == groups[orig], copy
        assert len(set(groups.values())) == 165 - len(TWINS)
        assert not set(ds.groups_train) & set(ds.groups_test)
        assert sorted(map(sorted, ds.provenance["duplicate_groups"])) == sorted(sorted(p) for p in TWINS.items())


def test_split_seed_changes_the_split_and_is_reproducible(ctx):
    a, b, c = (load(ctx, width=8, height=8, split_seed=s, crop=[]) for s in (0, 0, 1))
    assert a.meta["files_test"] == b.meta["files_test"] and a.meta["files_test"] != c.meta["files_test"]
    d = load(ctx, width=8, height=8, crop=[], test_per_subject=1)
    assert len(d.y_test) == 15


def test_subject01_gif_quirk_and_gif87a_and_readme(tmp_path):
    folder = tmp_path / "d" / "yalefaces"
    write_faces(folder, rename={"subject01.centerlight": "subject01.gif"}, version=b"GIF87a")
    (folder / "subject02.happy").write_bytes(gif_bytes(synthetic_faces()["subject02.happy"], b"GIF89a"))
    (folder / "Readme.txt").write_text("The Yale Face Database ...")
    (folder / ".DS_Store").write_bytes(b"\0\0")
    ds = load(DataContext(data_dirs=[tmp_path / "d"], download=False), width=8, height=8, crop=[])
    assert "subject01.centerlight" in all_names(ds) and len(all_names(ds)) == 165
    assert "Readme.txt" in ds.provenance["ignored"]


@pytest.mark.parametrize("stray", ["notes.txt", "subject16.happy", "subject01.smile", "subject01.happy.bak"])
def test_unexpected_file_is_an_error_naming_it(data_dir, ctx, stray):
    (data_dir / "yalefaces" / stray).write_bytes(b"x")
    with pytest.raises(DataError, match=stray.replace(".", r"\.")):
        load(ctx)


def test_truncated_gif_is_an_error_naming_it(data_dir, ctx):
    path = data_dir / "yalefaces" / "subject07.sleepy"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"subject07\.sleepy.*truncated"):
        load(ctx)
    path.write_bytes(data[:-1])  # all pixels there, but the GIF trailer is missing
    with pytest.raises(DataError, match=r"subject07\.sleepy.*trailer"):
        load(ctx)


def test_non_image_file_is_an_error_naming_it(data_dir, ctx):
    (data_dir / "yalefaces" / "subject03.wink").write_text("not an image at all")
    with pytest.raises(DataError, match=r"subject03\.wink is not an image"):
        load(ctx)


def test_missing_image_is_an_error_naming_it(tmp_path):
    write_faces(tmp_path / "d" / "yalefaces", skip=("subject05.sad",))
    with pytest.raises(DataError, match=r"1 of the 165 images are missing \(subject05\.sad\)"):
        load(DataContext(data_dirs=[tmp_path / "d"], download=False))


def test_images_of_another_size_are_an_error_naming_them(data_dir, ctx):
    odd = np.full((20, 10), 128, np.uint8)
    (data_dir / "yalefaces" / "subject09.happy").write_bytes(gif_bytes(odd))
    with pytest.raises(DataError, match=r"subject09\.happy is 10x20 pixels but the other 164 images are 12x16"):
        load(ctx)


def test_skip_bad_skips_lists_and_warns(data_dir, ctx):
    folder = data_dir / "yalefaces"
    (folder / "subject09.happy").write_bytes(gif_bytes(np.zeros((20, 10), np.uint8)))
    (folder / "subject02.wink").write_bytes(b"GIF89a garbage")
    (folder / "subject03.sad").unlink()
    (folder / "extra.dat").write_bytes(b"x")
    with pytest.warns(UserWarning, match="skipped 4 file"):
        ds = load(ctx, skip_bad=True, width=8, height=8, crop=[])
    skipped = {s["file"]: s["why"] for s in ds.provenance["skipped"]}
    assert set(skipped) == {"subject09.happy", "subject02.wink", "subject03.sad", "extra.dat"}
    assert skipped["subject03.sad"] == "missing" and "10x20" in skipped["subject09.happy"]
    assert len(all_names(ds)) == 162 and "subject09.happy" not in all_names(ds)


def test_bad_crop_is_a_user_error(ctx):
    with pytest.raises(UserError, match=r"crop \[0, 0, 400, 10\] does not fit the 12x16 images"):
        load(ctx, crop=[0, 0, 400, 10])
    with pytest.raises(UserError, match="4 integers"):
        load(ctx, crop=[1, 2, 3])
    with pytest.raises(UserError, match="unknown parameter 'widht'"):
        load_dataset("yalefaces", data_dir=str(ctx.data_dirs[0]), widht=3)


def test_crop_and_equalize(ctx):
    plain = load(ctx, crop=[2, 3, 10, 15], width=8, height=12, equalize=False)  # crop size = output size
    eq = load(ctx, crop=[2, 3, 10, 15], width=8, height=12, equalize=True)
    assert eq.input_shape == (1, 12, 8) and eq.provenance["params"]["crop"] == [2, 3, 10, 15]
    i = plain.meta["files_train"].index("subject06.happy")
    np.testing.assert_allclose(plain.X_train[i, 0], synthetic_faces()["subject06.happy"][3:15, 2:10] / 255.0,
                               atol=1e-6)
    j = eq.meta["files_train"].index("subject06.happy")
    img, ref = eq.X_train[j, 0], plain.X_train[i, 0]
    assert img.min() == 0.0 and img.max() == 1.0  # equalized after cropping: the crop spans black to white
    assert (np.argsort(img, axis=None, kind="stable") == np.argsort(ref, axis=None, kind="stable")).all()
    assert not np.allclose(img, ref)
    small = load(ctx, width=4, height=6, crop=[])
    assert small.input_shape == (1, 6, 4)


def _zip_of(folder_files: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in {**folder_files, **(extra or {})}.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_archive_as_the_ucsd_mirror_ships_it(tmp_path):
    files = write_faces(tmp_path / "src", rename={"subject01.centerlight": "subject01.gif"})
    extra = {"__MACOSX/yalefaces/._subject01.gif": b"\0", "yalefaces/Readme.txt": b"readme",
             "yalefaces/subject01.glasses.gif": files["subject01.glasses"]}
    (tmp_path / "d" / "yalefaces").mkdir(parents=True)
    (tmp_path / "d" / "yalefaces" / "yalefaces.zip").write_bytes(
        _zip_of({f"yalefaces/{n}": b for n, b in files.items()}, extra))
    ds = load(DataContext(data_dirs=[tmp_path / "d"], download=False), width=8, height=8, crop=[])
    assert ds.provenance["kind"] == "zip" and sorted(all_names(ds)) == canonical_names()
    assert "yalefaces/subject01.glasses.gif" in ds.provenance["ignored"]


def _hostile_zip(tmp_path, files, members):
    """DIR/yalefaces/yalefaces.zip holding the good images (``files``) and ``members`` as ZipInfo/bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"yalefaces/{name}", data)
        for info, data in members:
            zf.writestr(info, data)
    (tmp_path / "d" / "yalefaces").mkdir(parents=True)
    (tmp_path / "d" / "yalefaces" / "yalefaces.zip").write_bytes(buf.getvalue())
    return DataContext(data_dirs=[tmp_path / "d"], download=False)


def test_zip_members_with_traversal_or_absolute_names_are_never_extracted(tmp_path):
    """The zip is read in memory, never extracted: hostile names cannot write anywhere."""
    files = write_faces(tmp_path / "src")
    ctx = _hostile_zip(tmp_path, files, [("../../subject02.happy", files["subject02.happy"]),
                                         ("/tmp/evil/subject03.sad", files["subject03.sad"])])
    ds = load(ctx, width=8, height=8, crop=[])
    assert sorted(all_names(ds)) == canonical_names()
    assert not (tmp_path / "subject02.happy").exists() and not (tmp_path.parent / "subject02.happy").exists()
    assert sorted(p.name for p in (tmp_path / "d" / "yalefaces").iterdir()) == ["yalefaces.zip"]


def test_zip_symlink_member_is_not_followed(tmp_path):
    files = write_faces(tmp_path / "src")
    del files["subject04.wink"]
    link = zipfile.ZipInfo("yalefaces/subject04.wink")
    link.external_attr = (0o120777 << 16)  # a symbolic link to /etc/passwd
    with pytest.raises(DataError, match=r"subject04.wink is not an image file \(it starts with b'/etc/pas'\)"):
        load(_hostile_zip(tmp_path, files, [(link, b"/etc/passwd")]), width=8, height=8, crop=[])


def test_oversized_zip_member_is_refused_without_reading_it(tmp_path, monkeypatch):
    import classbench.datasets.yalefaces as yf

    monkeypatch.setattr(yf, "MAX_IMAGE_BYTES", 100_000)
    files = write_faces(tmp_path / "src")
    del files["subject05.happy"]
    ctx = _hostile_zip(tmp_path, files, [("yalefaces/subject05.happy", b"\0" * 1_000_000)])  # a zip bomb in small
    with pytest.raises(DataError, match=r"subject05.happy cannot be read \(it is 1,000,000 bytes uncompressed"):
        load(ctx, width=8, height=8, crop=[])
    with pytest.warns(UserWarning, match="subject05.happy"):
        ds = load(ctx, width=8, height=8, crop=[], skip_bad=True)
    assert "subject05.happy" not in all_names(ds) and len(all_names(ds)) == 164


def test_extracted_zip_folder_layout(tmp_path):
    write_faces(tmp_path / "d" / "yalefaces" / "yalefaces")  # unzip inside DIR/yalefaces/
    ds = load(DataContext(data_dirs=[tmp_path / "d"], download=False), width=8, height=8, crop=[])
    assert ds.provenance["kind"] == "folder" and len(all_names(ds)) == 165


def test_not_found_names_every_place_and_the_url(tmp_path):
    ctx = DataContext(data_dirs=[tmp_path / "nowhere"], cache_dir=tmp_path / "cache", download=False)
    with pytest.raises(DataError) as err:
        load(ctx)
    msg = str(err.value)
    assert str(tmp_path / "nowhere" / "yalefaces") in msg and str(tmp_path / "cache" / "yalefaces") in msg
    assert "vision.ucsd.edu" in msg and "yalefaces.zip" in msg


def test_download_without_a_zip_checksum_verifies_every_member(tmp_path, monkeypatch, http_files):
    """No sha256 of the zip itself is known: a download is kept only if all its images match the table."""
    from classbench.datasets import _yalefaces_sums

    base, served = http_files
    files = write_faces(tmp_path / "src")
    table = {n: (hashlib.sha256(b).hexdigest(), "0" * 64) for n, b in files.items()}
    monkeypatch.setattr(_yalefaces_sums, "CANONICAL", table)
    tampered = dict(files)
    tampered["subject02.sad"] = files["subject02.happy"]
    served["tampered.zip"] = _zip_of({f"yalefaces/{n}": b for n, b in tampered.items()})
    served["good.zip"] = _zip_of({f"yalefaces/{n}": b for n, b in files.items()})
    monkeypatch.setattr(YaleFaces, "zip_sha256", None)
    monkeypatch.setattr(YaleFaces, "mirrors", (f"{base}/tampered.zip", f"{base}/good.zip"))
    ctx = DataContext(data_dirs=[], cache_dir=tmp_path / "cache", download=True)
    ds = load(ctx, width=8, height=8, crop=[])
    assert ds.provenance["canonical_files"] == 165
    (tmp_path / "cache" / "yalefaces" / "yalefaces.zip").unlink()
    monkeypatch.setattr(YaleFaces, "mirrors", (f"{base}/tampered.zip",))
    with pytest.raises(DataError, match=r"tampered\.zip: images do not match the canonical checksums"):
        load(ctx)
    assert not any((tmp_path / "cache" / "yalefaces").iterdir())


def test_download_checks_the_zip_and_every_image(tmp_path, monkeypatch, http_files):
    from classbench.datasets import _yalefaces_sums

    base, served = http_files
    files = write_faces(tmp_path / "src")
    blob = _zip_of({f"yalefaces/{n}": b for n, b in files.items()})
    served["good.zip"] = blob
    table = {n: (hashlib.sha256(b).hexdigest(), "0" * 64) for n, b in files.items()}
    monkeypatch.setattr(_yalefaces_sums, "CANONICAL", table)
    monkeypatch.setattr(YaleFaces, "mirrors", (f"{base}/missing.zip", f"{base}/good.zip"))
    monkeypatch.setattr(YaleFaces, "zip_sha256", hashlib.sha256(blob).hexdigest())
    ctx = DataContext(data_dirs=[], cache_dir=tmp_path / "cache", download=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # all 165 canonical: no warning
        ds = load(ctx, width=8, height=8, crop=[])
    assert (tmp_path / "cache" / "yalefaces" / "yalefaces.zip").is_file()
    assert ds.provenance["canonical_files"] == 165
    # a zip whose images differ from the table is deleted after download
    (tmp_path / "cache" / "yalefaces" / "yalefaces.zip").unlink()
    table["subject03.happy"] = ("f" * 64, "f" * 64)
    with pytest.raises(DataError, match=r"subject03\.happy differs.*deleted"):
        load(ctx)
    assert not (tmp_path / "cache" / "yalefaces" / "yalefaces.zip").exists()


def test_partly_canonical_copy_warns(tmp_path, monkeypatch):
    from classbench.datasets import _yalefaces_sums

    files = write_faces(tmp_path / "d" / "yalefaces")
    table = {n: (hashlib.sha256(b).hexdigest(), "0" * 64) for n, b in files.items()}
    table["subject11.normal"] = ("e" * 64, "e" * 64)
    monkeypatch.setattr(_yalefaces_sums, "CANONICAL", table)
    with pytest.warns(UserWarning, match="1 of 165 images .* differ from the canonical release"):
        ds = load(DataContext(data_dirs=[tmp_path / "d"], download=False), width=8, height=8, crop=[])
    assert ds.provenance["noncanonical"] == ["subject11.normal"]


def test_default_crop_is_the_face_box_scaled_to_the_image_size(ctx):
    ds = load(ctx, width=8, height=16, equalize=False)
    assert ds.provenance["params"]["crop"] == [2, 0, 10, 16]  # (60, 0, 260, 243) of 320x243, for 12x16
    i = ds.meta["files_train"].index("subject06.happy")
    np.testing.assert_allclose(ds.X_train[i, 0], synthetic_faces()["subject06.happy"][:, 2:10] / 255.0, atol=1e-6)


def test_subject01_gif_beside_subject01_centerlight(data_dir, ctx):
    folder = data_dir / "yalefaces"
    (folder / "subject01.gif").write_bytes((folder / "subject01.centerlight").read_bytes())
    ds = load(ctx, width=8, height=8, crop=[])  # the same bytes twice: one image
    assert len(all_names(ds)) == 165 and "subject01.gif" in ds.provenance["ignored"]
    (folder / "subject01.gif").write_bytes((folder / "subject01.happy").read_bytes())
    with pytest.raises(DataError, match=r"both 'subject01\.centerlight' and 'subject01\.gif'"):
        load(ctx)


def test_show_renders_a_test_image(ctx):
    text = YaleFaces().show(ctx, 0)
    assert text.startswith("yalefaces: test image 0, subject") and "shape (1, 56, 45)" in text
    with pytest.raises(UserError, match="out of range"):
        YaleFaces().show(ctx, 45)
