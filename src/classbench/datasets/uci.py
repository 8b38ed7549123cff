"""The classic UCI tables of Weka's data folder as named datasets (``iris``, ``credit-g``, ``segment``, ...).

Each is read from ``DIR/weka-arff/FILE.arff`` in the data folders (``--data-dir``, ``CLASSBENCH_DATA``,
then the cache), like every dataset, and a copy is used only when its row count and per-class counts
are the ones below (another Weka version's file with other rows is reported and skipped). Without a
good local copy, the tables that OpenML holds (same files, uploaded from Weka's folder) are fetched
from OpenML by id through ``openml:ID`` (md5-verified, cached), and validated the same way.

Splits: ``segment`` (and the Reuters text sets) come as fixed train and test files: that is the split.
Every other table is one file: a seeded stratified holdout (``test_fraction``, ``split_seed``), the
convention of the other datasets; the ``uci`` suite cross-validates over all rows instead. From OpenML,
``segment`` is one pooled file (2,310 rows), so it gets a stratified holdout too (said in the provenance).

``diabetes`` is already scikit-learn's regression set here, so Weka's Pima Indians table is
``pima-diabetes``. ``UCI_NAMES`` lists the classification tables (what the ``uci`` suite runs);
``TEXT_NAMES`` and ``REGRESSION_NAMES`` the others.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..params import Param
from . import DATASETS
from .base import DataContext, Dataset, DatasetSource

FOLDER = "weka-arff"


@dataclass(frozen=True)
class UciSpec:
    """One named table: its file(s) (train, then test if fixed), expected rows per file and class counts
    over all rows (classification; empty for regression), and its OpenML id (None: local only)."""

    name: str
    files: tuple[str, ...]
    rows: tuple[int, ...]
    classes: dict[str, int]
    openml: int | None
    summary: str
    modality: str = "tabular"
    task: str = "classification"


def _c(names: str, counts: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(names.split("|"), counts))


SPECS = [
    UciSpec("breast-cancer", ("breast-cancer",), (286,), _c("no-recurrence-events|recurrence-events", (201, 85)), 13,
            "UCI breast cancer (Ljubljana): 286 rows, 9 nominal attributes, missing values, 2 classes"),
    UciSpec("contact-lenses", ("contact-lenses",), (24,), _c("soft|hard|none", (5, 4, 15)), None,
            "UCI contact lenses: 24 rows, 4 nominal attributes, 3 classes (tiny)"),
    UciSpec("credit-g", ("credit-g",), (1000,), _c("good|bad", (700, 300)), 31,
            "UCI German credit: 1,000 rows, 7 numeric + 13 nominal attributes, 2 classes"),
    UciSpec("pima-diabetes", ("diabetes",), (768,), _c("tested_negative|tested_positive", (500, 268)), 37,
            "UCI Pima Indians diabetes (Weka's diabetes.arff): 768 rows, 8 numeric attributes, 2 classes"),
    UciSpec("glass", ("glass",), (214,), _c("build wind float|build wind non-float|vehic wind float|containers|"
                                            "tableware|headlamps", (70, 76, 17, 13, 9, 29)), 41,
            "UCI glass identification: 214 rows, 9 numeric attributes, 6 classes"),
    UciSpec("hypothyroid", ("hypothyroid",), (3772,), _c("negative|compensated_hypothyroid|primary_hypothyroid|"
                                                         "secondary_hypothyroid", (3481, 194, 95, 2)), 57,
            "UCI thyroid disease (Garavan): 3,772 rows, 7 numeric + 22 nominal attributes, 4 classes, missing values"),
    UciSpec("ionosphere", ("ionosphere",), (351,), _c("b|g", (126, 225)), 59,
            "UCI ionosphere radar returns: 351 rows, 34 numeric attributes, 2 classes"),
    UciSpec("iris", ("iris",), (150,), _c("Iris-setosa|Iris-versicolor|Iris-virginica", (50, 50, 50)), 61,
            "Fisher's iris: 150 rows, 4 numeric attributes, 3 classes"),
    UciSpec("labor", ("labor",), (57,), _c("bad|good", (20, 37)), 4,
            "UCI labor negotiations: 57 rows, 8 numeric + 8 nominal attributes, most values missing, 2 classes"),
    UciSpec("segment", ("segment-challenge", "segment-test"), (1500, 810),
            _c("brickface|sky|foliage|cement|window|path|grass", (330,) * 7), 36,
            "UCI image segmentation: 1,500 train + 810 test rows (Weka's fixed split), 19 numeric attributes, 7 classes"),
    UciSpec("soybean", ("soybean",), (683,), _c(
        "diaporthe-stem-canker|charcoal-rot|rhizoctonia-root-rot|phytophthora-rot|brown-stem-rot|powdery-mildew|"
        "downy-mildew|brown-spot|bacterial-blight|bacterial-pustule|purple-seed-stain|anthracnose|"
        "phyllosticta-leaf-spot|alternarialeaf-spot|frog-eye-leaf-spot|diaporthe-pod-&-stem-blight|cyst-nematode|"
        "2-4-d-injury|herbicide-injury", (20, 20, 20, 88, 44, 20, 20, 92, 20, 20, 20, 44, 20, 91, 91, 15, 14, 16, 8)),
        42, "UCI soybean disease: 683 rows, 35 nominal attributes, missing values, 19 classes"),
    UciSpec("unbalanced", ("unbalanced",), (856,), _c("Active|Inactive", (12, 844)), None,
            "Weka's unbalanced: 856 rows, 32 numeric attributes, 2 classes (12 positives)"),
    UciSpec("vote", ("vote",), (435,), _c("democrat|republican", (267, 168)), 56,
            "UCI 1984 congressional votes: 435 rows, 16 nominal (y/n) attributes, missing values, 2 classes"),
    UciSpec("weather-nominal", ("weather.nominal",), (14,), _c("yes|no", (9, 5)), None,
            "Weka's textbook weather table: 14 rows, 4 nominal attributes, 2 classes (toy)"),
    UciSpec("reuters-corn", ("ReutersCorn-train", "ReutersCorn-test"), (1554, 604), _c("0|1", (2089, 69)), None,
            "Reuters-21578 ModApte texts, corn (1) vs the rest (0): 1,554 train / 604 test documents", "text"),
    UciSpec("reuters-grain", ("ReutersGrain-train", "ReutersGrain-test"), (1554, 604), _c("0|1", (1998, 160)), None,
            "Reuters-21578 ModApte texts, grain (1) vs the rest (0): 1,554 train / 604 test documents", "text"),
    UciSpec("cpu", ("cpu",), (209,), {}, None,
            "UCI relative CPU performance: 209 rows, 6 numeric attributes (regression)", task="regression"),
    UciSpec("cpu-vendor", ("cpu.with.vendor",), (209,), {}, None,
            "UCI relative CPU performance with the vendor: 209 rows, 6 numeric + 1 nominal (regression)",
            task="regression"),
]
BY_NAME = {s.name: s for s in SPECS}
#: the classification tables (the ``uci`` suite's datasets)
UCI_NAMES = [s.name for s in SPECS if s.modality == "tabular" and s.task == "classification"]
TEXT_NAMES = [s.name for s in SPECS if s.modality == "text"]
REGRESSION_NAMES = [s.name for s in SPECS if s.task == "regression"]


def _why_not(spec: UciSpec, tables: list[Any], target: str | None = None) -> str | None:
    """Why these tables are not ``spec``'s data (row or class counts differ), or None when they are."""
    rows = tuple(t.n_rows for t in tables)
    if len(tables) == len(spec.rows) and rows != spec.rows:
        return f"{' + '.join(map(str, rows))} rows, expected {' + '.join(map(str, spec.rows))}"
    if sum(rows) != sum(spec.rows):
        return f"{sum(rows)} rows, expected {sum(spec.rows)}"
    if spec.task == "classification":
        counts: Counter = Counter()
        for t in tables:
            labels, _ = t.column(target or t.names[-1]).labels()
            counts.update(v for v in labels if v is not None)
        if dict(counts) != spec.classes:
            return f"class counts {dict(counts)}, expected {spec.classes}"
    return None


