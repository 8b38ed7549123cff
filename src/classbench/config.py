"""Frozen specs for datasets, models, protocols, trials and suites, and the suite-file loader.

Suite files are data (TOML or YAML), parsed into these dataclasses; nothing in them is executed.

    name = "seed"
    description = "The notebook's MNIST comparison"
    seeds = [0]                       # or: seeds = 3  (means 0, 1, 2)
    protocol = "holdout"              # or { kind = "kfold", k = 5 } | "loo" | { kind = "split", train_per_class = 8 }
    datasets = ["mnist"]              # or [{ name = "mnist", params = { n_train = 10000 } }]
    [[models]]
    name = "mlp"
    params = { loss = "squared" }
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import UserError

Params = tuple[tuple[str, Any], ...]


def _freeze(params: Mapping[str, Any] | None) -> Params:
    def conv(v: Any) -> Any:
        return tuple(conv(x) for x in v) if isinstance(v, list) else v

    return tuple(sorted((str(k), conv(v)) for k, v in (params or {}).items()))


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


def spec_hash(obj: Any) -> str:
    """sha256 (first 16 hex) of the canonical JSON of a spec dict."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    params: Params = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in self.params}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.kwargs}


@dataclass(frozen=True)
class ModelSpec:
    name: str
    params: Params = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in self.params}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.kwargs}


PROTOCOL_KINDS = ("holdout", "kfold", "loo", "split", "5x2cv")


@dataclass(frozen=True)
class ProtocolSpec:
    """How test sets are formed.

    holdout: the dataset's own train/test split (one fold).
    kfold:   stratified k folds over train+test together (groups never straddle folds).
    loo:     leave-one-out over train+test; the held-out sample's group twins leave the training fold too.
    split:   a seeded stratified split of train+test: ``train_per_class`` images per class (or
             ``train_fraction``) for training, the rest for test; the trial's seed picks the split.
    5x2cv:   Dietterich's 5x2 cross-validation: 5 repetitions of a stratified 2-fold split of train+test
             (10 trials per seed; fold f is half f % 2 of repetition f // 2, each repetition its own shuffle).
    first:   with split, take the first ``train_fraction`` of each class in file order instead of a random
             draw (reproduces naive "first 20%" protocols).
    """

    kind: str = "holdout"
    k: int = 5
    train_per_class: int | None = None
    train_fraction: float | None = None
    ordered: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "k": self.k, "train_per_class": self.train_per_class,
                "train_fraction": self.train_fraction, "ordered": self.ordered}

    def label(self) -> str:
        if self.kind == "kfold":
            return f"kfold({self.k})"
        if self.kind == "split":
            what = self.train_per_class if self.train_per_class else self.train_fraction
            return f"split({what}{', ordered' if self.ordered else ''})"
        return self.kind


@dataclass(frozen=True)
class TrialSpec:
    dataset: DatasetSpec
    model: ModelSpec
    seed: int
    protocol: ProtocolSpec = field(default_factory=ProtocolSpec)
    fold: int = 0
    n_folds: int = 1
    tuned: str = ""  # a tuned trial (issue 14): JSON of its study's outcome (chosen params, budget, time)

    def to_dict(self) -> dict[str, Any]:
        d = {"dataset": self.dataset.to_dict(), "model": self.model.to_dict(), "seed": self.seed,
             "protocol": self.protocol.to_dict(), "fold": self.fold, "n_folds": self.n_folds}
        if self.tuned:
            d["tuned"] = json.loads(self.tuned)
        return d

    @property
    def key(self) -> str:
        return spec_hash(self.to_dict())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TrialSpec":
        return cls(
            dataset=DatasetSpec(d["dataset"]["name"], _freeze(d["dataset"].get("params"))),
            model=ModelSpec(d["model"]["name"], _freeze(d["model"].get("params"))),
            seed=int(d["seed"]),
            protocol=ProtocolSpec(**d.get("protocol", {})),
            fold=int(d.get("fold", 0)),
            n_folds=int(d.get("n_folds", 1)),
            tuned=json.dumps(d["tuned"], sort_keys=True) if d.get("tuned") else "",
        )


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    datasets: tuple[DatasetSpec, ...]
    models: tuple[ModelSpec, ...]
    seeds: tuple[int, ...] = (0,)
    protocol: ProtocolSpec = field(default_factory=ProtocolSpec)
    description: str = ""
    tune: Any = None  # classbench.tune.spec.TuneSpec for every model (issue 14), or None
    model_tune: tuple = ()  # per model (aligned with ``models``): a TuneSpec, False (not tuned) or None
    dataset_protocols: tuple = ()  # ((DatasetSpec, ProtocolSpec), ...): datasets with a protocol of their own

    def protocol_for(self, dataset: DatasetSpec) -> ProtocolSpec:
        """The protocol of ``dataset``: its own (a suite file's ``{name, protocol}`` entry) or the suite's."""
        return next((p for d, p in self.dataset_protocols if d == dataset), self.protocol)

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "description": self.description,
             "datasets": [d.to_dict() for d in self.datasets], "models": [m.to_dict() for m in self.models],
             "seeds": list(self.seeds), "protocol": self.protocol.to_dict()}
        for dd, ds in zip(d["datasets"], self.datasets):  # a dataset's own protocol (e.g. its fixed split)
            if self.protocol_for(ds) != self.protocol:
                dd["protocol"] = self.protocol_for(ds).to_dict()
        if self.tune is not None or any(t is not None for t in self.model_tune):  # tuning (issue 14)
            from .tune.spec import tune_to_dict

            d["tune"] = tune_to_dict(self.tune)
            for m, t in zip(d["models"], self.model_tune):
                if t is not None:
                    m["tune"] = tune_to_dict(t)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "suite") -> "SuiteSpec":
        return parse_suite(d, where)


