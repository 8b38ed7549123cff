"""Scheme names through the runner and the CLI."""

from __future__ import annotations

import csv
import json

import pytest

import classbench.datasets as cbd
from classbench.bench import runner
from classbench.cli import main
from classbench.config import DatasetSpec, ModelSpec, SuiteSpec
from classbench.datasets.byo import resolve_scheme
from classbench.errors import UserError

from .conftest import make_image_folder, write_csv


def _hook_wired(name: str) -> bool:
    """Whether classbench.datasets.get_source itself resolves scheme names (trial workers need that)."""
    try:
        return type(cbd.get_source(name)) is type(resolve_scheme(name))
    except UserError:
        return False


def test_plan_checks_params_and_modality_of_scheme_datasets(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "get_source", resolve_scheme)
    path = write_csv(tmp_path / "t.csv", ["x", "y"], [[i, "ab"[i % 2]] for i in range(8)])
    ctx = cbd.DataContext(data_dirs=[], download=False)
    suite = SuiteSpec("s", (DatasetSpec(f"csv:{path}?target=y"),), (ModelSpec("logreg"),), seeds=(0, 1))
    assert len(runner.plan(suite, ctx)) == 2
    bad = SuiteSpec("s", (DatasetSpec(f"csv:{path}?target=y"),), (ModelSpec("lenet5"),))
    with pytest.raises(UserError, match=r"Model 'lenet5' takes image data, but dataset 'csv:.*' is tabular"):
        runner.plan(bad, ctx)
    no_target = SuiteSpec("s", (DatasetSpec(f"csv:{path}"),), (ModelSpec("logreg"),))
    with pytest.raises(UserError, match=r"say which column holds the class labels.*'x', 'y'"):
        runner.plan(no_target, ctx)


def test_cli_run_on_an_image_folder(tmp_path):
    root = make_image_folder(tmp_path / "photos", n_classes=3, per_class=6, size=(12, 12))
    name = f"imagefolder:{root}?test_fraction=0.34"
    assert _hook_wired(name), "classbench.datasets.get_source must resolve scheme names"
    out = tmp_path / "out"
    assert main(["run", "--dataset", name, "--model", "logreg", "--out", str(out), "--no-report", "--quiet"]) == 0
    run_dir = next((out / "runs").iterdir())
    rows = list(csv.DictReader(open(run_dir / "leaderboard.csv")))
    assert len(rows) == 1 and rows[0]["status"] == "ok"
    # 3 classes of distinct shapes, 6 test images: chance is 1/3, a pixel or label mix-up shows as a miss
    assert float(rows[0]["accuracy"]) == 1.0, rows[0]["accuracy"]
    assert main(["data", "info", name]) == 0


def test_cli_data_info(tmp_path, capsys):
    root = make_image_folder(tmp_path / "photos", n_classes=2, per_class=3)
    name = f"imagefolder:{root}"
    assert _hook_wired(name), "classbench.datasets.get_source must resolve scheme names"
    assert main(["data", "info", name]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["classes"] == ["c00", "c01"] and info["n_files"] == 6 and info["modality"] == "image"
