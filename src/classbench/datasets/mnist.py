"""MNIST from the four canonical IDX gz files (LeCun, Cortes, Burges), with a parsed-array cache.

Files are found through ``DataContext`` (data dirs, then the cache) or downloaded from ``mirrors`` in
order, each checked against its sha256. After the first parse the uint8 arrays are saved as ``.npy`` in
``<cache>/mnist/parsed-<hash of the four sha256s>/`` with a manifest holding each array's shape and
sha256; a cache that fails any check is rebuilt from the IDX files.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from . import DATASETS
from .base import DataContext, Dataset, DatasetSource

_CACHE_FORMAT = "mnist-parsed-v1"
_ROLES = ("train_images", "train_labels", "test_images", "test_labels")


@DATASETS.register("mnist")
class MNIST(DatasetSource):
    name = "mnist"
    modality = "image"
    summary = "MNIST handwritten digits: 60,000 train / 10,000 test 28x28 grey images, 10 classes"
    source = (
        "Y. LeCun, C. Cortes, C. J. C. Burges, The MNIST database of handwritten digits, "
        "http://yann.lecun.com/exdb/mnist/ (CC BY-SA 3.0)"
    )
    #: mirror base URLs, tried in order (a file's URL is base + file name)
    mirrors: tuple[str, ...] = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    #: role -> (file name, sha256 of the .gz file)
    files: dict[str, tuple[str, str]] = {
        "train_images": (
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        "train_labels": (
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        "test_images": (
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        "test_labels": (
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    }
    n_classes = 10
    param_space = {
        "n_train": Param(int, low=1, nullable=True, doc="keep only the first N training images (None: all)"),
        "n_test": Param(int, low=1, nullable=True, doc="keep only the first N test images (None: all)"),
    }

    # ------------------------------------------------------------------------------------------ files
    def _specs(self) -> list[Any]:
        from ._fetch import FileSpec

        return [
            FileSpec(fname, sha, tuple(m.rstrip("/") + "/" + fname for m in self.mirrors))
            for fname, sha in (self.files[r] for r in _ROLES)
        ]

    def locate(self, ctx: DataContext) -> dict[str, Path]:
        """role -> path of each of the four files (found or downloaded; nothing is parsed)."""
        from ._fetch import ensure_files

        by_name = ensure_files(ctx, self.name, self._specs())
        return {role: by_name[self.files[role][0]] for role in _ROLES}

    def fetch(self, ctx: DataContext) -> list[Path]:
        return list(self.locate(ctx).values())

    def verify(self, ctx: DataContext) -> list[tuple[str, str]]:
        """(file, status) per file, re-hashing every copy.

        Status starts with "ok: PATH", "missing: searched ...", "checksum mismatch: ..." or "unreadable: ...".
        """
        from ._fetch import search_file

        out = []
        for role in _ROLES:
            fname, sha = self.files[role]
            s = search_file(ctx, self.name, fname, sha, use_cache=False)
            bad = s.mismatches
            if s.found is not None:
                status = f"ok: {s.found}"
                if bad:
                    status += "; also " + ", ".join(p.describe() for p in bad)
            elif bad:
                status = f"{bad[0].status}: " + ", ".join(p.describe() for p in bad)
            else:
                status = "missing: searched " + ", ".join(str(p.path) for p in s.probes)
            out.append((fname, status))
        return out

    def info(self, ctx: DataContext) -> dict[str, Any]:
        from ._fetch import search_file

        d = super().info(ctx)
        d.update(
            n_train=60000,
            n_test=10000,
            n_classes=10,
            input_shape=[1, 28, 28],
            classes=[str(i) for i in range(10)],
            mirrors=list(self.mirrors),
            params={k: p.describe() for k, p in self.param_space.items()},
        )
        files = []
        for role in _ROLES:
            fname, sha = self.files[role]
            s = search_file(ctx, self.name, fname, sha)
            files.append({"file": fname, "sha256": sha, "found": str(s.found) if s.found else None})
        d["files"] = files
        return d

    # ------------------------------------------------------------------------------------------ cache
    def parsed_cache_dir(self, ctx: DataContext) -> Path:
        key = hashlib.sha256(
            "\n".join([_CACHE_FORMAT] + [self.files[r][1].lower() for r in _ROLES]).encode()
        ).hexdigest()[:16]
        return ctx.cache_dir / self.name / f"parsed-{key}"

    def _read_cache(self, folder: Path) -> dict[str, np.ndarray] | None:
        """The four arrays if the cache is complete and every array matches its manifest, else None."""
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            if manifest.get("format") != _CACHE_FORMAT:
                return None
            arrays = {}
            for role in _ROLES:
                want = manifest["arrays"][role]
                arr = np.load(folder / f"{role}.npy", allow_pickle=False)
                if (
                    arr.dtype != np.uint8
                    or list(arr.shape) != list(want["shape"])
                    or hashlib.sha256(np.ascontiguousarray(arr)).hexdigest() != want["sha256"]
                ):
                    return None
                arrays[role] = arr
            return arrays
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            return None

    def _write_cache(self, folder: Path, arrays: dict[str, np.ndarray]) -> None:
        from ._fetch import atomic_save_npy, atomic_write_bytes

        try:
            entries = {}
            for role in _ROLES:
                arr = np.ascontiguousarray(arrays[role])
                atomic_save_npy(folder / f"{role}.npy", arr)
                entries[role] = {"shape": list(arr.shape), "sha256": hashlib.sha256(arr).hexdigest()}
            manifest = {"format": _CACHE_FORMAT, "sources": {r: self.files[r][1] for r in _ROLES}, "arrays": entries}
            atomic_write_bytes(folder / "manifest.json", json.dumps(manifest, indent=1).encode())
        except OSError as exc:
            warnings.warn(
                f"mnist: could not write the parsed-array cache in {folder} ({exc}); loading will parse "
                f"the IDX files every time. Set CLASSBENCH_CACHE to a writable folder.",
                stacklevel=3,
            )

    def _parse(self, paths: dict[str, Path]) -> dict[str, np.ndarray]:
        from .idx import read_idx

        arrays = {}
        for split in ("train", "test"):
            images = read_idx(paths[f"{split}_images"], ndim=3)
            labels = read_idx(paths[f"{split}_labels"], ndim=1)
            if len(images) != len(labels):
                raise DataError(
                    f"mnist {split} split: {paths[f'{split}_images']} holds {len(images)} images but "
                    f"{paths[f'{split}_labels']} holds {len(labels)} labels. The two files do not belong "
                    f"together; replace them with the canonical files."
                )
            if labels.size and labels.max() >= self.n_classes:
                raise DataError(
                    f"mnist {split} labels in {paths[f'{split}_labels']} go up to {int(labels.max())}, but "
                    f"MNIST has classes 0..9 only. Replace the file with the canonical one."
                )
            arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
        return arrays

    # ------------------------------------------------------------------------------------------- load
    def load(self, ctx: DataContext, n_train: int | None = None, n_test: int | None = None, **_: Any) -> Dataset:
        paths = self.locate(ctx)
        folder = self.parsed_cache_dir(ctx)
        arrays = self._read_cache(folder)
        cache_hit = arrays is not None
        if arrays is None:
            arrays = self._parse(paths)
            self._write_cache(folder, arrays)
        out = {}
        for split, n in (("train", n_train), ("test", n_test)):
            images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
            if n is not None:
                if n > len(labels):
                    raise UserError(
                        f"dataset 'mnist': n_{split}={n} but the {split} split has only {len(labels)} "
                        f"images. Use a value up to {len(labels)}, or leave it unset for all of them."
                    )
                images, labels = images[:n], labels[:n]
            X = images[:, None, :, :].astype(np.float32)
            X /= 255.0
            out[split] = (X, labels.astype(np.int64))
        return Dataset(
            name=self.name,
            X_train=out["train"][0],
            y_train=out["train"][1],
            X_test=out["test"][0],
            y_test=out["test"][1],
            classes=[str(i) for i in range(self.n_classes)],
            modality="image",
            provenance={
                "source": self.source,
                "files": {
                    role: {"file": self.files[role][0], "sha256": self.files[role][1], "path": str(paths[role])}
                    for role in _ROLES
                },
                "params": {"n_train": n_train, "n_test": n_test},
            },
            meta={"parsed_cache": str(folder), "cache_hit": cache_hit},
        )
