"""``openml:ID`` and ``openml:NAME``: a dataset of OpenML (openml.org), read like an ``arff:`` file.

Files, per dataset id N, in ``DIR/openml/N/`` for each ``--data-dir`` / ``CLASSBENCH_DATA`` folder, then in
the cache (``<cache>/openml/N/``):

* ``description.json``: the answer of ``GET {base}/api/v1/json/data/N`` (name, version, format, the data
  file's URL and md5 checksum, default target, ignored and row-id attributes);
* ``features.json``: ``GET {base}/api/v1/json/data/features/N`` (each column's type; ignored and row-id
  columns are left out of the features);
* ``data.arff``: the ARFF file (dense or sparse) at the description's ``url``, used only when its md5
  matches the description's ``md5_checksum``. (OpenML also serves Parquet copies, but gives a checksum only
  for the ARFF file, so the ARFF file is what is fetched.)

Missing files are downloaded into the cache (JSON written atomically, the data file through
``_fetch.download``: temp file, renamed into place only after its md5 matches; progress bar on stderr).
``base`` is https://www.openml.org, or ``CLASSBENCH_OPENML_URL``. A name is looked up with
``GET {base}/api/v1/json/data/list/data_name/NAME/limit/2/status/active`` (the oldest active version, as
scikit-learn's ``fetch_openml`` does; ``version=V`` asks for that version); offline, a name is found among
the descriptions already on disk. Without network or with ``--no-download``, the error lists every place
searched and the URLs to fetch by hand.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import DataError, UserError
from ...params import Param
from ..base import DataContext
from ..byo_csv import CsvTable
from .raw import RawTable

DEFAULT_URL = "https://www.openml.org"
FILES = ("description.json", "features.json", "data.arff")


def base_url() -> str:
    return os.environ.get("CLASSBENCH_OPENML_URL", "").strip().rstrip("/") or DEFAULT_URL


def api_url(path: str) -> str:
    return f"{base_url()}/api/v1/json/{path}"


@dataclass
class Found:
    """The three files of one dataset id, and what was seen where (for error messages)."""

    folder: Path
    description: dict[str, Any]
    features: list[dict[str, Any]]
    data: Path
    probes: list[str] = field(default_factory=list)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _description(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    d = (doc or {}).get("data_set_description")
    return d if isinstance(d, dict) and d.get("id") is not None else None


def _features(doc: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    f = ((doc or {}).get("data_features") or {}).get("feature")
    return f if isinstance(f, list) else None


def _data_urls(desc: dict[str, Any]) -> list[str]:
    """The description's data URL, with its path also tried under the configured base (a mirror)."""
    url = str(desc.get("url") or "")
    if not url:
        return []
    parts = urllib.parse.urlsplit(url)
    moved = base_url() + parts.path + (f"?{parts.query}" if parts.query else "")
    return list(dict.fromkeys([moved, url]))