_SUITE_KEYS = ("name", "description", "datasets", "models", "seeds", "protocol", "tune")


def _unknown(key: str, allowed: tuple[str, ...], where: str) -> UserError:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return UserError(f"{where}: unknown key {key!r}.{hint} Allowed keys: {', '.join(allowed)}.")


def _named(items: Any, what: str, where: str, extra: tuple[str, ...] = ()) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(items, (str, dict)):
        items = [items]
    if not isinstance(items, list) or not items:
        raise UserError(f"{where}: '{what}' must be a non-empty list of names or {{name, params}} tables.")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            out.append((item, {}))
        elif isinstance(item, dict):
            for k in item:
                if k not in ("name", "params") + extra:
                    raise _unknown(k, ("name", "params") + extra, f"{where}: {what}[{i}]")
            if not isinstance(item.get("name"), str):
                raise UserError(f"{where}: {what}[{i}] needs a 'name' (a string).")
            params = item.get("params", {})
            if not isinstance(params, dict):
                raise UserError(f"{where}: {what}[{i}].params must be a table of name = value.")
            out.append((item["name"], params))
        else:
            raise UserError(f"{where}: {what}[{i}] must be a name or a {{name, params}} table, got {item!r}.")
    return out


def parse_protocol(value: Any, where: str = "suite") -> ProtocolSpec:
    if value is None:
        return ProtocolSpec()
    if isinstance(value, str):
        value = {"kind": value}
    if not isinstance(value, dict):
        raise UserError(f"{where}: 'protocol' must be a string or a table, got {value!r}.")
    allowed = ("kind", "k", "train_per_class", "train_fraction", "ordered")
    for k in value:
        if k not in allowed:
            raise _unknown(k, allowed, f"{where}: protocol")
    kind = value.get("kind", "holdout")
    if kind not in PROTOCOL_KINDS:
        close = difflib.get_close_matches(str(kind), PROTOCOL_KINDS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UserError(f"{where}: unknown protocol {kind!r}.{hint} Protocols: {', '.join(PROTOCOL_KINDS)}.")
    k = value.get("k", 5)
    if not isinstance(k, int) or k < 2:
        raise UserError(f"{where}: protocol k must be an integer >= 2, got {k!r}.")
    tpc, frac = value.get("train_per_class"), value.get("train_fraction")
    if kind == "split":
        if (tpc is None) == (frac is None):
            raise UserError(f"{where}: protocol 'split' needs exactly one of train_per_class or train_fraction.")
        if tpc is not None and (not isinstance(tpc, int) or tpc < 1):
            raise UserError(f"{where}: train_per_class must be an integer >= 1, got {tpc!r}.")
        if frac is not None and not (isinstance(frac, (int, float)) and 0 < frac < 1):
            raise UserError(f"{where}: train_fraction must be between 0 and 1, got {frac!r}.")
    return ProtocolSpec(kind=kind, k=k, train_per_class=tpc, train_fraction=None if frac is None else float(frac),
                        ordered=bool(value.get("ordered", False)))


def parse_seeds(value: Any, where: str = "suite") -> tuple[int, ...]:
    if value is None:
        return (0,)
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise UserError(f"{where}: 'seeds' as a number means how many seeds and must be >= 1, got {value}.")
        return tuple(range(value))
    if isinstance(value, list) and value and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                 for s in value):
        return tuple(value)
    raise UserError(f"{where}: 'seeds' must be a count (e.g. 3) or a list of non-negative integers, got {value!r}.")


