"""textlines: (one text per line, one file per class) and fasttext: (__label__X text lines)."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.errors import DataError, UserError

from .conftest import load, write

POS = ["a great film", "loved every minute", "superb acting", "a joy to watch", "wonderful and moving",
       "brilliant script"]
NEG = ["awful", "boring plot", "a waste of time", "dull and long", "terrible acting", "I walked out"]


def test_one_file_per_class(tmp_path):
    write(tmp_path / "r" / "pos.txt", "\n".join(POS) + "\n\n")
    write(tmp_path / "r" / "neg.txt", "\n".join(NEG) + "\n")
    write(tmp_path / "r" / ".hidden", "not a class")
    ds = load(f"textlines:{tmp_path / 'r'}?test_fraction=0.34")
    assert ds.modality == "text" and ds.classes == ["neg", "pos"] and ds.X_train.dtype == object
    assert len(ds.y_train) + len(ds.y_test) == 12 and np.bincount(ds.y_test).tolist() == [2, 2]
    texts = dict(zip(list(ds.X_train) + list(ds.X_test), np.r_[ds.y_train, ds.y_test]))
    assert texts["boring plot"] == 0 and texts["brilliant script"] == 1
    assert ds.provenance["n_files"] == 2 and ds.meta["lines_test"][0].count(":") == 1
    # only some classes; a missing class name is named
    with pytest.raises(UserError, match=r"classes='pos,meh' names 'meh', which has no file"):
        load(f"textlines:{tmp_path / 'r'}?classes=pos,meh")


def test_train_and_test_folders_and_duplicates(tmp_path):
    for part, k in (("train", slice(0, 4)), ("test", slice(4, 6))):
        write(tmp_path / "s" / part / "pos.txt", "\n".join(POS[k]))
        write(tmp_path / "s" / part / "neg.txt", "\n".join(NEG[k]))
    ds = load(f"textlines:{tmp_path / 's'}")
    assert len(ds.y_train) == 8 and len(ds.y_test) == 4 and ds.provenance["split"] == "given train and test files"
    assert set(ds.X_test) == set(POS[4:] + NEG[4:])
    dup = tmp_path / "d"
    write(dup / "pos.txt", "\n".join(POS + ["same text"]))
    write(dup / "neg.txt", "\n".join(NEG + ["same text"]))
    ds = load(f"textlines:{dup}?test_fraction=0.5")
    assert ds.provenance["duplicate_files"] == 1 and ds.provenance["label_conflicts"]
    both = [g for g in set(ds.groups_train) if g in set(ds.groups_test)]
    assert both == []  # identical texts never straddle the split


def test_empty_class_file(tmp_path):
    write(tmp_path / "e" / "pos.txt", "\n".join(POS))
    write(tmp_path / "e" / "neg.txt", "\n".join(NEG))
    write(tmp_path / "e" / "meh.txt", "\n  \n")
    with pytest.raises(DataError, match=r"meh.txt holds no text .*skip_bad=true"):
        load(f"textlines:{tmp_path / 'e'}")
    assert load(f"textlines:{tmp_path / 'e'}?skip_bad=true").classes == ["neg", "pos"]


def test_fasttext_lines(tmp_path):
    lines = [f"__label__pos {t}" for t in POS] + [f"__label__neg {t}" for t in NEG]
    path = write(tmp_path / "train.txt", "\n".join(lines[::2] + lines[1::2]) + "\n")
    ds = load(f"fasttext:{path}?test_fraction=0.34")
    assert ds.classes == ["neg", "pos"] and len(ds.y_train) + len(ds.y_test) == 12
    assert "__label__" not in " ".join(ds.X_train) and "great" in " ".join(list(ds.X_train) + list(ds.X_test))
    test = write(tmp_path / "test.txt", "__label__pos just great\n__label__neg just bad\n")
    ds = load(f"fasttext:{path}?test_file={test}")
    assert len(ds.y_train) == 12 and list(ds.X_test) == ["just great", "just bad"] and ds.y_test.tolist() == [1, 0]
    custom = write(tmp_path / "c.txt", "".join(f"#{c} text {i}\n" for i, c in enumerate("ababab")))
    assert load(f"fasttext:{custom}?label_prefix=%23&test_fraction=0.34").classes == ["a", "b"]


@pytest.mark.parametrize("bad, why", [
    ("no label here", r"line 3 has no label \(a leading word __label__X\)"),
    ("__label__pos __label__neg both", r"line 3 has 2 labels \(pos, neg\)"),
    ("__label__pos", r"line 3 has a label but no text"),
])
def test_fasttext_bad_lines_name_their_line(tmp_path, bad, why):
    lines = [f"__label__pos {t}" for t in POS[:2]] + [bad] + [f"__label__neg {t}" for t in NEG[:4]] + \
        [f"__label__pos {t}" for t in POS[2:4]]
    path = write(tmp_path / "f.txt", "\n".join(lines))
    with pytest.raises(DataError, match=r"f.txt " + why):
        load(f"fasttext:{path}")
    ds = load(f"fasttext:{path}?skip_bad=true&test_fraction=0.25")
    assert len(ds.y_train) + len(ds.y_test) == 8 and ds.provenance["n_skipped"] == 1