class UciTable(DatasetSource):
    """A named table of Weka's data folder (subclassed once per ``UciSpec``)."""

    spec: UciSpec
    scheme = "uci"
    param_space = {
        "test_fraction": Param(float, low=0.0, high=0.9, low_open=True,
                               doc="share held out for test (one-file tables; segment has its own split)"),
        "split_seed": Param(int, low=0, doc="seed of the stratified train/test split"),
    }

    def __init__(self) -> None:
        self._got: tuple[list[Any], str, list[Path], str | None] | None = None

    @property
    def path(self) -> str:
        return f"{FOLDER}/{self.spec.files[0]}.arff"

    def _local(self, ctx: DataContext, probes: list[str]) -> tuple[list[Any], list[Path]] | None:
        from .tables.arff import read_arff

        for folder in ctx.candidates(FOLDER):
            paths = [folder / f"{f}.arff" for f in self.spec.files]
            missing = [p.name for p in paths if not p.is_file()]
            if missing:
                probes.append(f"{folder} (no {', '.join(missing)})")
                continue
            try:
                tables = [read_arff(self.name, p) for p in paths]
            except DataError as exc:
                probes.append(f"{folder} (unreadable: {exc})")
                continue
            why = _why_not(self.spec, tables)
            if why is None:
                return tables, paths
            probes.append(f"{folder} ({why}; not used)")
            warnings.warn(f"{self.name}: ignoring {', '.join(map(str, paths))}: {why}. Another copy is used if one "
                          f"is found.", stacklevel=3)
        return None

    def _tables(self, ctx: DataContext) -> tuple[list[Any], str, list[Path], str | None]:
        """(tables, "local" | "openml", their files, the target column (None: the last)), cached."""
        if self._got is not None:
            return self._got
        probes: list[str] = []
        local = self._local(ctx, probes)
        if local is not None:
            self._got = (local[0], "local", local[1], None)
            return self._got
        put = (f"Put Weka's {', '.join(f + '.arff' for f in self.spec.files)} into DIR/{FOLDER}/ for a folder DIR "
               f"given with --data-dir or CLASSBENCH_DATA (Weka's data/ folder holds them)")
        if self.spec.openml is None:
            raise DataError(f"Dataset {self.name!r}: no usable copy found. Searched: {'; '.join(probes)}. {put}.")
        from .tables.arff import read_arff
        from .tables.openml import OpenMLSource

        source = OpenMLSource(f"openml:{self.spec.openml}", str(self.spec.openml))
        try:
            path = source.locate(ctx)
        except DataError as exc:
            raise DataError(f"Dataset {self.name!r}: no usable copy in the data folders (searched: "
                            f"{'; '.join(probes)}), and fetching it from OpenML (id {self.spec.openml}) failed: "
                            f"{exc} Or: {put}.") from None
        table = read_arff(self.name, path)
        target = str(source._found.description.get("default_target_attribute") or table.names[-1])  # type: ignore[union-attr]
        why = _why_not(self.spec, [table], target)
        if why is not None:
            raise DataError(f"Dataset {self.name!r}: OpenML's dataset {self.spec.openml} ({path}) has {why}, so it is "
                            f"not the table this name stands for; not used. {put}.")
        self._got = ([table], "openml", [path], target)
        return self._got

    def locate(self, ctx: DataContext) -> list[Path]:
        return self._tables(ctx)[2]

    def fetch(self, ctx: DataContext) -> list[Path]:
        """The files (downloaded from OpenML when no local copy is good); tables OpenML lacks are only warned
        about, so that ``classbench data fetch`` goes on with the other datasets."""
        try:
            return self.locate(ctx)
        except DataError as exc:
            if self.spec.openml is not None:
                raise
            warnings.warn(str(exc), stacklevel=2)
            return []

    def verify(self, ctx: DataContext) -> list[tuple[str, str]]:
        """(file, status) of the copy that would be used; never downloads."""
        try:
            tables, where, paths, _ = self._tables(dataclasses.replace(ctx, download=False))
        except DataError as exc:
            return [(self.path, f"missing: {exc}")]
        return [(p.name, f"ok: {p} ({where}, {t.n_rows} rows as expected)") for p, t in zip(paths, tables)]

    def info(self, ctx: DataContext) -> dict[str, Any]:
        d = super().info(ctx)
        d.update(files=[f"{f}.arff" for f in self.spec.files], rows=list(self.spec.rows), task=self.spec.task,
                 class_counts=self.spec.classes, openml_id=self.spec.openml)
        return d

    def load(self, ctx: DataContext, test_fraction: float = 0.25, split_seed: int = 0, **_: Any) -> Dataset:
        from ._fetch import sha256_file
        from .byo_csv import text_dataset
        from .byo_tables import labels_and_split, tabular_dataset, targets_and_split

        tables, where, paths, target = self._tables(ctx)
        table = _stack(tables) if len(tables) > 1 else tables[0]
        target = target or tables[0].names[-1]
        fixed = len(tables) > 1
        p = {"test_fraction": test_fraction, "split_seed": split_seed, "split_column": "split" if fixed else "",
             "skip_bad": False, "drop": None, "categorical": None, "max_categories": None, "task": self.spec.task}
        if self.spec.task == "regression":
            sp = targets_and_split(self, table, target, p)  # type: ignore[arg-type]
        else:
            sp = labels_and_split(self, table, target, p, "rows", None)  # type: ignore[arg-type]
        prov = {"source": f"uci:{self.name}", "copy": where, "files": {str(q): sha256_file(q) for q in paths},
                "openml_id": self.spec.openml, "fixed_split": fixed}
        if fixed:
            sp.how = f"Weka's fixed train and test files ({', '.join(q.name for q in paths)})"
        if self.spec.modality == "text":
            text = next(c.name for c in table.columns if c.kind == "string")
            return text_dataset(self, table, text, target, sp, {**prov, "params": p})
        return tabular_dataset(self, table, p, target, sp, prov, [])  # type: ignore[arg-type]


