"""imagefolder:PATH: formats, colour, sizes, splits, layouts and the errors users meet."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from classbench.errors import DataError, UserError

from .conftest import load, make_image_folder, save_image, shape_image


def test_every_format_loads_as_float_nchw_in_unit_range(tmp_path):
    root = make_image_folder(tmp_path / "imgs", n_classes=3, per_class=6, formats=("PNG", "JPEG", "GIF", "BMP",
                                                                                      "PPM", "PGM"))
    ds = load(f"imagefolder:{root}")
    assert ds.modality == "image" and ds.classes == ["c00", "c01", "c02"]
    assert ds.X_train.dtype == np.float32 and ds.X_train.shape[1:] == (1, 16, 16)
    assert 0.0 <= ds.X_train.min() and ds.X_train.max() <= 1.0
    assert len(ds.y_train) + len(ds.y_test) == 18 and ds.provenance["n_files"] == 18
    suffixes = {f.rsplit(".", 1)[1] for f in ds.meta["files_train"] + ds.meta["files_test"]}
    assert suffixes == {"png", "jpg", "gif", "bmp", "ppm", "pgm"}
    rgb = load(f"imagefolder:{root}?color=rgb")
    assert rgb.X_train.shape[1:] == (3, 16, 16)


def test_pixels_are_exact_for_lossless_formats(tmp_path):
    arr = shape_image(0, 0, (10, 12))
    for c in range(2):
        for i, fmt in enumerate(("PNG", "BMP")):
            save_image(tmp_path / "d" / f"k{c}" / f"{i}.{fmt.lower()}", np.roll(arr, c, axis=1), fmt)
    ds = load(f"imagefolder:{tmp_path / 'd'}?color=rgb&test_fraction=0.5")
    files = ds.meta["files_train"] + ds.meta["files_test"]
    X = np.concatenate([ds.X_train, ds.X_test])
    k = files.index("k0/0.png")
    np.testing.assert_allclose(X[k], arr.transpose(2, 0, 1) / 255.0, atol=1e-6)
    gray = load(f"imagefolder:{tmp_path / 'd'}?test_fraction=0.5")
    want = np.asarray(Image.fromarray(arr).convert("L"), dtype=np.float32) / 255.0
    files = gray.meta["files_train"] + gray.meta["files_test"]
    np.testing.assert_allclose(np.concatenate([gray.X_train, gray.X_test])[files.index("k0/0.png"), 0], want)


def test_sixteen_bit_pgm_and_transparency(tmp_path):
    a16 = np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000
    rgba = np.zeros((8, 8, 4), np.uint8)  # fully transparent black: composited on white
    for c in ("a", "b"):
        (tmp_path / "d" / c).mkdir(parents=True)
        (tmp_path / "t" / c).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(a16).save(tmp_path / "d" / c / f"{i}.pgm", format="PPM")
        Image.fromarray(rgba).save(tmp_path / "t" / c / "0.png")
        save_image(tmp_path / "t" / c / "1.png", shape_image(0, 0, (8, 8)), "PNG")
    ds = load(f"imagefolder:{tmp_path / 'd'}?test_fraction=0.5")
    np.testing.assert_allclose(ds.X_train[0, 0], a16 / 65535.0, atol=1e-6)
    ds = load(f"imagefolder:{tmp_path / 't'}?test_fraction=0.5")
    X = np.concatenate([ds.X_train, ds.X_test])
    files = ds.meta["files_train"] + ds.meta["files_test"]
    assert np.all(X[files.index("a/0.png")] == 1.0)
    assert X[files.index("a/1.png")].mean() < 0.9


def test_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees: stored 12 wide x 8 high, shown 8 wide x 12 high
    for c in ("a", "b"):
        for i in range(2):
            (tmp_path / "d" / c).mkdir(parents=True, exist_ok=True)
            Image.fromarray(shape_image(1, i, (8, 12))).save(tmp_path / "d" / c / f"{i}.jpg", exif=exif.tobytes())
    ds = load(f"imagefolder:{tmp_path / 'd'}?test_fraction=0.5&resize=false")
    assert ds.X_train.shape[1:] == (1, 12, 8)


def test_sizes_most_common_explicit_and_no_resize(tmp_path):
    root = make_image_folder(tmp_path / "d", n_classes=2, per_class=4, size=(16, 16), formats=("PNG",))
    save_image(root / "c00" / "big.png", shape_image(0, 9, (20, 30)), "PNG")
    ds = load(f"imagefolder:{root}")
    assert ds.X_train.shape[1:] == (1, 16, 16) and ds.provenance["n_resized"] == 1
    assert load(f"imagefolder:{root}?size=[10, 6]").X_test.shape[1:] == (1, 10, 6)
    assert load(f"imagefolder:{root}?size=7").X_test.shape[1:] == (1, 7, 7)
    with pytest.raises(DataError) as exc:
        load(f"imagefolder:{root}?resize=false")
    msg = str(exc.value)
    assert "big.png is 20x30" in msg and "16x16" in msg and str(root / "c0") in msg
    with pytest.raises(UserError, match=r"size=\[1, 2, 3\]"):
        load(f"imagefolder:{root}?size=[1, 2, 3]")


def test_stratified_split_is_seeded_and_per_class(tmp_path):
    root = make_image_folder(tmp_path / "d", n_classes=3, per_class=8, formats=("PNG",))
    a = load(f"imagefolder:{root}?test_fraction=0.25&split_seed=1")
    b = load(f"imagefolder:{root}?test_fraction=0.25&split_seed=1")
    c = load(f"imagefolder:{root}?test_fraction=0.25&split_seed=2")
    assert np.bincount(a.y_test).tolist() == [2, 2, 2] and np.bincount(a.y_train).tolist() == [6, 6, 6]
    assert a.meta["files_test"] == b.meta["files_test"] and a.meta["files_test"] != c.meta["files_test"]
    assert not set(a.meta["files_test"]) & set(a.meta["files_train"])


def test_train_test_folders_are_used_as_given(tmp_path):
    root = make_image_folder(tmp_path / "d", n_classes=3, per_class=5, split=True, formats=("PNG", "BMP"))
    ds = load(f"imagefolder:{root}?test_fraction=0.5")  # test_fraction has no effect with train/ and test/
    assert ds.provenance["layout"] == "train/test folders"
    assert all(f.startswith("train/") for f in ds.meta["files_train"]) and len(ds.y_train) == 9
    assert all(f.startswith("test/") for f in ds.meta["files_test"]) and len(ds.y_test) == 6
    (root / "test").rename(root / "val")
    with pytest.raises(UserError, match="has a train/ folder but no test/ folder"):
        load(f"imagefolder:{root}")


def test_class_with_one_image_names_the_class_unless_presplit(tmp_path):
    root = make_image_folder(tmp_path / "d", n_classes=2, per_class=4, formats=("PNG",))
    save_image(root / "lonely" / "x.png", shape_image(3, 0), "PNG")
    with pytest.raises(UserError, match=r"class 'lonely' \(1 image\) cannot be put in both"):
        load(f"imagefolder:{root}")
    pre = make_image_folder(tmp_path / "p", n_classes=2, per_class=4, split=True, formats=("PNG",))
    save_image(pre / "train" / "lonely" / "x.png", shape_image(3, 0), "PNG")
    assert load(f"imagefolder:{pre}").classes == ["c00", "c01", "lonely"]


def test_non_image_file_is_named_or_skipped_and_listed(tmp_path):
    root = make_image_folder(tmp_path / "d", n_classes=2, per_class=4, formats=("PNG",))
    (root / "c01" / "notes.txt").write_text("not an image")
    (root / "c00" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (root / "c00" / ".DS_Store").write_bytes(b"\x00\x01")  # OS litter: ignored silently
    with pytest.raises(DataError) as exc:
        load(f"imagefolder:{root}")
    assert "broken.png" in str(exc.value) and "notes.txt" in str(exc.value) and "skip_bad=true" in str(exc.value)
    ds = load(f"imagefolder:{root}?skip_bad=true")
    assert len(ds.y_train) + len(ds.y_test) == 8
    skipped = " ".join(ds.provenance["skipped"])
    assert "c01/notes.txt" in skipped and "c00/broken.png" in skipped
    assert "c00/.DS_Store" in ds.provenance["ignored"]


def test_empty_class_folder_and_classes_filter(tmp_path):
    root = make_image_folder(tmp_path / "d", n_classes=3, per_class=4, formats=("PNG",))
    (root / "empty").mkdir()
    with pytest.raises(DataError, match=r"class folder .*empty holds no images"):
        load(f"imagefolder:{root}")
    assert load(f"imagefolder:{root}?skip_bad=true").classes == ["c00", "c01", "c02"]
    assert load(f"imagefolder:{root}?classes=\"c02,c00\"").classes == ["c00", "c02"]
    with pytest.raises(UserError, match="'nope', which is not a class folder"):
        load(f"imagefolder:{root}?classes=c00,nope")
    with pytest.raises(DataError, match="holds no class folders"):
        load(f"imagefolder:{tmp_path / 'd' / 'c00'}")


def test_provenance_hash_follows_the_content(tmp_path):
    root = make_image_folder(tmp_path / "d", n_classes=2, per_class=3, formats=("PNG",))
    first = load(f"imagefolder:{root}").provenance
    assert first["path"] == str(root.resolve()) and first["params"]["color"] == "grayscale"
    save_image(root / "c00" / "img0.png", shape_image(1, 1), "PNG")
    assert load(f"imagefolder:{root}").provenance["sha256"] != first["sha256"]


def test_check_fails_before_decoding_and_show_describes_a_sample(tmp_path, ctx):
    from classbench.datasets.byo import resolve_scheme

    root = make_image_folder(tmp_path / "d", n_classes=2, per_class=4, formats=("PNG",))
    save_image(root / "lonely" / "x.png", shape_image(3, 0), "PNG")
    with pytest.raises(UserError, match="class 'lonely'"):
        resolve_scheme(f"imagefolder:{root}").check(ctx)  # what the runner's plan calls: no trial starts
    (root / "lonely" / "x.png").unlink()
    (root / "lonely").rmdir()
    save_image(root / "c00" / "photo.jpg", shape_image(0, 0, (400, 600)), "JPEG")  # decoded in draft mode
    text = resolve_scheme(f"imagefolder:{root}?test_fraction=0.5").show(ctx, 0)
    assert text.startswith(f"imagefolder:{root}?test_fraction=0.5: test sample 0, class 'c00'")
    assert f"file: {root.resolve()}/c00/" in text and "array of shape (1, 16, 16)" in text
    with pytest.raises(UserError, match=r"out of range; the test split holds 4 samples"):
        resolve_scheme(f"imagefolder:{root}?test_fraction=0.5").show(ctx, 7)


def test_identical_files_stay_on_one_side_of_the_split(tmp_path):
    import shutil

    root = make_image_folder(tmp_path / "d", n_classes=2, per_class=8, formats=("PNG",))
    for k in range(1, 4):  # four byte-identical copies in class c00, one mislabelled copy in c01
        shutil.copy(root / "c00" / "img0.png", root / "c00" / f"copy{k}.png")
    shutil.copy(root / "c00" / "img0.png", root / "c01" / "wrong.png")
    for seed in range(6):
        ds = load(f"imagefolder:{root}?split_seed={seed}&test_fraction=0.3")
        copies = {"c00/img0.png", "c00/copy1.png", "c00/copy2.png", "c00/copy3.png", "c01/wrong.png"}
        in_test = copies & set(ds.meta["files_test"])
        assert in_test in (set(), copies), in_test
        assert set(ds.groups_train).isdisjoint(ds.groups_test)
    assert ds.provenance["duplicate_files"] == 4
    assert ds.provenance["label_conflicts"] == ["c00/copy1.png = c01/wrong.png (class 'c00' vs 'c01')"]
