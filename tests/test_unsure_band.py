"""The "unsure" band: from false-accept targets on the impostor pairs (the default) or where the "how sure" curve is
between 90 % and 10 %; around the threshold, never against it."""

from __future__ import annotations

import numpy as np
import pytest

from facedemo.analysis import metrics
from facedemo.analysis.confidence import (
    BAND_SOURCES,
    DEFAULT_BAND_SOURCE,
    Confidence,
    band_for,
    reference_distances,
    unsure_band,
    unsure_band_for_far,
)
from facedemo.encoding.networks import COMPARISONS, default_threshold
from facedemo.people.matching import same_person


def toy() -> Confidence:
    # genuine near 0.4-0.8, impostor near 0.9-1.4, overlapping at 0.8-0.9
    genuine = np.array([0.4, 0.5, 0.6, 0.7, 0.85, 0.95])
    impostor = np.array([0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4])
    return Confidence.fit(genuine, impostor, pseudo_pairs=0)


def test_distance_at_reads_the_curve_backwards():
    fitted = toy()
    for p in (0.9, 0.5, 0.1):
        d = fitted.distance_at(p)
        assert fitted.p_same(d) == pytest.approx(p, abs=1e-9) or fitted.p_same(d) <= p
        assert fitted.p_same(d - 1e-6) >= p - 1e-6
    assert fitted.distance_at(0.9) <= fitted.distance_at(0.5) <= fitted.distance_at(0.1)


def test_the_band_holds_the_threshold_and_agrees_with_the_decision_outside_it():
    fitted = toy()
    for threshold in (0.2, 0.87, 1.9):
        band = unsure_band(fitted, threshold)
        assert band.low <= threshold <= band.high
        for d in np.linspace(0, 2, 401):
            answer = band.answer(d)
            if answer != "unsure":
                assert (answer == "yes") == same_person(d, threshold)
    band = unsure_band(fitted, 0.87)
    assert band.low == pytest.approx(fitted.distance_at(0.9)) and band.high == pytest.approx(fitted.distance_at(0.1))
    assert band.answer(band.low) == "unsure" and band.answer(band.high) == "no"  # edges as the one rule: d < t
    d = np.array([band.low - 1e-9, band.low, (band.low + band.high) / 2, band.high])
    assert band.count(d) == 2


def test_undefined_curves_give_an_empty_band_and_bad_knobs_are_named():
    with pytest.warns(UserWarning):
        empty = Confidence.fit([], [1.0, 1.2])
    band = unsure_band(empty, 0.9)
    assert band.low == band.high == 0.9 and band.answer(0.5) == "yes" and band.answer(0.9) == "no"
    with pytest.raises(ValueError, match="doubt must be below sure"):
        unsure_band(toy(), 0.9, sure=0.1, doubt=0.9)


def test_on_the_gallery_the_band_straddles_the_calibrated_threshold(train, val):
    vectors = np.concatenate([train.vectors, val.vectors])
    labels = list(train.labels) + list(val.labels)
    genuine, impostor = reference_distances(vectors, labels, comparison="pair")
    fitted = Confidence.fit(genuine, impostor)
    threshold = default_threshold("aligned", "pair")
    band = unsure_band(fitted, threshold)
    assert 0.5 < band.low <= threshold <= band.high < 1.6 and band.low < band.high
    assert 0 < band.count(genuine) < genuine.size and 0 < band.count(impostor) < impostor.size


# --------------------------------------------------------------------------- from false-accept targets


def random_pairs(seed=0, n_genuine=300, n_impostor=20000):
    rng = np.random.default_rng(seed)
    return rng.normal(0.8, 0.2, n_genuine), rng.normal(1.4, 0.12, n_impostor)


