"""The "unsure" band: where the "how sure" curve is between 90 % and 10 %, around the threshold, never against it."""

from __future__ import annotations

import numpy as np
import pytest

from facedemo.analysis.confidence import Confidence, reference_distances, unsure_band
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
    band = unsure_band(fitted, 1.18)
    assert 0.5 < band.low < 1.18 < band.high < 1.6
    assert 0 < band.count(genuine) < genuine.size and 0 < band.count(impostor) < impostor.size
