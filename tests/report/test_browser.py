"""End to end in a real browser: a report of a small real run on digits, opened in headless Chromium
(driven over the DevTools protocol by ``cdp.py``): no console errors, every image decodes, clicking a column
header sorts, pagination works, and a screenshot is saved."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from classbench.report import cli_report, write_report

from . import cdp

HERE = Path(__file__).parent
ROOT = HERE.parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    exe = cdp.find_chromium()
    if exe is None:
        pytest.skip("Chromium is not installed, so the report is not tested in a browser. Enable these tests "
                    "with `apt-get install chromium` (Debian/Ubuntu) or put chromium on PATH.")
    b = cdp.Chromium(exe, width=1280, height=1000)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    p = browser.new_page()
    yield p
    try:
        p.call("Page.close")
    except Exception:  # noqa: BLE001 - the tab may already be gone
        pass
    p.ws.close()


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """A real run: ridge, logreg, a small MLP with a validation split, and a model that fails; 2 seeds."""
    out = tmp_path_factory.mktemp("real")
    env = {**os.environ, "CLASSBENCH_PLUGINS": "plugin_report",
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "classbench", "run", "--dataset", "digits", "--model", "ridge", "--model", "logreg",
           "--model", "mlp", "--model", "report-boom", "--set", "mlp.epochs=6", "--set", "mlp.hidden=[32]",
           "--set", "mlp.lr=0.01", "--set", "mlp.validation_fraction=0.2", "--seeds", "2", "--out", str(out),
           "--no-report", "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr
    return out


def header_center(page, table: str, column: str) -> tuple[float, float]:
    return tuple(page.js(f"""(() => {{
        const th = Array.from(document.querySelectorAll('#{table} thead th')).find(t => t.textContent === '{column}');
        th.scrollIntoView({{block: 'center'}});
        const r = th.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2];
    }})()"""))


def column(page, table: str, index: int, attr: bool = False, visible_only: bool = False) -> list:
    what = "c.getAttribute('data-v')" if attr else "c.textContent"
    keep = "r => r.style.display !== 'none'" if visible_only else "r => true"
    return page.js(f"Array.from(document.querySelectorAll('#{table} tbody tr')).filter({keep})"
                   f".map(r => {{ const c = r.cells[{index}]; return {what}; }})")


def broken_images(page) -> list:
    return page.js("""Promise.all(Array.from(document.images).map(img =>
        img.decode().then(() => img.naturalWidth > 0 ? null : 'empty: ' + img.alt, () => 'undecodable: ' + img.alt)
    )).then(r => r.filter(x => x !== null))""")


def test_real_run_report_in_chromium(page, real_run, tmp_path):
    path = cli_report(real_run, None)
    assert path.parent.parent.parent == real_run
    cdp.load(page, str(path))
    assert page.js("document.title").startswith("classbench report: adhoc")
    assert page.js("document.images.length") > 30
    assert broken_images(page) == []
    acc = 3  # leaderboard columns: dataset, model, family, accuracy, ...
    models = column(page, "leaderboard", 1)
    assert len(models) == 4 and models[0] == "logreg"  # the report starts in leaderboard order (best first)
    statuses = column(page, "leaderboard", 11)
    assert statuses[models.index("report-boom")] == "failed (2 of 2)"
    assert all(re.fullmatch(r"0\.\d{4} \[0\.\d{3}, 0\.\d{3}\]( \*)?", v)  # mean [95% interval], * tied
               for v in column(page, "leaderboard", acc)[:3])
    assert page.js("document.querySelectorAll('#significance img').length") == 2  # intervals, p-values

    page.click(*header_center(page, "leaderboard", "accuracy"))  # real mouse clicks on the header
    keys = column(page, "leaderboard", acc, attr=True)
    numbers = [float(k) for k in keys if k]
    assert numbers == sorted(numbers) and keys[-1] == ""  # ascending, the failed model (no accuracy) last
    assert column(page, "leaderboard", 1)[0].startswith("mlp(")
    assert page.js("document.querySelector('#leaderboard th[aria-sort]').textContent") == "accuracy"
    page.click(*header_center(page, "leaderboard", "accuracy"))
    keys = column(page, "leaderboard", acc, attr=True)
    numbers = [float(k) for k in keys if k]
    assert numbers == sorted(numbers, reverse=True) and keys[-1] == ""
    assert column(page, "leaderboard", 1)[0] == "logreg"
    page.click(*header_center(page, "leaderboard", "model"))
    assert column(page, "leaderboard", 1) == sorted(models, key=str.lower)

    sections = page.js("Array.from(document.querySelectorAll('section')).map(s => s.id)")
    assert {"leaderboard", "pareto", "failures", "learning-curves", "confusion", "misclassified", "dataset",
            "environment"} <= set(sections)
    assert "report-boom: this model always fails" in page.js("document.getElementById('failures').textContent")
    curves = page.js("document.getElementById('learning-curves').querySelectorAll('img').length")
    assert curves == 1  # only the MLP trains over epochs
    assert page.js("document.getElementById('partial')") is None
    page.js("window.scrollTo(0, 0)")
    shot = cdp.screenshot(page, str(tmp_path / "report.png"))
    assert shot.startswith(b"\x89PNG") and len(shot) > 20_000
    cdp.screenshot(page, str(tmp_path / "report-full.png"), full_height=12_000)
    assert page.errors() == []


def test_pagination_and_sorting_across_pages(page, synthetic, tmp_path):
    store, run_id = synthetic(n_models=120, n_seeds=1, n_pending=1)
    path = write_report(store, run_id, markdown=False, top_n=1)
    cdp.load(page, str(path))
    assert page.js("document.getElementById('partial').textContent").startswith("Partial report")
    assert broken_images(page) == []
    assert len(column(page, "leaderboard", 1, visible_only=True)) == 50
    assert page.js("document.querySelector('#leaderboard-pager .info').textContent") == "page 1 of 3 (120 rows)"
    first = column(page, "leaderboard", 1, visible_only=True)
    page.js("document.querySelector('#leaderboard-pager .next').scrollIntoView({block: 'center'})")
    r = page.js("(() => { const b = document.querySelector('#leaderboard-pager .next').getBoundingClientRect();"
                " return [b.x + b.width / 2, b.y + b.height / 2]; })()")
    page.click(*r)
    second = column(page, "leaderboard", 1, visible_only=True)
    assert len(second) == 50 and not set(first) & set(second)
    assert page.js("document.querySelector('#leaderboard-pager .info').textContent").startswith("page 2 of 3")
    everything = [float(v) for v in column(page, "leaderboard", 3, attr=True) if v]
    page.click(*header_center(page, "leaderboard", "accuracy"))
    page.click(*header_center(page, "leaderboard", "accuracy"))  # descending
    top = column(page, "leaderboard", 3, attr=True, visible_only=True)
    assert float(top[0]) == max(everything)  # sorted over all pages, back on page 1
    assert page.js("document.querySelector('#leaderboard-pager .info').textContent").startswith("page 1 of 3")
    assert page.js("document.querySelectorAll('#trials tbody tr:not([style*=\"none\"])').length") == 50
    cdp.screenshot(page, str(tmp_path / "paginated.png"))
    assert page.errors() == []