class OpenMLSource(CsvTable):
    """An OpenML dataset: the ARFF reader with OpenML's default target and ignored attributes."""

    scheme = "openml"
    reader = "arff"
    want = "openml"
    param_space = {
        **{k: v for k, v in CsvTable.param_space.items() if k not in ("delimiter", "header")},
        "version": Param(int, low=1, nullable=True, doc="openml:NAME only: this version (default: the oldest active)"),
    }
    defaults = {**{k: v for k, v in CsvTable.defaults.items() if k not in ("delimiter", "header")},
                "version": None, "delimiter": None, "header": "first"}

    def __init__(self, name: str, path: str, query: dict | None = None):
        super().__init__(name, path, query)
        self.source = f"OpenML dataset {path} ({base_url()})"
        self._found: Found | None = None

    @property
    def modality(self) -> str:  # type: ignore[override]
        return self._modality or "tabular"

    # ------------------------------------------------------------------------------------------- finding
    def _folders(self, ctx: DataContext, did: str) -> list[Path]:
        return [d / "openml" / did for d in ctx.data_dirs] + [ctx.cache_dir / "openml" / did]

    def _id(self, ctx: DataContext) -> str:
        """The dataset id: the path itself when it is a number, else looked up by name."""
        ref = self.path.strip()
        if ref.isdigit():
            return str(int(ref))
        version = self.effective({}).get("version")
        roots = [d / "openml" for d in ctx.data_dirs] + [ctx.cache_dir / "openml"]
        known = []
        for root in roots:
            for f in sorted(root.glob("*/description.json")) if root.is_dir() else []:
                d = _description(_read_json(f))
                if d and d.get("name") == ref and (version is None or str(d.get("version")) == str(version)):
                    known.append((int(d.get("version") or 0), str(d["id"])))
        if known:
            return min(known)[1]
        from .._fetch import DownloadError, downloads_allowed, get_json

        query = f"data/list/data_name/{urllib.parse.quote(ref, safe='')}/limit/2/" + (
            f"data_version/{version}" if version else "status/active")
        if not downloads_allowed(ctx):
            raise DataError(f"Dataset {self.name!r}: no OpenML dataset named {ref!r} is on disk (looked for "
                            f"*/description.json in {', '.join(map(str, roots))}) and downloads are turned off, so "
                            f"the name cannot be looked up. Use its id (openml:ID, shown on openml.org), or allow "
                            f"downloads; the lookup is {api_url(query)}.")
        try:
            found = ((get_json(api_url(query)).get("data") or {}).get("dataset")) or []
        except DownloadError as exc:
            why = exc.failures[0][1] if exc.failures else str(exc)
            if why.startswith(("HTTP 412", "HTTP 404")):
                raise UserError(f"Dataset {self.name!r}: OpenML has no {'active ' if not version else ''}dataset "
                                f"named {ref!r}{f' with version {version}' if version else ''} ({api_url(query)}: "
                                f"{why}). Check the spelling on openml.org, or use its id: openml:ID.") from None
            raise DataError(f"Dataset {self.name!r}: could not look up the OpenML name {ref!r}: {api_url(query)}: "
                            f"{why}. Use its id (openml:ID) with the files on disk, or try again later.") from None
        if not found or "did" not in found[0]:
            raise UserError(f"Dataset {self.name!r}: OpenML has no dataset named {ref!r} ({api_url(query)}).")
        return str(int(found[0]["did"]))

    def _check_folder(self, folder: Path) -> tuple[Found | None, str]:
        """The folder's files if they are all there and the data file's md5 matches; else why not."""
        from .._fetch import md5_file

        desc = _description(_read_json(folder / "description.json"))
        feats = _features(_read_json(folder / "features.json"))
        data = folder / "data.arff"
        if desc is None or feats is None or not data.is_file():
            missing = [n for n, ok in zip(FILES, (desc, feats, data.is_file())) if not ok]
            return None, f"{folder} ({'missing' if not folder.is_dir() else 'lacks ' + ', '.join(missing)})"
        md5 = str(desc.get("md5_checksum") or "").lower()
        if not md5:
            return None, f"{folder / 'description.json'} (no md5_checksum to verify data.arff with; not used)"
        got = md5_file(data)
        if got != md5:
            return None, f"{data} (checksum mismatch: md5 {got}, expected {md5}; not used)"
        return Found(folder, desc, feats, data), f"{folder} (ok)"

    def locate(self, ctx: DataContext) -> Path:  # type: ignore[override]
        """The ARFF file (found or downloaded, md5-verified); DataError naming every place searched."""
        if self._found is not None and self._found.data.is_file():
            return self._found.data
        did = self._id(ctx)
        probes = []
        for folder in self._folders(ctx, did):
            found, probe = self._check_folder(folder)
            probes.append(probe)
            if found is not None:
                self._found = found
                return found.data
        self._found = self._download(ctx, did, probes)
        return self._found.data

    def _download(self, ctx: DataContext, did: str, probes: list[str]) -> Found:
        from .._fetch import (
            DownloadError,
            atomic_write_bytes,
            download,
            downloads_allowed,
            get_json,
            md5_check,
        )

        dest = ctx.cache_dir / "openml" / did
        urls = [api_url(f"data/{did}"), api_url(f"data/features/{did}")]
        hand = (f"To fetch by hand, save {urls[0]} as description.json, {urls[1]} as features.json and the file at "
                f"the description's \"url\" as data.arff, all into {dest} (or into DIR/openml/{did}/ for a folder "
                f"DIR you pass with --data-dir or CLASSBENCH_DATA).")
        where = f"Searched: {'; '.join(probes)}."
        if not downloads_allowed(ctx):
            raise DataError(f"Dataset {self.name!r}: OpenML dataset {did} is not on disk and downloads are turned off "
                            f"({'CLASSBENCH_OFFLINE' if os.environ.get('CLASSBENCH_OFFLINE') else '--no-download'}). "
                            f"{where} {hand}")
        try:
            desc_doc, feat_doc = get_json(urls[0]), get_json(urls[1])
        except DownloadError as exc:
            why = exc.failures[0][1] if exc.failures else str(exc)
            if why.startswith(("HTTP 412", "HTTP 404")):
                raise UserError(f"Dataset {self.name!r}: OpenML has no dataset {did} ({exc}). Check the id on "
                                f"openml.org.") from None
            raise DataError(f"Dataset {self.name!r}: could not download OpenML dataset {did}: {exc}. {where} "
                            f"{hand}") from None
        desc, feats = _description(desc_doc), _features(feat_doc)
        if desc is None or feats is None:
            raise DataError(f"Dataset {self.name!r}: {urls[0] if desc is None else urls[1]} did not answer like "
                            f"OpenML's API (no {'data_set_description' if desc is None else 'data_features'}). "
                            f"Is CLASSBENCH_OPENML_URL ({base_url()}) an OpenML server?")
        md5 = str(desc.get("md5_checksum") or "")
        fmt = str(desc.get("format") or "ARFF").lower()
        if "arff" not in fmt or not md5 or not desc.get("url"):
            raise DataError(f"Dataset {self.name!r}: OpenML dataset {did} has format {desc.get('format')!r}"
                            f"{'' if md5 else ' and no md5_checksum'}; classbench reads ARFF files it can verify "
                            f"by their md5 only. {hand}")
        try:
            data = download(_data_urls(desc), dest / "data.arff", None, check=md5_check(md5))
        except DownloadError as exc:
            raise DataError(f"Dataset {self.name!r}: {exc} {where} {hand}") from None
        atomic_write_bytes(dest / "features.json", json.dumps(feat_doc).encode())
        atomic_write_bytes(dest / "description.json", json.dumps(desc_doc).encode())  # last: marks it complete
        return Found(dest, desc, feats, data)

    def places(self, ctx: DataContext) -> list[Path]:
        return self._folders(ctx, self.path.strip()) if self.path.strip().isdigit() else []

    # -------------------------------------------------------------------------------------- the dataset
    def _default_target(self, table: RawTable) -> str | None:
        assert self._found is not None
        target = str(self._found.description.get("default_target_attribute") or "")
        if not target or "," in target:
            raise UserError(f"Dataset {self.name!r}: OpenML dataset {self._found.description.get('id')} has "
                            f"{'no default target' if not target else 'several targets (' + target + ')'}; say "
                            f"which column is the target with target=NAME. Columns: {', '.join(table.names[:40])}.")
        return table.resolve(self.name, target, "the default target")

    def _dropped(self, table: RawTable, p: dict[str, Any]) -> list[str]:
        """``drop``, plus the columns OpenML marks as ignored or as row identifiers."""
        assert self._found is not None
        auto = [f["name"] for f in self._found.features
                if str(f.get("is_ignore")).lower() == "true" or str(f.get("is_row_identifier")).lower() == "true"]
        return list(dict.fromkeys(super()._dropped(table, p) + [n for n in auto if n in table.names]))

    def _meta(self) -> dict[str, Any]:
        desc = self._found.description if self._found else {}
        return {k: desc.get(k) for k in ("id", "name", "version", "format", "default_target_attribute",
                                          "md5_checksum", "licence", "url")}

    def load(self, ctx: DataContext, **params: Any) -> Any:
        ds = super().load(ctx, **params)
        ds.provenance.update(source="openml", openml=self._meta())
        return ds

    def info(self, ctx: DataContext) -> dict[str, Any]:
        d = super().info(ctx)
        d["openml"] = self._meta()
        return d

    def fetch(self, ctx: DataContext) -> list[Path]:
        self.locate(ctx)
        return [self._found.folder / f for f in FILES] if self._found else []  # type: ignore[union-attr]