def test_far_band_edges_are_the_metrics_thresholds_at_those_rates():
    genuine, impostor = random_pairs()
    fitted = Confidence.fit(genuine, impostor)
    band = unsure_band_for_far(fitted, 1.1)
    assert band.source == "far" and not band.at_edge and band.n_impostor == impostor.size  # 20,000 ≥ 10,000
    assert band.low == metrics.tar_at_far(genuine, impostor, 1e-4)[1]
    assert band.high == metrics.tar_at_far(genuine, impostor, 1e-2)[1]
    # what the edges let in, counted on the impostor pairs: at most 2 in 20,000 and at most 200
    assert metrics.rates_at(band.low, genuine, impostor).false_accepts <= 2
    assert metrics.rates_at(band.high, genuine, impostor).false_accepts <= 200
    assert metrics.rates_at(np.nextafter(band.high, 3), genuine, impostor).false_accepts >= 190


def test_far_band_at_the_edge_of_the_data_starts_below_the_smallest_impostor():
    genuine, impostor = random_pairs(1, n_impostor=3000)  # 1e-4 of 3,000 is under one pair
    fitted = Confidence.fit(genuine, impostor)
    band = unsure_band_for_far(fitted, 1.0)
    assert band.at_edge and band.n_impostor == 3000
    assert band.low < impostor.min() and metrics.rates_at(band.low, genuine, impostor).false_accepts == 0
    below_first = np.max(np.concatenate([genuine, impostor])[np.concatenate([genuine, impostor]) < impostor.min()])
    assert below_first < band.low  # the largest threshold that still lets no impostor in


@pytest.mark.parametrize("source", BAND_SOURCES)
@pytest.mark.parametrize("threshold", [0.3, 0.95, 1.2, 1.45, 1.9])
def test_no_source_changes_a_decision_outside_its_band(source, threshold):
    fitted = Confidence.fit(*random_pairs(2, n_impostor=5000))
    band = band_for(fitted, threshold, source)
    assert band.source == source and band.low <= threshold <= band.high
    for d in np.linspace(0, 2, 801):
        answer = band.answer(d)
        if answer != "unsure":
            assert (answer == "yes") == same_person(d, threshold), (source, threshold, d)


def test_band_sources_are_named_and_far_is_the_default():
    fitted = Confidence.fit(*random_pairs(3, n_impostor=500))
    assert DEFAULT_BAND_SOURCE == "far" and set(BAND_SOURCES) == {"far", "curve"}
    assert band_for(fitted, 1.1) == unsure_band_for_far(fitted, 1.1)
    assert band_for(fitted, 1.1, "curve") == unsure_band(fitted, 1.1)
    with pytest.raises(ValueError, match="source must be one of 'far', 'curve', got 'median'"):
        band_for(fitted, 1.1, "median")
    with pytest.raises(ValueError, match="0 < sure_far < doubt_far < 1"):
        unsure_band_for_far(fitted, 1.1, sure_far=1e-2, doubt_far=1e-4)
    with pytest.raises(ValueError, match="threshold is NaN"):
        unsure_band_for_far(fitted, float("nan"))
    with pytest.warns(UserWarning):
        empty = Confidence.fit([0.4], [])
    band = unsure_band_for_far(empty, 0.9)
    assert band.low == band.high == 0.9 and band.source == "far"


@pytest.mark.parametrize("comparison", COMPARISONS)
def test_on_train_each_comparison_gets_a_far_band_that_holds_its_threshold(train, comparison):
    genuine, impostor = reference_distances(train.vectors, list(train.labels), comparison=comparison)
    fitted = Confidence.fit(genuine, impostor)
    threshold = default_threshold("aligned", comparison)
    band = unsure_band_for_far(fitted, threshold)
    assert band.low <= threshold <= band.high
    assert band.at_edge == (impostor.size < 10_000)  # a few thousand train pairs at most: 1e-4 is beyond them
    assert band.low <= impostor.min()  # no train impostor gets a "yes"
    assert metrics.rates_at(band.high, genuine, impostor).far <= max(0.01, metrics.rates_at(threshold, genuine,
                                                                                            impostor).far)
