"""The site publishes the very method note ``lantern build`` wrote, and a reader can recompute any
area's published index score from that note and the published domain ranks."""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd


def test_the_site_publishes_the_note_the_build_wrote(essex_warehouse, essex_site):
    note = (essex_site / "method-note.md").read_text(encoding="utf-8")
    written = (essex_warehouse.parent / "essex-covid-method.md").read_text(encoding="utf-8")
    assert note == written
    con = duckdb.connect(str(essex_warehouse), read_only=True)
    stored = con.execute("SELECT method_note FROM index_runs WHERE index_id = 'essex-covid'")
    assert stored.fetchone()[0] == note
    con.close()
    page = (essex_site / "method.html").read_text(encoding="utf-8")
    assert "method-note.md" in page and "Combining the domains" in page
    assert "e^(−100/23)" in page  # the exponential transform is on the page
    # the old, wrong shorthand (index = Σ W · domain score) is gone
    assert "index score = Σ<sub>d</sub> W<sub>d</sub> · domain score" not in page


def test_a_published_score_can_be_recomputed_from_the_note_and_domain_ranks(essex_site):
    note = (essex_site / "method-note.md").read_text(encoding="utf-8")
    combining = note.split("## Combining the domains", 1)[1].split("\n## ", 1)[0]
    assert "exponentially transformed X = −23 · ln(1 − R · (1 − e^(−100/23)))" in combining
    assert "R = (N + 1 − rank)/N with rank 1 = most vulnerable" in combining
    weights = {d: float(w) for d, w in re.findall(r"(\w+) (\d\.\d{4})", combining)}
    assert abs(sum(weights.values()) - 1) < 1e-9 and len(weights) == 5
    table = pd.read_csv(essex_site / "downloads" / "lantern-lsoa.csv")
    n = len(table)
    score = np.zeros(n)
    for domain, w in weights.items():
        r = (n + 1 - table[f"{domain}_rank"].to_numpy(float)) / n
        score += w * -23 * np.log(1 - r * (1 - np.exp(-100 / 23)))
    np.testing.assert_allclose(score, table["index_score"], rtol=1e-6)
    assert table["index_rank"].iloc[np.argmax(score)] == 1
