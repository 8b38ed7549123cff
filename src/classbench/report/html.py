"""Render a ``Report`` to one self-contained HTML page: inline CSS, a little inline JS (table sorting and
pagination), every image a base64 PNG data URI. Nothing is fetched from the network."""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from .blocks import Card, Figure, Gallery, Heading, Html, Note, Report, Section, Table
from .images import thumbnail_png

CSS = """
:root{--fg:#1d2330;--muted:#5b6473;--line:#dde1e7;--bg2:#f5f7fa;--accent:#2463c7}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);
 margin:0;background:#fff}
header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9d1de}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:8px 28px;z-index:5}
nav a{margin-right:16px;color:var(--accent);text-decoration:none;white-space:nowrap}
main{padding:4px 28px 40px;max-width:1400px}
h2{margin:28px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line);font-size:19px}
h3{margin:6px 0 8px;font-size:15px}
.banner{background:#fff4d6;border:1px solid #e8c25a;padding:10px 14px;margin:14px 0;border-radius:6px}
.note{color:var(--muted);margin:6px 0 10px}
.note.warn{color:#8a5a00;background:#fff8e6;padding:6px 10px;border-radius:4px}
.note.error{color:#9b1c1c;background:#fdecec;padding:6px 10px;border-radius:4px}
.small{font-size:12.5px;margin:4px 0}
table.data{border-collapse:collapse;margin:6px 0 4px;font-size:13px}
table.data th,table.data td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
table.data th{background:var(--bg2);position:relative;white-space:nowrap}
table.data td.num,table.data th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.data tbody tr:nth-child(even){background:#fafbfc}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th:hover{background:#e8edf5}
table.sortable th[aria-sort=ascending]::after{content:" \\25B2";font-size:10px}
table.sortable th[aria-sort=descending]::after{content:" \\25BC";font-size:10px}
td.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
td.err{max-width:640px;font-size:12px}
td.err pre,details pre{white-space:pre-wrap;font-size:11.5px;background:var(--bg2);padding:8px;max-height:320px;overflow:auto}
.st-ok{color:#1a7f37}.st-failed{color:#c62828;font-weight:600}.st-partial{color:#b35900}.st-pending{color:#6b7280}
.pager{margin:4px 0 12px;display:none;gap:8px;align-items:center}
.pager button{padding:2px 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:14px;margin:8px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fff;min-width:0}
.card.wide{grid-column:1/-1}
figure.plot{margin:6px 0}
figure.plot img{max-width:100%;height:auto;display:block}
.gallery{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.gallery figure{margin:0;width:92px;text-align:center}
.gallery img{width:72px;height:72px;object-fit:contain;background:#eef0f3;border-radius:3px}
.gallery img.px{image-rendering:pixelated}
.gallery figcaption{font-size:11px;color:var(--fg);line-height:1.2;margin-top:2px}
.gallery.texts figure{width:100%;text-align:left}
.gallery .snippet{margin:0;padding:6px 10px;background:var(--bg2);border-left:3px solid var(--line);font-size:12.5px}
footer{color:var(--muted);padding:10px 28px 30px;font-size:12px}
"""

