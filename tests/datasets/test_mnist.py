"""MNIST loader: a tiny generated MNIST (no network), the local mirror server, and the real files if present."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from classbench.datasets import DATASETS, load_dataset
from classbench.datasets.base import DataContext
from classbench.datasets.idx import write_idx
from classbench.datasets.mnist import MNIST
from classbench.errors import DataError, UserError

from .conftest import MNIST_NAMES, FakeMnist, sha256_path


def _ctx(fake: FakeMnist, tmp_path: Path, download: bool = False) -> DataContext:
    return DataContext(data_dirs=[fake.data_dir], cache_dir=tmp_path / "cache", download=download)


def test_registered():
    assert "mnist" in DATASETS and DATASETS.get("mnist") is MNIST
    assert set(MNIST.param_space) == {"n_train", "n_test"}


def test_load_fake(fake_mnist, tmp_path):
    ds = load_dataset("mnist", ctx=_ctx(fake_mnist, tmp_path))
    a = fake_mnist.arrays
    assert ds.X_train.shape == (30, 1, 28, 28) and ds.X_test.shape == (12, 1, 28, 28)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    np.testing.assert_array_equal(ds.X_train[:, 0], a["train_images"].astype(np.float32) / 255)
    np.testing.assert_array_equal(ds.X_test[:, 0], a["test_images"].astype(np.float32) / 255)
    np.testing.assert_array_equal(ds.y_train, a["train_labels"])
    np.testing.assert_array_equal(ds.y_test, a["test_labels"])
    assert ds.classes == [str(i) for i in range(10)] and ds.modality == "image"
    files = ds.provenance["files"]
    for role, (name, sha) in fake_mnist.files.items():
        assert files[role] == {"file": name, "sha256": sha, "path": str(fake_mnist.path(role))}
    assert "LeCun" in ds.provenance["source"]
    assert ds.meta["cache_hit"] is False


def test_second_load_uses_parsed_cache(fake_mnist, tmp_path, monkeypatch):
    ctx = _ctx(fake_mnist, tmp_path)
    first = MNIST().load(ctx)
    folder = Path(first.meta["parsed_cache"])
    assert folder.parent == ctx.cache_dir / "mnist" and folder.name.startswith("parsed-")
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json", "test_images.npy", "test_labels.npy", "train_images.npy", "train_labels.npy"
    ]
    import classbench.datasets.idx as idx

    monkeypatch.setattr(idx, "read_idx", lambda *a, **k: pytest.fail("parsed the IDX files again"))
    second = MNIST().load(ctx)
    assert second.meta["cache_hit"] is True
    np.testing.assert_array_equal(first.X_train, second.X_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[:-100])


def _garbage(p: Path) -> None:
    p.write_bytes(b"not a numpy file at all")


def _flip_pixel(p: Path) -> None:  # same shape and size: only the manifest checksum can tell
    data = bytearray(p.read_bytes())
    data[-1] ^= 0xFF
    p.write_bytes(bytes(data))


def _reshape(p: Path) -> None:
    np.save(p, np.load(p)[:-1])


@pytest.mark.parametrize(
    "target,damage",
    [
        ("train_images.npy", _truncate),
        ("train_labels.npy", _garbage),
        ("test_images.npy", _flip_pixel),
        ("test_labels.npy", _reshape),
        ("train_images.npy", Path.unlink),
        ("manifest.json", _garbage),
        ("manifest.json", Path.unlink),
    ],
)
def test_corrupt_cache_is_rebuilt(fake_mnist, tmp_path, target, damage):
    ctx = _ctx(fake_mnist, tmp_path)
    good = MNIST().load(ctx)
    damage(Path(good.meta["parsed_cache"]) / target)
    rebuilt = MNIST().load(ctx)
    assert rebuilt.meta["cache_hit"] is False
    np.testing.assert_array_equal(rebuilt.X_train, good.X_train)
    np.testing.assert_array_equal(rebuilt.X_test, good.X_test)
    np.testing.assert_array_equal(rebuilt.y_train, good.y_train)
    np.testing.assert_array_equal(rebuilt.y_test, good.y_test)
    assert MNIST().load(ctx).meta["cache_hit"] is True


def test_subsets_take_the_first_n(fake_mnist, tmp_path):
    ds = load_dataset("mnist", ctx=_ctx(fake_mnist, tmp_path), n_train=7, n_test=3)
    assert ds.X_train.shape == (7, 1, 28, 28) and len(ds.y_test) == 3
    np.testing.assert_array_equal(ds.y_train, fake_mnist.arrays["train_labels"][:7])
    assert ds.provenance["params"] == {"n_train": 7, "n_test": 3}


@pytest.mark.parametrize("params", [{"n_train": 0}, {"n_test": "ten"}, {"n_train": 31}, {"n_tran": 5}])
def test_bad_params(fake_mnist, tmp_path, params):
    with pytest.raises(UserError, match="n_t"):
        load_dataset("mnist", ctx=_ctx(fake_mnist, tmp_path), **params)


def test_count_mismatch(fake_mnist, tmp_path):
    write_idx(fake_mnist.path("train_labels"), fake_mnist.arrays["train_labels"][:-1])
    fake_mnist.files["train_labels"] = (MNIST_NAMES["train_labels"], sha256_path(fake_mnist.path("train_labels")))
    with pytest.raises(DataError, match="30 images but .* 29 labels") as err:
        MNIST().load(_ctx(fake_mnist, tmp_path))
    assert str(fake_mnist.path("train_labels")) in str(err.value)


def test_labels_in_images_slot(fake_mnist, tmp_path):
    name = MNIST_NAMES["test_images"]
    fake_mnist.path("test_images").write_bytes(fake_mnist.path("test_labels").read_bytes())
    fake_mnist.files["test_images"] = (name, sha256_path(fake_mnist.path("test_images")))
    with pytest.raises(DataError, match="0x00000803") as err:
        MNIST().load(_ctx(fake_mnist, tmp_path))
    assert name in str(err.value)


def test_download_with_mirror_fallback(fake_mnist, tmp_path, http_server, monkeypatch):
    http_server.files.update(fake_mnist.blobs())
    mirrors = (http_server.url("missing"), http_server.url("corrupt"), http_server.url("good"))
    monkeypatch.setattr(MNIST, "mirrors", mirrors)
    ctx = DataContext(data_dirs=[], cache_dir=tmp_path / "cache", download=True)
    ds = MNIST().load(ctx)
    np.testing.assert_array_equal(ds.y_train, fake_mnist.arrays["train_labels"])
    for role, (name, _) in fake_mnist.files.items():
        assert ds.provenance["files"][role]["path"] == str(ctx.cache_dir / "mnist" / name)
        assert [p for p in http_server.log if p.endswith(name)] == [f"/missing/{name}", f"/corrupt/{name}", f"/good/{name}"]
    leftovers = sorted(p.name for p in (ctx.cache_dir / "mnist").iterdir() if p.is_file())
    assert leftovers == sorted(MNIST_NAMES.values())
    n = len(http_server.log)
    MNIST().load(ctx)
    assert len(http_server.log) == n


def test_offline_error_lists_every_file_place_and_url(fake_mnist, tmp_path, http_server, monkeypatch):
    monkeypatch.setenv("CLASSBENCH_OFFLINE", "1")
    mirrors = (http_server.url("good"), "https://mirror-two.example/mnist/")
    monkeypatch.setattr(MNIST, "mirrors", mirrors)
    empty = tmp_path / "empty"
    ctx = DataContext(data_dirs=[empty], cache_dir=tmp_path / "cache", download=True)
    with pytest.raises(DataError) as err:
        load_dataset("mnist", ctx=ctx)
    msg = str(err.value)
    for name in MNIST_NAMES.values():
        for folder in (empty / "mnist", ctx.cache_dir / "mnist"):
            assert str(folder / name) in msg
        for m in mirrors:
            assert m + name in msg
    assert "CLASSBENCH_OFFLINE" in msg and "by hand" in msg
    assert http_server.log == []


def test_locate_rejects_wrong_checksum(fake_mnist, tmp_path):
    fake_mnist.path("test_labels").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x00")
    with pytest.raises(DataError, match="checksum mismatch") as err:
        MNIST().locate(_ctx(fake_mnist, tmp_path))
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value)


def test_verify_and_info(fake_mnist, tmp_path):
    ctx = _ctx(fake_mnist, tmp_path)
    fake_mnist.path("test_labels").unlink()
    fake_mnist.path("train_labels").write_bytes(b"tampered")
    status = dict(MNIST().verify(ctx))
    assert status["train-images-idx3-ubyte.gz"] == f"ok: {fake_mnist.path('train_images')}"
    assert status["train-labels-idx1-ubyte.gz"].startswith("checksum mismatch: " + str(fake_mnist.path("train_labels")))
    assert status["t10k-labels-idx1-ubyte.gz"].startswith("missing: searched ")
    assert str(ctx.cache_dir / "mnist") in status["t10k-labels-idx1-ubyte.gz"]
    info = MNIST().info(ctx)
    assert info["name"] == "mnist" and info["n_train"] == 60000 and list(info["mirrors"]) == list(MNIST.mirrors)
    found = {f["file"]: f["found"] for f in info["files"]}
    assert found["t10k-labels-idx1-ubyte.gz"] is None
    assert found["t10k-images-idx3-ubyte.gz"] == str(fake_mnist.path("test_images"))


def test_fetch_returns_the_four_files(fake_mnist, tmp_path):
    paths = MNIST().fetch(_ctx(fake_mnist, tmp_path))
    assert sorted(p.name for p in paths) == sorted(MNIST_NAMES.values())


def test_import_is_light():
    code = (
        "import sys, classbench.datasets.mnist, classbench.datasets._fetch, classbench.datasets.idx;"
        "heavy = [m for m in ('torch', 'sklearn', 'tqdm', 'matplotlib') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ----------------------------------------------------------------------------------------- real data
def _real_ctx(tmp_path: Path) -> DataContext:
    if not os.environ.get("CLASSBENCH_DATA"):
        pytest.skip("set CLASSBENCH_DATA to the folder holding mnist/ to run the real-MNIST tests")
    ctx = DataContext.from_env(download=False)
    ctx.cache_dir = tmp_path / "cache"
    if not any((d / "mnist" / MNIST_NAMES["train_images"]).exists() for d in ctx.data_dirs):
        pytest.skip(f"no mnist/ folder in CLASSBENCH_DATA={os.environ['CLASSBENCH_DATA']}")
    return ctx


@pytest.mark.realdata
def test_real_mnist(tmp_path):
    ctx = _real_ctx(tmp_path)
    assert all(status.startswith("ok: ") for _, status in MNIST().verify(ctx))
    t0 = time.perf_counter()
    ds = load_dataset("mnist", ctx=ctx)
    first = time.perf_counter() - t0
    assert ds.X_train.shape == (60000, 1, 28, 28) and ds.X_test.shape == (10000, 1, 28, 28)
    assert ds.X_train.dtype == np.float32 and 0.0 <= ds.X_train.min() and ds.X_train.max() == 1.0
    assert np.bincount(ds.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(ds.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    cached = []
    for _ in range(2):  # best of two cached loads, so one hiccup on a shared CI machine does not fail it
        t0 = time.perf_counter()
        again = load_dataset("mnist", ctx=ctx)
        cached.append(time.perf_counter() - t0)
        assert again.meta["cache_hit"] is True
    print(f"real MNIST load: first {first:.2f} s, cached {cached[0]:.2f} s / {cached[1]:.2f} s")
    assert min(cached) <= 2.0, f"loads from the parsed cache took {cached} s (limit 2 s)"
    np.testing.assert_array_equal(again.y_train, ds.y_train)
    small = load_dataset("mnist", ctx=ctx, n_train=1000, n_test=500)
    assert len(small.y_train) == 1000 and len(small.y_test) == 500