def parse_suite(data: Mapping[str, Any], where: str = "suite") -> SuiteSpec:
    if not isinstance(data, Mapping):
        raise UserError(f"{where}: a suite file must hold a table of keys ({', '.join(_SUITE_KEYS)}).")
    for k in data:
        if k not in _SUITE_KEYS:
            raise _unknown(k, _SUITE_KEYS, where)
    for k in ("datasets", "models"):
        if k not in data:
            raise UserError(f"{where}: missing '{k}' (a list of names or {{name, params}} tables).")
    tune, model_tune = None, ()
    if "tune" in data or any(isinstance(m, dict) and "tune" in m for m in _as_list(data["models"])):
        from .tune.spec import parse_suite_tune  # tuning (issue 14): a global and per-model `tune` tables

        tune, model_tune = parse_suite_tune(data.get("tune"), _as_list(data["models"]), where)
    return SuiteSpec(
        name=str(data.get("name", Path(where).stem)),
        description=str(data.get("description", "")),
        datasets=tuple(DatasetSpec(n, _freeze(p)) for n, p in _named(data["datasets"], "datasets", where, ("protocol",))),
        models=tuple(ModelSpec(n, _freeze(p)) for n, p in _named(data["models"], "models", where, ("tune",))),
        seeds=parse_seeds(data.get("seeds"), where),
        protocol=parse_protocol(data.get("protocol"), where),
        tune=tune, model_tune=model_tune,
        dataset_protocols=tuple((DatasetSpec(d["name"], _freeze(d.get("params", {}))),
                                 parse_protocol(d["protocol"], f"{where}: datasets[{i}]"))
                                for i, d in enumerate(_as_list(data["datasets"]))
                                if isinstance(d, dict) and "protocol" in d and isinstance(d.get("name"), str)),
    )


def _as_list(items: Any) -> list[Any]:
    return [items] if isinstance(items, (str, dict)) else list(items) if isinstance(items, list) else []


def read_suite_file(path: Path) -> SuiteSpec:
    """Parse a .toml / .yaml / .yml suite file; syntax errors name the file and line."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"Cannot read suite file {where}: {exc.strerror or exc}.") from None
    if path.suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"Suite file {where} is not valid TOML: {exc}. Fix the syntax at that line.") from None
    elif path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UserError(f"Suite file {where} is not valid YAML: {exc}".rstrip() + " Fix the syntax there.") from None
    else:
        raise UserError(f"Suite file {where}: use a .toml, .yaml or .yml file.")
    return parse_suite(data or {}, where)


def builtin_suites_dir() -> Path:
    return Path(__file__).parent / "suites"


def list_suites() -> list[tuple[str, str]]:
    """(name, description) of the built-in suites, read without parsing model names."""
    import tomllib

    out = []
    for p in sorted(builtin_suites_dir().glob("*.toml")):
        data = tomllib.loads(p.read_text(encoding="utf-8"))
        out.append((p.stem, str(data.get("description", ""))))
    return out


def load_suite(name_or_path: str) -> SuiteSpec:
    """A built-in suite by name (``quick``, ``seed``, ...) or a suite file by path."""
    p = Path(name_or_path)
    if p.suffix in (".toml", ".yaml", ".yml") or p.exists():
        if not p.exists():
            raise UserError(f"Suite file {name_or_path!r} does not exist.")
        return read_suite_file(p)
    builtin = builtin_suites_dir() / f"{name_or_path}.toml"
    if builtin.exists():
        return read_suite_file(builtin)
    names = [n for n, _ in list_suites()]
    close = difflib.get_close_matches(name_or_path, names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UserError(f"Unknown suite {name_or_path!r}.{hint} Built-in suites: {', '.join(names)}; "
                    f"or pass the path of a .toml/.yaml suite file.")
