"""Search spaces derived from declared param_space, and the `tune` table / --tune flags."""

import pytest

from classbench.config import parse_suite
from classbench.errors import UserError
from classbench.params import check_params
from classbench.tune.space import derive_space
from classbench.tune.spec import TuneSpec, effective, parse_tune


def _sample_edges(model, space):
    """Every dim's low/high or every choice, decoded: the model must accept them all."""
    from classbench.models import MODELS

    cls = MODELS.get(model)
    for name, d in space.items():
        values = [d.decode(c) for c in d.distribution().choices] if d.kind == "cat" else [d.low, d.high]
        for v in values:
            check_params(model, cls.param_space, {name: v})


def test_ranges_choices_log_and_exclusions(plugin):
    s = derive_space("tune-ranged")
    assert set(s) == {"lr", "width", "layers", "depth", "n", "flag"}  # not: unbounded, verbose, random_state
    assert (s["lr"].kind, s["lr"].low, s["lr"].high, s["lr"].log) == ("float", 1e-4, 1e-1, True)
    assert (s["width"].low, s["width"].high, s["width"].log) == (0.5, 1.5, False)  # declared, narrower
    assert (s["n"].kind, s["n"].low, s["n"].high, s["n"].log) == ("int", 1, 5, False)  # derived from the range
    assert s["flag"].choices == (False, True)
    assert s["layers"].distribution().choices == ("8", "16x8") and s["layers"].decode("16x8") == [16, 8]
    assert s["depth"].distribution().choices == (None, 2, 4)
    _sample_edges("tune-ranged", s)


def test_fixed_and_only(plugin):
    assert "lr" not in derive_space("tune-ranged", fixed={"lr": 0.1})
    assert set(derive_space("tune-ranged", only=("width", "n"))) == {"width", "n"}
    with pytest.raises(UserError, match="'unbounded' has no finite range.*TuneRange"):
        derive_space("tune-ranged", only=("unbounded",))
    with pytest.raises(UserError, match="'nope' is not a parameter"):
        derive_space("tune-ranged", only=("nope",))
    with pytest.raises(UserError, match="'lr' is fixed"):
        derive_space("tune-ranged", fixed={"lr": 0.1}, only=("lr",))
    with pytest.raises(UserError, match="no hyperparameter to tune"):
        derive_space("tune-nothing")


def test_registered_models_spaces():
    lr = derive_space("logreg")
    assert set(lr) == {"C", "standardize"} and lr["C"].log and (lr["C"].low, lr["C"].high) == (1e-3, 1e3)
    rbf = derive_space("rbf-svm")
    assert set(rbf) == {"C", "gamma", "standardize"}  # method and degree are not searched for the RBF kernel
    assert "degree" in derive_space("poly-svm")
    rf = derive_space("random-forest")
    assert set(rf) == {"n_estimators", "max_depth", "max_features"}
    mlp = derive_space("mlp")
    assert {"lr", "hidden", "dropout", "optimizer", "activation"} <= set(mlp)
    assert not {"epochs", "device", "precision", "verbose", "validation_fraction", "random_state"} & set(mlp)
    assert set(derive_space("lenet5")) >= {"lr", "activation", "pooling", "augment"}
    for model in ("logreg", "linear-svm", "rbf-svm", "poly-svm", "random-forest", "mlp", "lenet5", "scratch-mlp"):
        _sample_edges(model, derive_space(model))


def test_tune_table_parsing():
    assert parse_tune(30, "x") == TuneSpec(trials=30)
    assert parse_tune({"timeout": 60, "inner": "kfold:3"}, "x").inner_kind() == ("kfold", 3)
    assert parse_tune({"params": ["C"]}, "x", TuneSpec(trials=5)) == TuneSpec(trials=5, params=("C",))
    assert parse_tune(False, "x") is False
    for bad, msg in (({"trials": 0}, "trials must be an integer >= 1"), ({}, "needs a budget"),
                     ({"trials": 3, "inner": "kfold:1"}, "not a validation scheme"),
                     ({"trials": 3, "inner": "holdout:1.5"}, "not a validation scheme"),
                     ({"trials": 3, "metric": "auc"}, "metric 'auc' is not known"),
                     ({"trails": 3}, "Did you mean 'trials'")):
        with pytest.raises(UserError, match=msg):
            parse_tune(bad, "suite.toml")


def test_suite_tune_tables_round_trip():
    data = {"name": "t", "datasets": ["digits"], "tune": {"trials": 10},
            "models": ["logreg", {"name": "rbf-svm", "tune": {"params": ["C"], "timeout": 30}},
                       {"name": "ridge", "tune": False}]}
    suite = parse_suite(data, "t.toml")
    assert effective(suite, 0) == TuneSpec(trials=10)
    assert effective(suite, 1) == TuneSpec(trials=10, timeout=30, params=("C",))
    assert effective(suite, 2) is None
    again = parse_suite(suite.to_dict(), "stored")
    assert again == suite
    plain = parse_suite({"name": "p", "datasets": ["digits"], "models": ["logreg"]}, "p.toml")
    assert "tune" not in plain.to_dict() and effective(plain, 0) is None


def test_cli_tune_flags_are_checked(tmp_path, capsys):
    from classbench.cli import main

    assert main(["run", "--dataset", "digits", "--model", "logreg", "--tune", "0", "--out", str(tmp_path)]) == 2
    assert "trials must be an integer >= 1" in capsys.readouterr().err
    assert main(["run", "--resume", "X", "--tune", "3", "--out", str(tmp_path)]) == 2
    assert "drop --tune" in capsys.readouterr().err
    assert main(["run", "--dataset", "digits", "--model", "ridge", "--tune-params", "C", "--tune", "2",
                 "--out", str(tmp_path)]) == 2
    assert "'C' is not a parameter of ridge" in capsys.readouterr().err


def test_models_with_nothing_to_search_run_untuned_with_a_note(plugin):
    from classbench.bench.runner import PlannedTrial
    from classbench.config import DatasetSpec, ModelSpec, SuiteSpec, TrialSpec
    from classbench.tune.driver import plan_studies

    models = (ModelSpec("tune-nothing"), ModelSpec("tune-knob"), ModelSpec("ridge-regression"))
    suite = SuiteSpec("t", (DatasetSpec("tune-ids"),), models, tune=TuneSpec(trials=3))
    trials = [PlannedTrial(TrialSpec(suite.datasets[0], m, 0), m.name, "test", i) for i, m in enumerate(models)]
    notes = []
    studies = plan_studies(suite, trials, notes)
    assert [t.spec.model.name for t, _, _ in studies] == ["tune-knob"]
    assert any("tune-nothing" in n and "no hyperparameter" in n for n in notes)
    assert any("ridge-regression" in n and "regression" in n for n in notes)
    with pytest.raises(UserError, match="'x' is not a parameter"):  # names asked for are checked, not skipped
        plan_studies(SuiteSpec("t", suite.datasets, models[:1], tune=TuneSpec(trials=3, params=("x",))),
                     trials[:1], [])
