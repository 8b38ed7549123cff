import pytest

from classbench.config import ProtocolSpec, TrialSpec, list_suites, load_suite, parse_suite, read_suite_file
from classbench.errors import UserError


def test_builtin_suites_parse():
    names = [n for n, _ in list_suites()]
    assert {"quick", "seed"} <= set(names)
    for n in names:
        suite = load_suite(n)
        assert suite.datasets and suite.models


def test_suite_forms_and_trial_hash(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('name = "t"\nseeds = 2\ndatasets = ["digits"]\n'
                 'models = ["ridge", { name = "mlp", params = { hidden = [8, 8] } }]\n'
                 'protocol = { kind = "kfold", k = 3 }\n')
    s = read_suite_file(p)
    assert s.seeds == (0, 1) and s.protocol == ProtocolSpec(kind="kfold", k=3)
    assert s.models[1].kwargs == {"hidden": [8, 8]}
    t = TrialSpec(s.datasets[0], s.models[1], 1, s.protocol, 2, 3)
    assert TrialSpec.from_dict(t.to_dict()) == t
    assert t.key == TrialSpec.from_dict(t.to_dict()).key
    assert t.key != TrialSpec(s.datasets[0], s.models[1], 0, s.protocol, 2, 3).key


def test_yaml_suite(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("datasets: [digits]\nmodels:\n  - ridge\n  - name: knn\n    params: {n_neighbors: 1}\n")
    s = read_suite_file(p)
    assert s.name == "s" and s.models[1].kwargs == {"n_neighbors": 1}


@pytest.mark.parametrize(
    "data,msg",
    [
        ({"datasets": ["digits"], "modles": ["ridge"]}, r"unknown key 'modles'.*Did you mean 'models'"),
        ({"datasets": ["digits"]}, "missing 'models'"),
        ({"datasets": ["digits"], "models": []}, "non-empty list"),
        ({"datasets": ["digits"], "models": [{"nam": "x"}]}, "unknown key 'nam'"),
        ({"datasets": ["digits"], "models": ["ridge"], "seeds": -1}, "seeds"),
        ({"datasets": ["digits"], "models": ["ridge"], "protocol": "lo"}, r"unknown protocol 'lo'.*'loo'"),
        ({"datasets": ["digits"], "models": ["ridge"], "protocol": {"kind": "split"}}, "exactly one of"),
    ],
)
def test_suite_errors(data, msg):
    with pytest.raises(UserError, match=msg):
        parse_suite(data, "s.toml")


def test_bad_toml_names_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('datasets = ["digits"\nmodels = ["ridge"]\n')
    with pytest.raises(UserError, match=r"bad.toml is not valid TOML.*line"):
        read_suite_file(p)


def test_unknown_suite_did_you_mean():
    with pytest.raises(UserError, match=r"Unknown suite 'quik'.*'quick'"):
        load_suite("quik")