def _stack(tables: list[Any]) -> Any:
    """One table of the rows of ``tables`` (same attributes) with a "split" column: train, then test."""
    import numpy as np

    from .tables.raw import Column, RawTable

    first = tables[0]
    for t in tables[1:]:
        if [(c.name, c.kind, c.categories) for c in t.columns] != [(c.name, c.kind, c.categories) for c in first.columns]:
            raise DataError(f"{t.path} does not declare the same attributes as {first.path}; they cannot be one dataset.")
    columns = [Column(c.name, c.kind, np.concatenate([t.columns[j].values for t in tables]), c.categories)
               for j, c in enumerate(first.columns)]
    split = np.array(["train"] * first.n_rows + ["test"] * sum(t.n_rows for t in tables[1:]), dtype=object)
    columns.append(Column("split", "raw", split))
    places = [p for t in tables for p in t.places]
    return RawTable(first.path, columns, places, first.unit, first.fmt, dict(first.details))


for _spec in SPECS:
    _cls = type(f"Uci_{_spec.name.replace('-', '_')}", (UciTable,),
                {"spec": _spec, "name": _spec.name, "modality": _spec.modality, "task": _spec.task,
                 "summary": _spec.summary, "source": f"Weka data/{_spec.files[0]}.arff (UCI ML Repository)"
                 + (f"; OpenML {_spec.openml}" if _spec.openml else "")})
    globals()[_cls.__name__] = _cls
    DATASETS.register(_spec.name)(_cls)
