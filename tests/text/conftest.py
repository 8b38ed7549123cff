"""Small generated aclImdb trees and tarballs (good and malicious) for the loader tests."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

POS_WORDS = ["great", "wonderful", "loved", "superb", "brilliant"]
NEG_WORDS = ["awful", "boring", "hated", "worst", "dreadful"]
FILLER = "the a movie film plot actor was is and it of this story".split()


def review(label: str, rng: np.random.Generator) -> str:
    words = list(rng.choice(FILLER, int(rng.integers(4, 30))))
    for _ in range(int(rng.integers(1, 3))):
        words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(POS_WORDS if label == "pos" else NEG_WORDS)))
    return " ".join(words).capitalize() + ("!<br /><br />A must see." if label == "pos" else ".<br />Skip it.")


def make_texts(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n synthetic reviews (object array of str) and their labels "neg"/"pos", alternating."""
    rng = np.random.default_rng(seed)
    labels = np.array(["neg", "pos"] * (n // 2) + ["neg"] * (n % 2))
    return np.array([review(lab, rng) for lab in labels], dtype=object), labels


def layout(n_per: int = 3, seed: int = 0) -> dict[str, bytes]:
    """relative path -> bytes of a tiny aclImdb: n_per reviews in each of train/test x pos/neg, plus extras."""
    rng = np.random.default_rng(seed)
    files: dict[str, bytes] = {"aclImdb/README": b"readme", "aclImdb/imdb.vocab": b"the\nmovie\n"}
    for split in ("train", "test"):
        for label, ratings in (("neg", (1, 2, 3, 4)), ("pos", (7, 8, 9, 10))):
            for i in range(n_per):
                files[f"aclImdb/{split}/{label}/{i}_{ratings[i % 4]}.txt"] = review(label, rng).encode()
    files["aclImdb/train/unsup/0_0.txt"] = b"unlabelled review, never read"
    files["aclImdb/train/labeledBow.feat"] = b"0 0:1\n"
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def write_tar(path: Path, files: dict[str, bytes], extra: list[tarfile.TarInfo] | None = None) -> Path:
    """A .tar.gz with ``files`` (regular members, directories implied) and ``extra`` raw members."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tf:
        for rel, data in files.items():
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tf.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return path


@pytest.fixture
def imdb_files() -> dict[str, bytes]:
    return layout()
