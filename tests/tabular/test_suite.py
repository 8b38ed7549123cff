"""The `uci` suite: every UCI table, every scikit-learn tabular model, 10-fold CV, segment on its own split."""

from __future__ import annotations

import os

import pytest

from classbench.config import ProtocolSpec, load_suite, parse_suite
from classbench.models import MODELS, create_model


def test_uci_suite_covers_every_table_and_tabular_model():
    from classbench.datasets.uci import UCI_NAMES

    suite = load_suite("uci")
    assert {d.name for d in suite.datasets} == set(UCI_NAMES)
    tabular = {e.name for e in MODELS if e.meta.get("family") == "sklearn"
               and "tabular" in (e.meta.get("modalities") or ()) and e.meta.get("task", "classification") == "classification"
               and e.name != "ridge-regression"}
    assert {m.name for m in suite.models} == tabular
    for m in suite.models:
        create_model(m.name, **m.kwargs)  # every setting is accepted
    kfold10 = ProtocolSpec(kind="kfold", k=10)
    for d in suite.datasets:
        assert suite.protocol_for(d) == (ProtocolSpec(kind="holdout") if d.name == "segment" else kfold10)


def test_a_dataset_may_have_its_own_protocol_and_it_survives_a_round_trip():
    s = parse_suite({"datasets": ["a", {"name": "b", "params": {"x": 1}, "protocol": "holdout"}],
                     "models": ["logreg"], "protocol": {"kind": "kfold", "k": 3}})
    assert s.protocol_for(s.datasets[0]).kind == "kfold" and s.protocol_for(s.datasets[1]).kind == "holdout"
    again = parse_suite(s.to_dict())
    assert again.dataset_protocols == s.dataset_protocols


@pytest.mark.realdata
@pytest.mark.skipif(not os.environ.get("CLASSBENCH_DATA"), reason="needs CLASSBENCH_DATA")
def test_uci_plan_has_ten_folds_per_table_and_one_for_segment():
    from collections import Counter

    from classbench.bench.runner import plan
    from classbench.datasets import DataContext

    suite = load_suite("uci")
    trials = plan(suite, DataContext.from_env())
    folds = Counter((t.spec.dataset.name, t.spec.n_folds) for t in trials)
    n_models = len(suite.models)
    assert folds[("segment", 1)] == n_models
    assert all(n == 10 * n_models for (name, k), n in folds.items() if name != "segment")
    assert len(trials) == n_models * (10 * (len(suite.datasets) - 1) + 1)
