import numpy as np
import pytest

from lantern.index.explain import explain, explanation_text
from lantern.index.normalise import descending_rank


def test_contributions_add_up_to_the_score(iod_result):
    e = explain(iod_result, "E01021988")  # Jaywick, Tendring: the most deprived LSOA in 2019
    assert e.rank == 1 and e.decile == 1
    assert e.domains["contribution"].sum() == pytest.approx(e.score)
    assert e.domains["share"].sum() == pytest.approx(1.0)
    assert set(e.indicators["component"]) == set(e.domains["component"])
    contrib = iod_result.contributions()
    mine = contrib[(contrib.area_code == "E01021988") & (contrib.component == "index")]
    assert mine["contribution"].sum() == pytest.approx(e.score)


def test_decile_shift_moves_the_decile(iod_result):
    code = "E01000001"
    e = explain(iod_result, code)
    scores = iod_result.components["index"]["score"].copy()
    row = iod_result.areas.get_loc(code)
    n = len(scores)
    for shift in e.shifts:
        moved = scores.copy()
        moved[row] += shift.score_change
        new_rank = descending_rank(moved, "average")[row]
        assert np.ceil(10 * new_rank / n) == shift.target_decile
        # A slightly smaller change is not enough.
        moved[row] = scores[row] + shift.score_change * 0.999
        assert np.ceil(10 * descending_rank(moved, "average")[row] / n) == e.decile
    text = explanation_text(e)
    assert "decile 8" in text and "decile 10" in text


def test_domain_needed_reaches_the_target(iod_result):
    e = explain(iod_result, "E01000001")
    more = next(s for s in e.shifts if s.direction == "more")
    barriers = more.domains.set_index("component").loc["barriers"]
    assert barriers["reachable"]
    assert barriers["domain_rank_needed"] < iod_result.components["barriers"]["rank"][0]


def test_explanation_adds_up_in_the_scores_own_units_with_integer_ranks(iod_result):
    from lantern.index.explain import explanation_text, plain_sentence

    for code in iod_result.areas[[0, 100, 5000, -1]]:
        e = explain(iod_result, code)
        assert e.domains["contribution"].sum() == pytest.approx(
            iod_result.index_score[iod_result.areas.get_loc(code)], rel=1e-12
        )
        text = explanation_text(e, "Somewhere")
        assert ".5 " not in text and ".5)" not in text  # ranks print as whole numbers
        sentence = plain_sentence(e, "Somewhere")
        assert sentence.startswith("Somewhere (") and "mostly because of" in sentence
        assert sentence in text
        assert "points" in text and "= " in text
