"""Plot functions on small synthetic results: axes, labels, legends and the numbers drawn."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

from classbench.report import plots
from classbench.report.images import as_uint8_image, montage_png, thumbnail_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def legend_texts(ax):
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


def test_importing_the_report_package_does_not_import_matplotlib():
    code = ("import sys, classbench.report, classbench.report.plots; "
            "print([m for m in ('matplotlib', 'torch', 'sklearn', 'PIL') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


@pytest.mark.parametrize("points, front", [
    ([(1, 0.5), (2, 0.9), (3, 0.8), (0.5, 0.4)], [3, 0, 1]),
    ([(1, 0.9)], [0]),
    ([(1, 0.9), (1, 0.95), (2, 0.95)], [1]),  # same time: only the better; same accuracy later: dominated
    ([(5, 0.1), (4, 0.2), (3, 0.3)], [2]),
])
def test_pareto_front(points, front):
    assert plots.pareto_front(points) == front


def test_pareto_figure_axes_points_and_labels():
    rows = [{"model": "fast", "accuracy": 0.80, "train_s": 0.01},
            {"model": "slow-bad", "accuracy": 0.70, "train_s": 10.0},
            {"model": "best", "accuracy": 0.95, "train_s": 5.0, "accuracy_std": 0.01, "train_s_std": 0.5},
            {"model": "failed", "accuracy": None, "train_s": None}]
    fig = plots.pareto_figure(rows, "digits: accuracy against training time")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "training time (s, log scale)" and ax.get_ylabel() == "test accuracy"
    assert ax.get_title() == "digits: accuracy against training time"
    assert legend_texts(ax) == ["other models", "Pareto front"]
    others, front = ax.collections[-2], ax.collections[-1]
    np.testing.assert_allclose(front.get_offsets(), [[0.01, 0.80], [5.0, 0.95]])
    np.testing.assert_allclose(others.get_offsets(), [[10.0, 0.70]])
    assert {t.get_text() for t in ax.texts} == {"fast", "best", "slow-bad"}
    lo, hi = ax.get_ylim()
    assert lo < 0.70 and hi > 0.95
    assert plots.to_png(fig).startswith(PNG_SIGNATURE)


def test_pareto_figure_without_finished_rows_says_so():
    fig = plots.pareto_figure([{"model": "x", "accuracy": None, "train_s": None}], "t")
    assert [t.get_text() for t in fig.axes[0].texts] == ["no finished trials"]


def test_learning_curves_one_trial_train_and_validation():
    hist = [{"epoch": e, "loss": 1.0 / e, "accuracy": 0.5 + 0.1 * e, "val_loss": 1.2 / e,
             "val_accuracy": 0.45 + 0.1 * e} for e in (1, 2, 3)]
    fig = plots.learning_curve_figure([hist], "mlp on digits")
    loss_ax, acc_ax = fig.axes
    assert fig._suptitle.get_text() == "mlp on digits"
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel()) == ("epoch", "loss")
    assert (acc_ax.get_xlabel(), acc_ax.get_ylabel()) == ("epoch", "accuracy")
    assert legend_texts(loss_ax) == ["train", "validation"] == legend_texts(acc_ax)
    train, val = loss_ax.get_lines()
    np.testing.assert_allclose(train.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(train.get_ydata(), [1.0, 0.5, 1 / 3])
    np.testing.assert_allclose(val.get_ydata(), [1.2, 0.6, 0.4])
    np.testing.assert_allclose(acc_ax.get_lines()[0].get_ydata(), [0.6, 0.7, 0.8])


def test_learning_curves_several_seeds_are_averaged_with_a_band():
    a = [{"epoch": 1, "loss": 1.0, "accuracy": 0.5}, {"epoch": 2, "loss": 0.5, "accuracy": 0.7}]
    b = [{"epoch": 1, "loss": 3.0, "accuracy": 0.3}, {"epoch": 2, "loss": 1.5, "accuracy": 0.9},
         {"epoch": 3, "loss": 1.0, "accuracy": 0.95}]  # early stopping: histories differ in length
    fig = plots.learning_curve_figure([a, b, []], "t")
    loss_ax = fig.axes[0]
    assert legend_texts(loss_ax) == ["train (mean of 2)"]
    (line,) = loss_ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(line.get_ydata(), [2.0, 1.0, 1.0])
    assert len(loss_ax.collections) == 1  # the min..max band


def test_learning_curves_without_any_metric():
    fig = plots.learning_curve_figure([[{"epoch": 1, "seconds": 1.0}]], "t")
    assert [t.get_text() for t in fig.axes[0].texts] == ["no loss logged"]


def test_has_curves():
    assert not plots.has_curves([[{"epoch": 1, "accuracy": 0.9, "seconds": 0.1}]])
    assert not plots.has_curves([[], []])
    assert plots.has_curves([[], [{"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": 1.0}]])


def test_normalise_and_top_confusions():
    cm = np.array([[8, 2, 0], [0, 0, 0], [1, 3, 6]])
    norm = plots.normalise_rows(cm)
    np.testing.assert_allclose(norm, [[0.8, 0.2, 0], [0, 0, 0], [0.1, 0.3, 0.6]])
    top = plots.top_confusions(cm, ["a", "b", "c"], n=2)
    assert top == [{"true": "c", "pred": "b", "count": 3, "rate": pytest.approx(0.3)},
                   {"true": "a", "pred": "b", "count": 2, "rate": pytest.approx(0.2)}]
    assert plots.top_confusions(np.diag([5, 5]), ["a", "b"]) == []


def test_confusion_figure_numbers_and_labels():
    cm = np.array([[8, 2], [0, 10]])
    fig = plots.confusion_figure(cm, ["cat", "dog"], "knn on pets")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("predicted class", "true class", "knn on pets")
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.8, 0.2], [0.0, 1.0]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    assert sorted(t.get_text() for t in ax.texts) == ["100", "20", "80"]  # zero cells stay blank
    assert fig.axes[1].get_ylabel() == "share of true class"  # the colour bar


def test_confusion_figure_single_class_and_many_classes():
    fig = plots.confusion_figure(np.array([[7]]), ["only"], "t")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), [[1.0]])
    assert plots.to_png(fig).startswith(PNG_SIGNATURE)
    big = plots.confusion_figure(np.eye(70, dtype=int), [f"subject{i:02d}" for i in range(70)], "t")
    assert not big.axes[0].texts  # no per-cell numbers beyond 20 classes, every 2nd tick
    assert [t.get_text() for t in big.axes[0].get_xticklabels()][:2] == ["subject00", "subject02"]


def test_class_counts_figure():
    fig = plots.class_counts_figure([5, 7], [1, 3], ["neg", "pos"], "imdb: samples per class")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("class", "samples")
    assert legend_texts(ax) == ["train (12)", "test (4)"]
    assert [p.get_height() for p in ax.patches] == [5, 7, 1, 3]


def test_to_png_is_small_and_keeps_white():
    from PIL import Image

    fig = plots.confusion_figure(np.diag([9, 9, 9]), ["a", "b", "c"], "t")
    png = plots.to_png(fig)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert img.size == (round(fig.get_figwidth() * plots.DPI), round(fig.get_figheight() * plots.DPI))
    assert img.getpixel((1, 1)) == (255, 255, 255)
    assert len(png) < 30_000


def test_images_thumbnails_and_montage():
    from PIL import Image

    digit = np.linspace(0, 1, 64, dtype=np.float32).reshape(1, 8, 8)
    img = as_uint8_image(digit)
    assert img.shape == (8, 8) and img.dtype == np.uint8 and img.max() == 255
    face = np.random.default_rng(0).random((1, 243, 320)).astype(np.float32)
    small = Image.open(io.BytesIO(thumbnail_png(as_uint8_image(face))))
    assert max(small.size) == 64 and small.size[0] > small.size[1]
    rgb = as_uint8_image(np.ones((3, 4, 5), np.float32))
    assert rgb.shape == (4, 5, 3)
    assert as_uint8_image(np.ones(10)) is None  # tabular rows are not images
    sheet = Image.open(io.BytesIO(montage_png([img] * 10, cols=4, cell=16, pad=2)))
    assert sheet.size == (4 * 18 + 2, 3 * 18 + 2)
