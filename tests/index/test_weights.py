import numpy as np
import pandas as pd
import pytest

from lantern.index.aggregate import aggregate, contributions
from lantern.index.normalise import inverse_normal
from lantern.index.weights import derive_weights, explicit_weights, pca_weights


def test_explicit_weights_are_scaled_to_shares():
    np.testing.assert_allclose(explicit_weights([22.5, 22.5, 13.5, 13.5, 9.3, 9.3, 9.3]).sum(), 1.0)
    with pytest.raises(ValueError):
        explicit_weights([-1, 2])


def test_pca_weights_favour_the_shared_component():
    rng = np.random.default_rng(1)
    f = rng.normal(size=2000)
    m = np.column_stack(
        [f + 0.1 * rng.normal(size=2000), f + 0.1 * rng.normal(size=2000), rng.normal(size=2000)]
    )
    w = pca_weights(m)
    assert w.sum() == pytest.approx(1.0)
    assert w[0] > 0.4 and w[1] > 0.4 and w[2] < 0.05


def test_factor_weights_reproduce_iod2019_health_domain(shared_data):
    """IoD2019 technical report: Health domain ML factor weights YPLL .271, CIDR .300, acute
    morbidity .256, mood and anxiety .172, from the normal scores of the published indicators."""
    d = pd.read_csv(shared_data / "imd2019" / "imd2019_lsoa11_underlying_indicators_england.csv")
    cols = [
        "years_of_potential_life_lost_indicator",
        "comparative_illness_and_disability_ratio_indicator",
        "acute_morbidity_indicator",
        "mood_and_anxiety_disorders_indicator",
    ]
    m = np.column_stack([inverse_normal(d[c].to_numpy()) for c in cols])
    w = derive_weights("factor", m)
    np.testing.assert_allclose(np.round(w, 3), [0.271, 0.300, 0.256, 0.172])


def test_aggregations_and_contributions_add_up():
    x = np.array([[1.0, 4.0], [2.0, 2.0]])
    w = np.array([0.25, 0.75])
    np.testing.assert_allclose(aggregate(x, w, "arithmetic"), [3.25, 2.0])
    np.testing.assert_allclose(aggregate(x, w, "sum"), [5.0, 4.0])
    np.testing.assert_allclose(aggregate(x, w, "geometric"), [4**0.75, 2.0])
    for method in ("arithmetic", "sum"):
        np.testing.assert_allclose(contributions(x, w, method).sum(axis=1), aggregate(x, w, method))
    np.testing.assert_allclose(
        np.exp(contributions(x, w, "geometric").sum(axis=1)), aggregate(x, w, "geometric")
    )
    with pytest.raises(ValueError, match="positive"):
        aggregate(np.array([[0.0, 1.0]]), w, "geometric")
