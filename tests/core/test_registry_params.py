import pytest

from classbench.errors import UserError
from classbench.params import Param, check_params
from classbench.registry import Registry


def test_registry_aliases_and_did_you_mean():
    reg = Registry("widget")
    reg.register("alpha", "a1", colour="red")(dict)
    reg.register_lazy("beta", "collections:OrderedDict")
    assert reg.get("a1") is dict
    assert reg.entry("alpha").meta["colour"] == "red"
    import collections

    assert reg.get("beta") is collections.OrderedDict
    with pytest.raises(UserError, match=r"Unknown widget 'alpah'.*Did you mean 'alpha'"):
        reg.get("alpah")
    with pytest.raises(ValueError):
        reg.register("a1")(list)


@pytest.mark.parametrize(
    "param,value,expected",
    [
        (Param(int, low=1), 3, 3),
        (Param(int, low=1), 3.0, 3),
        (Param(float, low=0.0, low_open=True), 2, 2.0),
        (Param(str, choices=("a", "b")), "b", "b"),
        (Param(bool), False, False),
        (Param("seq"), [128, 64], (128, 64)),
        (Param(int, nullable=True), None, None),
    ],
)
def test_param_accepts(param, value, expected):
    assert param.check("m", "p", value) == expected


@pytest.mark.parametrize(
    "param,value,why",
    [
        (Param(int, low=1), 0, "out of range"),
        (Param(int), 2.5, "expected an integer"),
        (Param(int), True, "expected an integer"),
        (Param(float, low=0.0, low_open=True), 0.0, "out of range"),
        (Param(float), "x", "expected a number"),
        (Param(str, choices=("a", "b")), "c", "not an accepted choice"),
        (Param(bool), "yes", "expected true or false"),
        (Param("seq"), ["a"], "expected a list of integers"),
        (Param(int), None, "None is not allowed"),
    ],
)
def test_param_rejects_with_reason(param, value, why):
    with pytest.raises(UserError, match=why) as exc:
        param.check("model 'm'", "p", value)
    assert "model 'm'" in str(exc.value) and "'p'" in str(exc.value) and "accepted values" in str(exc.value)


def test_check_params_unknown_name():
    with pytest.raises(UserError, match=r"unknown parameter 'lerning_rate'.*Did you mean 'learning_rate'"):
        check_params("model 'x'", {"learning_rate": Param(float)}, {"lerning_rate": 0.1})
