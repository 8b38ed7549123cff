"""Hyperparameter tuning (``classbench run --tune N``): one Optuna study per model and outer fold.

- ``spec``: the ``tune`` table of suites and ``--tune`` (budget in trials and/or seconds, metric, inner
  validation, sampler, pruner);
- ``space``: search spaces derived from each model's declared ``param_space``;
- ``study``: the Optuna study (ask/tell in batches; storage ``OUT/tuning.db``);
- ``candidate``: one candidate, run in a worker on the outer training rows only;
- ``driver``: runs the studies on the run's executor and turns each into a ``model(tuned)`` trial;
- ``results``: reads the studies back for the report and the leaderboard.

Importing this package imports neither Optuna nor any model.
"""
