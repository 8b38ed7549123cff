"""``classbench predict``: raw inputs (image files, text files, CSV rows) -> labels with probabilities.

What a saved model's ``input`` entry (in model.json) says to do with raw inputs:

* ``{"kind": "image", "channels": 1|3, "height": h, "width": w, "scale": 1/255, "steps": [...]}``: each
  image file (PNG, JPEG, GIF, BMP, PGM/PPM, TIFF, WebP; any size) is decoded (JPEG EXIF orientation
  applied, first GIF frame, transparency composited on white), converted to grayscale (ITU-R 601 luma)
  or RGB, put through ``steps``, resized to h x w (bilinear) and scaled. Steps:
  ``{"op": "crop", "box": [left, top, right, bottom], "reference_size": [W, H]}`` (the box is scaled to
  the image's size when it differs from the reference) and ``{"op": "equalize"}`` (histogram equalization
  through the CDF, as the yalefaces loader does).
  A dataset source may supply its own through ``preprocess_spec(dataset)``.
* ``{"kind": "text"}``: one text per file (``lines=True``: one per non-empty line); the model keeps its
  vocabulary.
* ``{"kind": "tabular", "columns": [...], "target": name, "target_index": i}`` (a model trained on a
  described table, saved with its fitted preprocessing): CSV/TSV rows, with a header naming (at least) the
  training columns in any order, or without one: the d columns in training order, or d + 1 with the target
  column at ``target_index`` (default: last), which is ignored. Cells are coded by
  ``datasets.tables.encode_frame`` (missing markers -> NaN, a category not seen in training -> NaN) and the
  saved pipeline imputes, encodes and scales them as in training.
* ``{"kind": "tabular", "n_features": d, "feature_names": [...], "pipeline": ...}``: CSV rows. With a
  ``pipeline`` (``{"columns": [{"name", "kind": "numeric", "median", "mean", "std", "indicator"} |
  {"name", "kind": "categorical", "categories": [...]}]}``, from the source's ``preprocess_spec`` or the
  dataset's ``provenance["pipeline"]``) raw columns are prepared as in training; without one, the CSV must
  hold the d feature columns: by name (a header with ``feature_names``) or in training order. A model
  trained on a ``csv:`` dataset whose loader changed the columns, with no pipeline recorded, is refused
  (``raw_csv: false``) rather than fed raw values.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError, UserError

_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})


# ------------------------------------------------------------------------------------ input specs
def default_input_spec(model: Any, dataset: Any, modality: str, source: Any = None) -> dict[str, Any]:
    """The ``input`` entry of model.json for ``model`` trained on ``dataset`` (either may lack details)."""
    is_table = type(model).__name__ in ("TabularPipeline", "TabularRegressionPipeline")
    columns = getattr(model, "columns", None) if is_table else None
    if columns:  # a described table: raw rows are coded (encode_frame), the saved pipeline does the rest
        meta = getattr(dataset, "meta", None) or {}
        return {"kind": "tabular", "n_features": len(columns), "feature_names": [c["name"] for c in columns],
                "columns": [dict(c) for c in columns], "target": meta.get("target"),
                "target_index": meta.get("target_index")}
    if source is not None and dataset is not None and hasattr(source, "preprocess_spec"):
        spec = source.preprocess_spec(dataset)
        if spec:
            return dict(spec)
    shape = tuple(getattr(dataset, "input_shape", ()) or getattr(model, "input_shape_", ()) or ())
    if modality == "text":
        return {"kind": "text"}
    if modality == "image" and len(shape) == 3:
        c, h, w = (int(s) for s in shape)
        return {"kind": "image", "channels": c, "height": h, "width": w, "scale": 1.0 / 255.0,
                "color": "rgb" if c == 3 else "grayscale", "steps": _dataset_steps(dataset)}
    d = int(np.prod(shape)) if shape else int(getattr(model, "n_features_in_", 0) or 0)
    names = (getattr(dataset, "meta", None) or {}).get("feature_names")
    prov = getattr(dataset, "provenance", None) or {}
    spec = {"kind": "tabular", "n_features": d, "feature_names": names, "pipeline": prov.get("pipeline")}
    if spec["pipeline"] is None and prov.get("source") == "csv":  # raw columns = features only if nothing changed
        p, cols = prov.get("params") or {}, prov.get("columns") or {}
        if p.get("standardize", True) or cols.get("categorical") or any("__missing" in n for n in names or ()):
            spec["raw_csv"] = False
    return spec


def _dataset_steps(dataset: Any) -> list[dict[str, Any]]:
    """Dataset-specific image steps for sources that do not offer ``preprocess_spec`` (yalefaces)."""
    if dataset is None or dataset.name != "yalefaces":
        return []
    p = dataset.provenance.get("params") or {}
    steps: list[dict[str, Any]] = []
    if p.get("crop"):
        steps.append({"op": "crop", "box": [int(v) for v in p["crop"]], "reference_size": [320, 243]})
    if p.get("equalize"):
        steps.append({"op": "equalize"})
    return steps


# --------------------------------------------------------------------------------------- readers
def expand_inputs(inputs: list[str]) -> list[Path]:
    """Paths as given, each folder replaced by its non-hidden files (sorted); UserError for a missing one."""
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
            if not files:
                raise UserError(f"Input folder {p} holds no files to predict.")
            out.extend(files)
        elif p.is_file():
            out.append(p)
        else:
            raise UserError(f"Input {item!r} does not exist. Pass image files, text files, a CSV file or a "
                            f"folder of such files.")
    if not out:
        raise UserError("No inputs given: pass one or more files (or folders) to predict.")
    return out


def read_images(paths: list[Path], spec: dict[str, Any]) -> np.ndarray:
    """float32 array of shape (n, channels, height, width), each file prepared as ``spec`` says."""
    X = np.empty((len(paths), int(spec["channels"]), int(spec["height"]), int(spec["width"])), np.float32)
    for i, path in enumerate(paths):
        X[i] = _image(path, spec)
    return X


def _image(path: Path, spec: dict[str, Any]) -> np.ndarray:
    from PIL import Image, ImageOps, UnidentifiedImageError

    c, h, w = int(spec["channels"]), int(spec["height"]), int(spec["width"])
    try:
        with Image.open(path) as img:
            if img.format == "JPEG":
                img.draft(img.mode, (max(h, w), max(h, w)))  # as imagefolder's loader: same pixels
            img.load()
            if img.format == "JPEG":
                img = ImageOps.exif_transpose(img)
            if img.mode in ("I", "F") or img.mode.startswith("I;16"):
                arr = np.asarray(img, dtype=np.float32)
                arr = arr / 65535.0 if img.mode != "F" else arr
                img = Image.fromarray(np.round(np.clip(arr, 0, 1) * 255).astype(np.uint8), mode="L")
            if "A" in img.getbands() or "transparency" in img.info:
                rgba = img.convert("RGBA")
                img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
            img = img.convert("RGB" if c == 3 else "L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path} is not an image classbench can read ({why}). This model takes image files "
                        f"(PNG, JPEG, GIF, BMP, PGM/PPM, TIFF, WebP).") from None
    for step in spec.get("steps") or []:
        if step["op"] == "crop":
            ref_w, ref_h = step.get("reference_size") or img.size
            sx, sy = img.size[0] / ref_w, img.size[1] / ref_h
            left, top, right, bottom = step["box"]
            img = img.crop((round(left * sx), round(top * sy), round(right * sx), round(bottom * sy)))
        elif step["op"] == "equalize":
            img = Image.fromarray(equalize(np.asarray(img)))
    if img.size != (w, h):
        img = img.resize((w, h), Image.Resampling.BILINEAR)
    arr = np.asarray(img, dtype=np.float32) * np.float32(spec.get("scale", 1.0 / 255.0))
    return arr.transpose(2, 0, 1) if arr.ndim == 3 else arr[None]


def equalize(pixels: np.ndarray) -> np.ndarray:
    """Histogram equalization through the CDF (OpenCV's ``equalizeHist``; the yalefaces loader's mapping):
    the darkest grey present -> 0, the brightest -> 255. pixels : uint8 array of shape (h, w) or (h, w, 3)."""
    if pixels.ndim == 3:
        return np.stack([equalize(pixels[..., k]) for k in range(pixels.shape[2])], axis=2)
    hist = np.bincount(pixels.ravel(), minlength=256)
    cdf = np.cumsum(hist)
    lowest = cdf[np.flatnonzero(hist)[0]]
    if lowest == pixels.size:
        return pixels
    lut = np.clip(np.round((cdf - lowest) / (pixels.size - lowest) * 255.0), 0, 255).astype(np.uint8)
    return lut[pixels]


def read_texts(paths: list[Path], lines: bool) -> tuple[list[str], list[str]]:
    """(names, texts): one text per file, or with ``lines`` one per non-empty line (named FILE:LINE)."""
    names, texts = [], []
    for path in paths:
        raw = path.read_bytes()
        if b"\0" in raw[:4096]:
            raise DataError(f"{path} is a binary file, not text. This model takes text files (one review per "
                            f"file, or one per line with --lines).")
        text = raw.decode("utf-8", errors="replace")
        if lines:
            for i, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    names.append(f"{path}:{i}")
                    texts.append(line)
        else:
            names.append(str(path))
            texts.append(text)
    if not texts:
        raise UserError(f"{paths[0]} holds no text to classify.")
    return names, texts


def read_table(paths: list[Path], spec: dict[str, Any]) -> tuple[list[str], np.ndarray]:
    """(names, X) with X float32 of shape (n, n_features): every CSV row of every file, prepared."""
    if spec.get("columns"):
        return _read_coded(paths, spec)
    names, blocks = [], []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as exc:
            raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from None
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        rows = [r for r in csv.reader(text.splitlines(), dialect) if any(c.strip() for c in r)]
        if not rows:
            raise UserError(f"{path} holds no rows to predict.")
        header = None if all(_number(c) is not None for c in rows[0]) else [c.strip() for c in rows[0]]
        body = rows[1:] if header else rows
        first = 2 if header else 1
        blocks.append(_table_features(path, header, body, first, spec))
        names += [f"{path}:{first + i}" for i in range(len(body))]
    return names, np.concatenate(blocks)


def _read_coded(paths: list[Path], spec: dict[str, Any]) -> tuple[list[str], np.ndarray]:
    """(names, X) with X float64 of shape (n, d): the rows of every file coded for a described table."""
    import pandas as pd

    from .datasets.tables import encode_frame

    columns = spec["columns"]
    wanted = [c["name"] for c in columns]
    names, blocks = [], []
    for path in paths:
        try:
            raw = pd.read_csv(path, sep=None, engine="python", header=None, dtype=str, keep_default_na=False,
                              skip_blank_lines=True, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"Cannot read {path} as a CSV table ({' '.join(str(exc).split())[:200]}). Give one "
                            f"row per line, cells separated by commas (or ; tab |).") from None
        if raw.empty:
            raise UserError(f"{path} holds no rows to predict.")
        first = [str(c).strip() for c in raw.iloc[0]]
        if set(wanted) <= set(first):  # a header naming the columns (any order, extra columns ignored)
            frame, line = raw.iloc[1:].set_axis(first, axis=1), 2
        else:
            frame, line = raw, 1
            width = raw.shape[1]
            if width == len(wanted) + 1:
                t = spec.get("target_index")
                frame = raw.drop(columns=raw.columns[t if isinstance(t, int) else -1])
            elif width != len(wanted):
                raise UserError(f"{path} has {width} columns and no header naming the model's columns; the model "
                                f"takes {len(wanted)} ({', '.join(wanted[:8])}{' ...' if len(wanted) > 8 else ''}). "
                                f"Add a header row with those names, or give them in training order (with or "
                                f"without the target column).")
            frame = frame.set_axis(wanted, axis=1)
        blocks.append(encode_frame(frame.reset_index(drop=True), columns))
        names += [f"{path}:{line + i}" for i in range(len(frame))]
    return names, np.concatenate(blocks)


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _table_features(path: Path, header: list[str] | None, body: list[list[str]], first: int,
                    spec: dict[str, Any]) -> np.ndarray:
    d, names, pipeline = int(spec.get("n_features") or 0), spec.get("feature_names"), spec.get("pipeline")
    if not pipeline and spec.get("raw_csv") is False:
        raise UserError(f"{path}: this model was trained on a CSV whose columns the loader transformed (scaled, "
                        f"one-hot encoded or given missing-value indicators), and the saved model does not record "
                        f"those steps, so raw rows would be misread. Train with csv:...?standardize=false on "
                        f"numeric columns without missing values, or save with a loader that records its pipeline.")
    if pipeline:
        if header is None:
            raise UserError(f"{path} has no header row; this model prepares named columns "
                            f"({', '.join(c['name'] for c in pipeline['columns'])}), so give them a header.")
        return _apply_pipeline(path, header, body, pipeline)
    if header is not None and names and all(n in header for n in names):
        cols = [header.index(n) for n in names]
    elif header is None or all(_number(c) is None for c in header):
        cols = list(range(len(body[0]) if body else 0))
        if len(cols) != d:
            hint = f" named {', '.join(names[:8])}{' ...' if len(names) > 8 else ''}" if names else ""
            raise UserError(f"{path} has {len(cols)} columns but the model takes {d} features{hint}. Give the "
                            f"feature columns in training order (or a header naming them).")
    else:
        raise UserError(f"{path}: the header does not name the model's {d} features "
                        f"({', '.join((names or [])[:8])}). Name the columns as in training.")
    X = np.empty((len(body), len(cols)), np.float32)
    for i, row in enumerate(body):
        for j, c in enumerate(cols):
            v = _number(row[c]) if c < len(row) else None
            if v is None or not math.isfinite(v):
                raise DataError(f"{path}, line {first + i}: column {c + 1} is {row[c] if c < len(row) else ''!r}, "
                                f"not a number. The model takes numeric features only.")
            X[i, j] = v
    return X


def _apply_pipeline(path: Path, header: list[str], body: list[list[str]], pipeline: dict[str, Any]) -> np.ndarray:
    """Prepare raw CSV columns as the training loader did (median fill + indicator, scaling, one-hot)."""
    blocks = []
    for col in pipeline["columns"]:
        if col["name"] not in header:
            raise UserError(f"{path} lacks the column {col['name']!r} that the model was trained on. Columns "
                            f"needed: {', '.join(c['name'] for c in pipeline['columns'])}.")
        j = header.index(col["name"])
        cells = [(r[j].strip() if j < len(r) else "") for r in body]
        miss = np.array([c.lower() in _MISSING for c in cells])
        if col["kind"] == "numeric":
            vals = np.array([np.nan if m else (_number(c) if _number(c) is not None else np.inf)
                             for c, m in zip(cells, miss)])
            bad = np.flatnonzero(np.isinf(vals) & ~miss)
            if len(bad) and _number(cells[bad[0]]) is None:
                raise DataError(f"{path}, column {col['name']!r}: {cells[bad[0]]!r} is not a number.")
            vals = np.where(np.isfinite(vals), vals, np.nan)
            filled = np.where(np.isnan(vals), col.get("median", 0.0), vals)
            sd = col.get("std") or 1.0
            blocks.append(((filled - col.get("mean", 0.0)) / sd)[:, None])
            if col.get("indicator"):
                blocks.append(np.isnan(vals).astype(np.float64)[:, None])
        else:
            tokens = np.array(["(missing)" if m else c for c, m in zip(cells, miss)], dtype=object)
            blocks.append((tokens[:, None] == np.array(col["categories"], dtype=object)[None, :]).astype(np.float64))
    return np.hstack(blocks).astype(np.float32)


# ------------------------------------------------------------------------------------- prediction
def resolve_model(ref: str, out: str | Path = "classbench-out") -> Path:
    """A model folder, or ``RUN:LABEL`` (RUN may be ``latest``) looked up in the results database in ``out``."""
    path = Path(ref)
    if path.exists() or ":" not in ref:
        return path
    from .bench.store import Store

    run, _, label = ref.partition(":")
    store = Store(Path(out), create=False)
    try:
        run_id = store.latest_run() if run in ("", "latest") else run
        store.get_run(run_id)
        trials = store.trials(run_id)
    finally:
        store.close()
    saved = [t for t in trials if (t.get("extra") or {}).get("model_path")]
    hits = [t for t in saved if label in (t["model_label"], t["model"])]
    if not hits:
        have = sorted({t["model_label"] for t in saved})
        raise UserError(f"Run {run_id} has no saved model {label!r}. "
                        + (f"Saved models: {', '.join(have)}." if have else
                           "It was run without --save-models; run again with `classbench run --save-models`."))
    if len({t["dataset"] for t in hits}) > 1:
        raise UserError(f"Run {run_id} saved {label!r} for several datasets; pass the folder instead: "
                        + "; ".join(f"{t['dataset']}: {t['extra']['model_path']}" for t in hits[:6]))
    t = hits[0]  # the first seed and fold
    p = Path(t["extra"]["model_path"])
    return p if p.exists() else Path(out) / "runs" / run_id / "models" / t["trial_key"]


def predict_inputs(model_ref: str | Path, inputs: list[str], *, top: int = 1, lines: bool = False,
                   out: str | Path = "classbench-out") -> list[dict[str, Any]]:
    """One result per input sample: ``{"input", "label", "probability", "top": [{"label", "probability"}]}``
    (``"score"`` instead of probabilities for models without them; ``"value"`` for regression)."""
    from .persist import display_names, load_model, read_meta, torch_predictor

    if top < 1:
        raise UserError(f"--top must be at least 1, got {top}.")
    folder = resolve_model(str(model_ref), out)
    meta = read_meta(folder)
    spec = meta.get("input") or {}
    paths = expand_inputs(inputs)
    kind = spec.get("kind")
    if kind == "image":
        names, X = [str(p) for p in paths], read_images(paths, spec)
    elif kind == "text":
        names, texts = read_texts(paths, lines)
        X = np.array(texts, dtype=object)
    elif kind == "tabular":
        names, X = read_table(paths, spec)
    else:
        raise DataError(f"{folder}/model.json does not say what input the model takes (input kind {kind!r}).")
    labels = display_names(meta)
    fast = torch_predictor(folder, meta) if kind != "text" else None
    if fast is not None:  # a plain torch Sequential: no model class (and no scikit-learn) to import
        return _ranked(names, fast(X), labels, "probability", top)
    model = load_model(folder).model
    if meta.get("task") == "regression":
        return [{"input": n, "value": float(v)} for n, v in zip(names, np.asarray(model.predict(X)).ravel())]
    for method, key in (("predict_proba", "probability"), ("decision_function", "score")):
        try:
            scores = np.asarray(getattr(model, method)(X), dtype=np.float64)
        except AttributeError:  # the model does not offer it
            continue
        if scores.ndim == 1:  # two classes: one score, positive for classes_[1]
            scores = np.column_stack([-scores, scores])
        return _ranked(names, scores, labels, key, top)
    pred = np.asarray(model.predict(X))
    index = {c: i for i, c in enumerate(np.asarray(model.classes_).tolist())}
    return [{"input": n, "label": labels[index[p]], "probability": None, "top": []} for n, p in zip(names, pred.tolist())]


def _ranked(names: list[str], scores: np.ndarray, labels: list[str], key: str, top: int) -> list[dict[str, Any]]:
    """One result per row of ``scores`` (shape (n, n_classes)): the ``top`` best labels."""
    k = min(top, scores.shape[1])
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    results = []
    for n, row, idx in zip(names, scores, order):
        ranked = [{"label": labels[i], key: round(float(row[i]), 6)} for i in idx]
        results.append({"input": n, "label": ranked[0]["label"], key: ranked[0][key], "top": ranked})
    return results


def format_results(results: list[dict[str, Any]]) -> str:
    """``path: label (p=0.97)`` per line; with top-K, the K best separated by commas."""
    lines = []
    for r in results:
        if "value" in r:
            lines.append(f"{r['input']}: {r['value']:.6g}")
            continue
        if not r["top"]:
            lines.append(f"{r['input']}: {r['label']}")
            continue
        key, tag = ("probability", "p") if "probability" in r["top"][0] else ("score", "score")
        shown = ", ".join(f"{t['label']} ({tag}={t[key]:.{2 if tag == 'p' else 3}f})" for t in r["top"])
        lines.append(f"{r['input']}: {shown}")
    return "\n".join(lines)
