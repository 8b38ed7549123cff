"""Command line: parses argv, calls the library, prints. No logic of its own beyond formatting."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .errors import UserError

DEFAULT_OUT = "classbench-out"


def _parse_value(text: str) -> Any:
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_sets(suite: Any, sets: list[str]) -> Any:
    """``--set mlp.loss=squared`` / ``--set mnist.n_train=1000``: override a model's or dataset's parameter."""
    from dataclasses import replace

    from .config import _freeze

    models, datasets = list(suite.models), list(suite.datasets)
    known = [s.name for s in models] + [s.name for s in datasets]
    for item in sets:
        # the longest known name followed by "." wins, so names like csv:data.csv?target=y work
        name = max((n for n in known if item.startswith(n + ".")), key=len, default=None)
        if name is not None:
            param, sep, value = item[len(name) + 1:].partition("=")
            dot = "."
        else:
            target, sep, value = item.partition("=")
            name, dot, param = target.partition(".")
        if not sep or not dot or not name or not param:
            raise UserError(f"--set {item!r}: write it as NAME.PARAM=VALUE, e.g. --set mlp.loss=squared "
                            f"or --set mnist.n_train=1000.")
        hit = False
        for group in (models, datasets):
            for i, spec in enumerate(group):
                if spec.name == name:
                    group[i] = replace(spec, params=_freeze({**spec.kwargs, param: _parse_value(value)}))
                    hit = True
        if not hit:
            names = sorted({s.name for s in models} | {s.name for s in datasets})
            raise UserError(f"--set {item!r}: no model or dataset named {name!r} in this run "
                            f"(it has: {', '.join(names)}).")
    return replace(suite, models=tuple(models), datasets=tuple(datasets))


def _tune_flags(args: argparse.Namespace) -> list[str]:
    """The --tune* flags given (tuning, issue 14)."""
    names = ("tune", "tune_timeout", "tune_inner", "tune_metric", "tune_pruner", "tune_sampler", "tune_params")
    return ["--" + n.replace("_", "-") for n in names if getattr(args, n, None) is not None]


def cmd_run(args: argparse.Namespace) -> int:
    from ._startup import gc_paused, keep_scipy_docstrings
    from .bench.executors import early_workers

    # the local workers start first: their ~1 s of imports overlaps everything the driver does before a trial;
    # the driver's own imports run with the garbage collector paused until its trials start, and without
    # SciPy's docstring rewriting (_startup.py)
    n = (args.workers if args.workers is not None else 1) if args.executor == "local" else 0
    with gc_paused(), early_workers(n):
        keep_scipy_docstrings()
        return _cmd_run(args)


def _cmd_run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .bench import leaderboard as lb
    from .bench.runner import RunOptions, run_suite
    from .config import DatasetSpec, ModelSpec, SuiteSpec, load_suite, parse_protocol, parse_seeds

    if args.resume:
        extra = [flag for flag, v in (("SUITE", args.suite), ("--dataset", args.dataset), ("--model", args.model),
                                      ("--set", args.set), ("--seeds", args.seeds), ("--protocol", args.protocol))
                 if v] + _tune_flags(args)
        if extra:
            raise UserError(f"--resume finishes run {args.resume} with its own suite; drop {', '.join(extra)} "
                            f"(or start a new run without --resume).")
        suite = SuiteSpec(name="resume", datasets=(), models=())
    else:
        if args.suite is None and args.dataset and args.model:
            suite = SuiteSpec(name="adhoc", datasets=(), models=())
        else:
            suite = load_suite(args.suite or "quick")
        if args.dataset:
            suite = replace(suite, datasets=tuple(DatasetSpec(d) for d in args.dataset))
        if args.model:
            names = list(args.model)
            if "all" in names:  # every registered model, skipping those that cannot take the data
                from .models import MODELS

                names = [e.name for e in MODELS if e.meta.get("family") in ("sklearn", "torch", "scratch")]
            suite = replace(suite, models=tuple(ModelSpec(m) for m in dict.fromkeys(names)))
        if args.seeds is not None:
            suite = replace(suite, seeds=parse_seeds(args.seeds, "--seeds"))
        if args.protocol:
            proto = args.protocol
            if ":" in proto:  # kfold:5, split:8
                kind, _, n = proto.partition(":")
                key = {"kfold": "k", "split": "train_per_class"}.get(kind, "k")
                proto = {"kind": kind, key: _parse_value(n)}
            # --protocol applies to every dataset, including those with a protocol of their own in the suite
            suite = replace(suite, protocol=parse_protocol(proto, "--protocol"), dataset_protocols=())
        if args.set:
            suite = _apply_sets(suite, args.set)
        if args.model:  # the suite file's per-model `tune` tables went with its models
            suite = replace(suite, model_tune=())
        if _tune_flags(args):  # tuning (issue 14): --tune N and friends over the suite's `tune` table
            from .tune.spec import parse_tune

            table = {k: v for k, v in (("trials", args.tune), ("timeout", args.tune_timeout),
                                       ("inner", args.tune_inner), ("metric", args.tune_metric),
                                       ("pruner", args.tune_pruner), ("sampler", args.tune_sampler),
                                       ("params", args.tune_params.split(",") if args.tune_params else None))
                     if v is not None}
            suite = replace(suite, tune=parse_tune(table, "--tune", suite.tune))
    skip = bool(args.model and "all" in args.model)
    opts = RunOptions(out=Path(args.out), data_dir=args.data_dir, skip_incompatible=skip, workers=args.workers if args.workers is not None else 1,
                      workers_given=args.workers is not None, executor=args.executor, address=args.address,
                      device=args.device, memory_budget=args.memory_budget, resume=args.resume,
                      download=not args.no_download, progress=not args.quiet, command=" ".join(sys.argv),
                      time_budget=args.time_budget, suite_budget=args.suite_budget, save_models=args.save_models)
    if args.shard or args.gpu_resource:  # issue 18: one share of the suite; a Ray resource for torch trials
        from .bench.shard import parse_shard

        if args.shard and args.resume:
            raise UserError(f"--resume {args.resume} keeps the shard its run was started with; drop --shard.")
        opts.shard, opts.gpu_resource = parse_shard(args.shard), args.gpu_resource
    result = run_suite(suite, opts, on_finish=_after_run if not args.no_report else None)
    print(lb.format_table(result.rows))
    _print_summaries(result.rows, result.trials)
    print(f"\nrun {result.run_id}: leaderboard in {Path(args.out) / 'runs' / result.run_id}")
    if args.save_models:
        print(f"models in {Path(args.out) / 'runs' / result.run_id / 'models'}; "
              f"use one with: classbench predict {result.run_id}:LABEL FILES... --out {args.out}")
    if result.budget_exhausted:
        return 3
    return 130 if result.interrupted else 0


def _print_summaries(rows: list[dict[str, Any]], trials: list[dict[str, Any]]) -> None:
    """Below a leaderboard: the mean rank of each model over several datasets, and each warning once."""
    from .bench.quiet import warning_lines
    from .bench.ranking import format_ranks

    ranks = format_ranks(rows)
    if ranks:
        print("\n" + ranks)
    lines = warning_lines(trials)
    if lines:
        print(f"\nwarnings ({len(lines)}; each once, with how many trials raised it):")
        print("\n".join(lines[:30]) + (f"\n  ... and {len(lines) - 30} more" if len(lines) > 30 else ""))


def _after_run(result: Any, store: Any) -> None:
    from .report import write_report

    try:
        path = write_report(store, result.run_id)
    except UserError as exc:  # e.g. an interrupted run with nothing finished: the run itself is fine
        print(f"note: no report written: {exc}", file=sys.stderr)
        return
    print(f"report: {path}", file=sys.stderr)


def cmd_merge(args: argparse.Namespace) -> int:
    from .bench import leaderboard as lb
    from .bench.merge import merge_outputs

    result = merge_outputs([Path(s) for s in args.sources], Path(args.into))
    for note in result.notes:
        print(note, file=sys.stderr)
    print(lb.format_table(result.rows))
    print(f"\nrun {result.run_id}: {result.n_trials} trials merged from {len(args.sources)} results databases; "
          f"leaderboard in {Path(args.into) / 'runs' / result.run_id}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import cli_report

    path = cli_report(Path(args.db), args.run, Path(args.out) if args.out else None, args.open)
    print(path)
    return 0


def _print_datasets() -> None:
    from .datasets import DATASETS
    from .datasets.byo import describe_schemes

    for e in DATASETS:
        src = e.load()
        print(f"{e.name:<14} {src.modality:<8} {src.summary}")
    print("\nyour own data (usable wherever a dataset name is):")
    for usage, modality, summary in describe_schemes():
        print(f"  {usage:<40} {modality:<8} {summary}")


def cmd_list(args: argparse.Namespace) -> int:
    what = args.what
    if what == "datasets":
        _print_datasets()
    elif what == "models":
        from .models import MODELS

        for e in MODELS:
            if args.family and e.meta.get("family") != args.family:
                continue
            mods = ",".join(e.meta.get("modalities", ()))
            print(f"{e.name:<18} {e.meta.get('family', ''):<8} {mods:<14} {e.meta.get('summary', '')}")
    elif what == "suites":
        from .config import list_suites

        for name, desc in list_suites():
            print(f"{name:<14} {desc}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from .models import describe_params

    rows = describe_params(args.model)
    try:  # what --tune searches (issue 14)
        from .tune.space import derive_space

        space = derive_space(args.model)
    except UserError:
        space = {}
    for row in rows:
        tuned = f"  (--tune: {space[row['name']].describe()})" if row["name"] in space else ""
        print(f"{row['name']:<20} default={row['default']!r:<14} {row['accepted']}  {row['doc']}{tuned}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from .bench import leaderboard as lb
    from .bench.store import Store

    store = Store(Path(args.out), create=False)
    if args.plot:
        from .report import write_plots

        run_id = args.run or store.latest_run()
        for path in write_plots(store, run_id, args.plot, model=args.model):
            print(path)
        return 0
    if args.runs:
        for r in store.runs():
            print(f"{r['run_id']}  {r['created']}  {r['status']:<11} {r['suite_name']:<10} "
                  f"{r['n_ok']}/{r['n_trials']} ok")
        return 0
    run_id = args.run or store.latest_run()
    run = store.get_run(run_id)
    trials = store.trials(run_id)
    print(f"run {run_id} ({run['suite_name']}, {run['status']}, {len(trials)} trials)")
    print(lb.format_table(lb.leaderboard(trials)))
    _print_summaries(lb.leaderboard(trials), trials)
    failed = [t for t in trials if t["status"] in ("failed", "timeout")]
    for t in failed:
        first = (t["error"] or "").strip().splitlines()
        print(f"  {t['status']}: {t['dataset']} · {t['model_label']} · seed {t['seed']}: {first[-1] if first else ''}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .bench import compare_runs as cr

    if args.scores:
        if args.runs or args.model or args.test:
            raise UserError("--scores FILE analyses a CSV of scores on its own: drop the run ids, --model and "
                            "--test (they apply to stored runs).")
        result = cr.compare_scores_file(args.scores, args.alpha, not args.lower_is_better, args.control)
    else:
        from .bench.store import Store

        store = Store(Path(args.out), create=False)
        try:
            runs = [store.latest_run() if r == "latest" else r for r in (args.runs or ["latest"])]
            result = cr.compare_runs(store, runs, args.model, args.test or "auto", args.alpha)
        finally:
            store.close()
    if args.cd_plot:
        cr.write_cd_plot(result, args.cd_plot)
    print(json.dumps(result, indent=1, default=str) if args.json else cr.format_text(result), end="\n" if args.json else "")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from .datasets import DATASETS, DataContext, get_source

    ctx = DataContext.from_env(args.data_dir, download=not getattr(args, "no_download", False))
    if args.action == "list":
        _print_datasets()
        return 0
    names = [args.name] if args.name else DATASETS.names()
    if args.action == "info":
        if not args.name:
            raise UserError("`classbench data info` needs a dataset name, e.g. `classbench data info mnist`.")
        print(json.dumps(get_source(args.name).info(ctx), indent=2, default=str))
    elif args.action == "fetch":
        for n in names:
            for p in get_source(n).fetch(ctx):
                print(f"{n}: {p}")
    elif args.action == "verify":
        bad = 0
        for n in names:
            for fname, status in get_source(n).verify(ctx):
                print(f"{n:<10} {fname:<32} {status}")
                bad += not status.startswith("ok")
        return 1 if bad else 0
    elif args.action == "show":
        src = get_source(args.name)
        if not hasattr(src, "show"):
            raise UserError(f"`classbench data show` is not available for {args.name!r}.")
        print(src.show(ctx, args.index))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .predict import format_results, predict_inputs

    results = predict_inputs(args.model, args.inputs, top=args.top, lines=args.lines, out=args.out)
    print(json.dumps(results, indent=1) if args.json else format_results(results))
    return 0


def cmd_gradcheck(args: argparse.Namespace) -> int:
    try:
        from .gradcheck import format_table, run_gradchecks
    except ImportError as exc:
        raise UserError(f"gradcheck needs PyTorch as the reference: {exc}. Install with `pip install torch`.") from None
    rows = run_gradchecks(seed=args.seed)
    print(format_table(rows))
    return 0 if all(r["passed"] for r in rows) else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="classbench", description="Compare classifiers (scikit-learn, PyTorch and a "
                                "from-scratch NumPy engine) on the same data, with one command.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"classbench {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("run", help="run a suite (default: quick) and print the leaderboard")
    r.add_argument("suite", nargs="?", help="built-in suite name (see `classbench list suites`) or a .toml/.yaml file")
    r.add_argument("--dataset", action="append", help="dataset name (repeatable); replaces the suite's datasets")
    r.add_argument("--model", action="append",
                   help="model name (repeatable); replaces the suite's models; 'all': every model that takes the data")
    r.add_argument("--set", action="append", metavar="NAME.PARAM=VALUE", help="override a model/dataset parameter")
    r.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    r.add_argument("--protocol", help="holdout | kfold:K | loo | split:N (N training samples per class) | 5x2cv")
    r.add_argument("--data-dir", help="folder(s) with one subfolder per dataset (':'-separated list)")
    r.add_argument("--out", default=DEFAULT_OUT, help=f"output folder with the results database (default {DEFAULT_OUT})")
    r.add_argument("--resume", metavar="RUN", help="finish an earlier run: skips its finished trials")
    r.add_argument("--workers", type=int, help="trials run in parallel (default 1; with Ray: the cluster's CPUs)")
    r.add_argument("--time-budget", type=float, metavar="SECONDS",
                   help="per-trial limit: a trial past it is stopped and recorded as timeout")
    r.add_argument("--suite-budget", type=float, metavar="SECONDS",
                   help="whole-run limit: then running trials stop (timeout) and the rest wait for --resume")
    r.add_argument("--memory-budget", type=float, metavar="MIB",
                   help="per-worker resident-memory limit: a trial over it is stopped and recorded as failed")
    r.add_argument("--executor", default="local", help="local (worker processes, default) | ray")
    r.add_argument("--address", help="Ray cluster: auto | HOST:PORT | ray://HOST:PORT (with --executor ray)")
    r.add_argument("--device", help="auto | cpu | cuda | mps for the models that take one (torch)")
    r.add_argument("--no-download", action="store_true", help="never download; fail if data is not local")
    r.add_argument("--no-report", action="store_true", help="do not write the HTML report")
    r.add_argument("--quiet", action="store_true", help="no progress lines")
    r.add_argument("--tune", type=int, metavar="N", help="also run each model tuned: N candidates of an Optuna "
                   "study on the training rows only (inner validation), the best refit and tested once")
    r.add_argument("--tune-timeout", type=float, metavar="SECONDS", help="seconds per study (with or without --tune)")
    r.add_argument("--tune-inner", metavar="SCHEME", help="inner validation: holdout (20%%), holdout:F or kfold:K")
    r.add_argument("--tune-metric", metavar="METRIC", help="what tuning maximises: accuracy (default) | macro_f1")
    r.add_argument("--tune-pruner", metavar="NAME", help="median (default) | halving | none (epoch-trained models)")
    r.add_argument("--tune-sampler", metavar="NAME", help="tpe (seeded, default) | random")
    r.add_argument("--tune-params", metavar="A,B", help="tune only these parameters (default: every declared range)")
    r.add_argument("--save-models", action="store_true",
                   help="keep every trained model in OUT/runs/RUN/models/TRIAL (for `classbench predict`)")
    r.add_argument("--shard", metavar="I/N", help="run only the I-th of N deterministic shares of the planned "
                   "trials (one per machine; combine them with `classbench merge`)")
    r.add_argument("--gpu-resource", metavar="NAME", help="with --executor ray: torch trials ask for one unit "
                   "of this Ray resource, so they run only on nodes started with it (`--resources`)")
    r.set_defaults(func=cmd_run)

    mg = sub.add_parser("merge", help="combine results databases that ran shares of the same suite",
                        description="Each OUT's latest run (e.g. `classbench run --shard 1/2 --out OUT_A` on one "
                        "machine, `--shard 2/2 --out OUT_B` on another) becomes one run in INTO; runs of different "
                        "suites, trial specs or code versions are refused.")
    mg.add_argument("sources", nargs="+", metavar="OUT", help="output folders (or classbench.db files) to combine")
    mg.add_argument("--into", required=True, metavar="OUT", help="output folder of the merged results database")
    mg.set_defaults(func=cmd_merge)

    ls = sub.add_parser("list", help="list datasets, models or suites")
    ls.add_argument("what", choices=["datasets", "models", "suites"])
    ls.add_argument("--family", help="only models of this family (sklearn, torch, scratch)")
    ls.set_defaults(func=cmd_list)

    pp = sub.add_parser("params", help="a model's hyperparameters, defaults and accepted values")
    pp.add_argument("model")
    pp.set_defaults(func=cmd_params)

    sh = sub.add_parser("show", help="leaderboard of a run from the results database")
    sh.add_argument("run", nargs="?", help="run id (default: the latest)")
    sh.add_argument("--out", default=DEFAULT_OUT)
    sh.add_argument("--runs", action="store_true", help="list the runs in the database")
    sh.add_argument("--plot", choices=["learning-curves", "confusion", "pareto"], help="write PNG plots of the run")
    sh.add_argument("--model", help="with --plot: one model (a name or a leaderboard label)")
    sh.set_defaults(func=cmd_show)

    rp = sub.add_parser("report", help="write the self-contained HTML report (and report.md) of a run")
    rp.add_argument("run", nargs="?", help="run id (default: the latest)")
    rp.add_argument("--out", metavar="FILE", help="HTML file to write (default DB/runs/RUN/report.html)")
    rp.add_argument("--db", default=DEFAULT_OUT, help=f"folder of the results database (default {DEFAULT_OUT})")
    rp.add_argument("--open", action="store_true", help="open the report in a web browser")
    rp.set_defaults(func=cmd_report)

    c = sub.add_parser("compare", help="is the difference real? paired tests per dataset, ranks across datasets",
                       description="Pairwise tests of the models of one or more runs (per dataset: difference, "
                       "interval, p, Holm-adjusted p, verdict) and, with two or more datasets, mean ranks, "
                       "Friedman/Iman-Davenport, the Nemenyi critical difference and Holm against the best.")
    c.add_argument("runs", nargs="*", metavar="RUN", help="run ids (default: the latest run; 'latest' works too)")
    c.add_argument("--model", action="append", help="compare only these models (label or name; repeatable)")
    c.add_argument("--test", help="auto (default) | mcnemar | corrected-t | 5x2cv-t | 5x2cv-f | naive-t")
    c.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    c.add_argument("--json", action="store_true", help="print JSON instead of tables")
    c.add_argument("--scores", metavar="CSV", help="analyse a CSV of scores instead (rows datasets, columns models)")
    c.add_argument("--lower-is-better", action="store_true", help="with --scores: smaller scores win (errors)")
    c.add_argument("--control", help="with --scores: the baseline model for Holm's test (default: the best)")
    c.add_argument("--cd-plot", metavar="PNG", help="write the critical-difference diagram (several datasets)")
    c.add_argument("--out", default=DEFAULT_OUT, help=f"folder of the results database (default {DEFAULT_OUT})")
    c.set_defaults(func=cmd_compare)

    d = sub.add_parser("data", help="list, describe, fetch, verify or show datasets")
    d.add_argument("action", choices=["list", "info", "fetch", "verify", "show"])
    d.add_argument("name", nargs="?")
    d.add_argument("index", nargs="?", type=int, default=0, help="(show) which sample")
    d.add_argument("--data-dir")
    d.add_argument("--no-download", action="store_true")
    d.set_defaults(func=cmd_data)

    pr = sub.add_parser("predict", help="classify image files, text files or CSV rows with a saved model",
                        description="Saved models come from `classbench run --save-models` (or save_model()). "
                        "Load only model folders from sources you trust.")
    pr.add_argument("model", help="a saved model folder, or RUN:LABEL (RUN may be 'latest') from the results database")
    pr.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, text files or CSV files (or folders of them)")
    pr.add_argument("--json", action="store_true", help="print a JSON list instead of one line per input")
    pr.add_argument("--top", type=int, default=1, metavar="K", help="show the K most likely classes (default 1)")
    pr.add_argument("--lines", action="store_true", help="text models: one text per line instead of one per file")
    pr.add_argument("--out", default=DEFAULT_OUT, help=f"folder of the results database, for RUN:LABEL (default {DEFAULT_OUT})")
    pr.set_defaults(func=cmd_predict)

    g = sub.add_parser("gradcheck", help="check the NumPy engine's gradients against finite differences and PyTorch")
    g.add_argument("--seed", type=int, default=0)
    g.set_defaults(func=cmd_gradcheck)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The ``classbench`` command: :func:`main`, then :func:`exit_fast`."""
    import os

    try:
        code = main()
    except BrokenPipeError:  # `classbench list models | head`: the reader left early; no traceback for that
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141  # as a shell reports a program stopped by SIGPIPE
    exit_fast(code)


def exit_fast(code: int) -> None:
    """Exit without the interpreter's teardown of every loaded module (0.2-0.3 s once scikit-learn or
    torch is loaded): run the ``atexit`` handlers, flush the streams, leave. Where something may still
    need that teardown (a Ray driver, a non-daemon thread), exit the normal way instead."""
    import atexit
    import os
    import threading

    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if "ray" in sys.modules or others:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    entry()
