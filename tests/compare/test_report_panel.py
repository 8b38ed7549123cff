"""The report's "Is the difference real?" section, from a stored run with two datasets."""

from __future__ import annotations

from classbench.report import build_report
from classbench.report.blocks import Figure, Note

from .conftest import answers, write_run


def test_section_has_intervals_pvalues_sentences_and_cd_diagram(tmp_path):
    n = 1000
    store = write_run(tmp_path, {"lenet5": [answers(n, range(40))], "seed-cnn": [answers(n, range(5, 42))],
                                 "logreg": [answers(n, range(120))]})
    write_run(tmp_path, {"lenet5": [answers(n, range(20))], "seed-cnn": [answers(n, range(30))],
                         "logreg": [answers(n, range(90))]}, dataset="mnist-again", store=store)
    try:
        report, _ = build_report(store, "r1")
    finally:
        store.close()
    (sec,) = [s for s in report.sections if s.key == "significance"]
    assert sec.title == "Is the difference real?"
    figures = [b.name for b in sec.blocks if isinstance(b, Figure)]
    assert figures == ["intervals-digits", "pvalues-digits", "intervals-mnist-again", "pvalues-mnist-again",
                       "cd-diagram"]
    assert all(b.png[:4] == b"\x89PNG" for b in sec.blocks if isinstance(b, Figure))
    notes = [b.text for b in sec.blocks if isinstance(b, Note)]
    assert any(t.startswith("seed-cnn and lenet5 are not distinguishable on these 1,000 images: p = ")
               for t in notes), notes
    assert any(t.startswith("Across 2 datasets: Friedman p = ") for t in notes)
    (board,) = [s for s in report.sections if s.key == "leaderboard"]
    assert "Wilson interval" in board.blocks[0].text