JS = """
(function () {
  function key(td, num) {
    var v = td.getAttribute('data-v');
    if (v === null || v === '') return null;
    return num ? parseFloat(v) : v.toLowerCase();
  }
  function setup(table) {
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var size = parseInt(table.getAttribute('data-page-size') || '0', 10);
    var pager = document.getElementById(table.id + '-pager');
    var page = 0;
    function show() {
      if (!size || !pager) return;
      var pages = Math.max(1, Math.ceil(rows.length / size));
      page = Math.max(0, Math.min(page, pages - 1));
      rows.forEach(function (r, i) { r.style.display = (i >= page * size && i < (page + 1) * size) ? '' : 'none'; });
      pager.style.display = pages > 1 ? 'flex' : 'none';
      pager.querySelector('.info').textContent = 'page ' + (page + 1) + ' of ' + pages + ' (' + rows.length + ' rows)';
      pager.querySelector('.prev').disabled = page === 0;
      pager.querySelector('.next').disabled = page >= pages - 1;
    }
    if (pager) {
      pager.querySelector('.prev').addEventListener('click', function () { page -= 1; show(); });
      pager.querySelector('.next').addEventListener('click', function () { page += 1; show(); });
    }
    var ths = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths, function (th, col) {
      th.addEventListener('click', function () {
        var num = th.getAttribute('data-type') === 'num';
        var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        Array.prototype.forEach.call(ths, function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        rows.sort(function (a, b) {
          var x = key(a.cells[col], num), y = key(b.cells[col], num);
          if (x === null || y === null) return (x === null) - (y === null);
          return x < y ? -dir : (x > y ? dir : 0);
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
        page = 0;
        show();
      });
    });
    show();
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), setup);
})();
"""


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render(report: Report, footer: str = "") -> str:
    nav = " ".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in report.sections)
    banner = f'<div class="banner" id="partial">{escape(report.partial)}</div>' if report.partial else ""
    body = "".join(_section(s) for s in report.sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">"
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(report.title)}</h1><p>{escape(report.subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>{banner}{body}</main>"
        f"<footer>{escape(footer)}</footer><script>{JS}</script></body></html>\n")


def _section(s: Section) -> str:
    return f'<section id="{escape(s.key)}"><h2>{escape(s.title)}</h2>{_blocks(s.blocks)}</section>'


def _blocks(blocks: list[Any]) -> str:
    out, cards = [], []
    for b in blocks + [None]:
        if isinstance(b, Card):
            cls = "card wide" if b.wide else "card"
            cards.append(f'<div class="{cls}"><h3>{escape(b.title)}</h3>{_blocks(b.blocks)}</div>')
            continue
        if cards:
            out.append('<div class="cards">' + "".join(cards) + "</div>")
            cards = []
        if b is not None:
            out.append(block(b))
    return "".join(out)


def block(b: Any) -> str:
    if isinstance(b, Figure):
        return f'<figure class="plot"><img src="{data_uri(b.png)}" alt="{escape(b.alt)}"></figure>'
    if isinstance(b, Heading):
        return f"<h3>{escape(b.text)}</h3>"
    if isinstance(b, Note):
        return f'<p class="note {escape(b.kind)}">{escape(b.text)}</p>'
    if isinstance(b, Html):
        return b.html
    if isinstance(b, Table):
        return table(b)
    if isinstance(b, Gallery):
        return gallery(b)
    raise TypeError(f"unknown report block {type(b).__name__}")


def table(t: Table) -> str:
    cls = "data sortable" if t.sortable else "data"
    attrs = f' id="{escape(t.table_id)}"' if t.table_id else ""
    if t.page_size and len(t.rows) > t.page_size:
        attrs += f' data-page-size="{t.page_size}"'
    head = "".join(
        f'<th{" class=num" if i in t.numeric else ""} data-type="{"num" if i in t.numeric else "str"}"'
        f' title="click to sort">{escape(h)}</th>' if t.sortable else
        f'<th{" class=num" if i in t.numeric else ""}>{escape(h)}</th>' for i, h in enumerate(t.header))
    rows = []
    for r in t.rows:
        cells = []
        for i, c in enumerate(r):
            classes = " ".join(x for x in (c.cls, "num" if i in t.numeric else "") if x)
            v = "" if c.sort is None else (repr(float(c.sort)) if i in t.numeric else str(c.sort))
            sort = f' data-v="{escape(v)}"' if t.sortable else ""
            cells.append(f'<td{f" class={chr(34)}{classes}{chr(34)}" if classes else ""}{sort}>{escape(c.text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    html = f'<table class="{cls}"{attrs}><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    if t.table_id and t.page_size and len(t.rows) > t.page_size:
        html += (f'<div class="pager" id="{escape(t.table_id)}-pager"><button class="prev">‹ previous</button>'
                 f'<span class="info"></span><button class="next">next ›</button></div>')
    return html


def gallery(g: Gallery) -> str:
    texts = all(i.image is None for i in g.items)
    parts = []
    for i in g.items:
        cap = f"<figcaption>{escape(i.caption)}</figcaption>"
        title = f' title="{escape(i.title)}"' if i.title else ""
        if i.image is not None:
            px = ' class="px"' if max(i.image.shape[:2]) < 72 else ""
            parts.append(f'<figure{title}><img{px} src="{data_uri(thumbnail_png(i.image))}" '
                         f'alt="{escape(i.caption)}">{cap}</figure>')
        else:
            parts.append(f'<figure{title}>{cap}<blockquote class="snippet">{escape(i.text or "")}</blockquote>'
                         f"</figure>")
    return f'<div class="gallery{" texts" if texts else ""}">{"".join(parts)}</div>'
