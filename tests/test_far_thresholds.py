"""Thresholds set for a false-accept rate, and 1:K that counts a stranger's chances (pure maths, then the registry)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facedemo.analysis.calibration import MIN_TAIL_POINTS, fit_far_policy, fit_tail
from facedemo.encoding.networks import COMPARISONS, NETWORKS
from facedemo.encoding.thresholds import (
    FAR_TARGET,
    STRANGER_TARGET,
    ImpostorTail,
    floor_to,
    stranger_far,
    stranger_rate,
)
from facedemo.people.database import FaceDatabase


def test_a_tail_gives_back_the_far_it_was_asked_for():
    tail = ImpostorTail(1.45, 0.1, margin=0.03)
    for far in (1e-1, 1e-2, 1e-3, 1e-4):
        assert tail.far(tail.threshold_for(far)) == pytest.approx(far, rel=1e-9)
    assert tail.threshold_for(1e-3) == pytest.approx(1.45 + 0.1 * -3.0902323 - 0.03, abs=1e-6)
    assert tail.far(1.0) < tail.far(1.1) < tail.far(1.2)  # lower thresholds let fewer in
    with pytest.raises(ValueError, match="between 0 and 1"):
        tail.threshold_for(0.0)


def test_a_stranger_with_k_tries():
    """1 − (1 − FAR)ᴷ, and its inverse: the FAR per person that keeps the chance at the target."""
    assert stranger_rate(0.02, 30) == pytest.approx(1 - 0.98 ** 30)  # the issue's ~45 %
    assert stranger_rate(0.02, 30) == pytest.approx(0.4545, abs=1e-4)
    for k in (1, 5, 30, 200):
        assert stranger_rate(stranger_far(k), k) == pytest.approx(STRANGER_TARGET, rel=1e-9)
    assert stranger_far(1) == pytest.approx(STRANGER_TARGET)
    assert stranger_far(0) == stranger_far(1)
    assert stranger_far(30) < stranger_far(5) < stranger_far(1)
    assert stranger_rate(0.3, 0) == 0.0


def test_floor_to_never_rounds_up():
    assert floor_to(1.0799) == pytest.approx(1.07)
    assert floor_to(1.08) == pytest.approx(1.08)  # not 1.07 through a float error
    assert floor_to(0.999999) == pytest.approx(0.99)


def test_the_tail_fit_recovers_a_normal_distribution():
    rng = np.random.default_rng(1)
    tail = fit_tail(rng.normal(1.4, 0.08, 20_000))
    assert (tail.mean, tail.sd, tail.margin) == pytest.approx((1.4, 0.08, 0.0), abs=0.01)
    with pytest.raises(ValueError, match=f"at least {MIN_TAIL_POINTS}"):
        fit_tail(np.linspace(1, 2, MIN_TAIL_POINTS - 1))
    with pytest.raises(ValueError, match="does not rise"):
        fit_tail(np.full(100, 1.3))


def test_the_far_policy_is_stricter_than_the_point_it_was_fitted_for():
    """Two clusters of 5 synthetic people: the margin moves the threshold down, never up."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(5, 16))
    vectors = np.concatenate([c + rng.normal(scale=0.6, size=(12, 16)) for c in centres])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = np.repeat([f"p{i}" for i in range(5)], 12)
    policy = fit_far_policy(vectors, labels, "pair", runs=40)
    unshifted = fit_tail(_impostor_pairs(vectors, labels)).threshold_for(FAR_TARGET)
    assert policy.tail.margin > 0
    assert policy.threshold <= unshifted - policy.tail.margin + 1e-9
    assert policy.threshold == pytest.approx(floor_to(unshifted - policy.tail.margin))
    assert fit_far_policy(vectors, labels, "pair", runs=40) == policy  # seeded: the same every time


def _impostor_pairs(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(vectors[:, None] - vectors[None], axis=-1)
    i, j = np.triu_indices(len(labels), 1)
    return d[i, j][labels[i] != labels[j]]


def test_every_registry_threshold_is_its_tails_far_point():
    for network in NETWORKS.values():
        for recipe in network.calibration:
            for comparison in COMPARISONS:
                record = network.calibrated(recipe, comparison)
                if record.tail is None:  # the course notebook's 0.7
                    assert network.threshold(recipe, comparison) == 0.7
                    continue
                wanted = floor_to(record.tail.threshold_for(FAR_TARGET))
                assert network.threshold(recipe, comparison) == pytest.approx(wanted), (network.name, recipe, comparison)
                assert record.tail.far(network.threshold(recipe, comparison)) <= FAR_TARGET


def _office(people: int, network: str = "facenet", recipe: str = "aligned") -> FaceDatabase:
    office = FaceDatabase(recipe, network=network)
    size = NETWORKS[network].embedding_size
    for index in range(people):
        office.add(f"person {index}", np.eye(size, dtype=np.float32)[index % size])
    return office


def test_one_of_k_lowers_the_threshold_as_people_enrol():
    """Up to ten people the 1:1 default (FAR 10⁻³) is the stricter; beyond, the stranger's K tries rule."""
    default = _office(1).threshold("mean")
    assert _office(1).identify_threshold("mean") == default
    assert _office(10).identify_threshold("mean") == default
    thresholds = [_office(k).identify_threshold("mean") for k in (11, 30, 100, 200)]
    assert thresholds == sorted(thresholds, reverse=True) and thresholds[-1] < thresholds[0] <= default
    assert _office(30).identify_threshold("mean") < default
    for k in (5, 30, 100, 200):
        office = _office(k)
        chance = office.stranger_chance(office.identify_threshold("mean"), "mean")
        assert chance <= STRANGER_TARGET + 1e-9
        assert office.stranger_chance(default, "mean") == pytest.approx(stranger_rate(
            NETWORKS["facenet"].calibrated("aligned", "mean").tail.far(default), k))


def test_thirty_people_at_the_old_way_would_let_many_more_strangers_in():
    office = _office(30)
    at_default = office.stranger_chance(office.threshold("mean"), "mean")
    at_k = office.stranger_chance(office.identify_threshold("mean"), "mean")
    assert at_k <= STRANGER_TARGET < at_default


def test_identify_uses_the_one_of_k_threshold():
    office = _office(30)
    lowered = office.identify_threshold("mean")
    assert lowered < office.threshold("mean")
    angle = 2 * math.asin((lowered + office.threshold("mean")) / 4)  # a distance between the two thresholds
    query = np.zeros(128, np.float32)
    query[0], query[100] = math.cos(angle), math.sin(angle)  # nobody enrolled lies along axis 100
    distance, name = office.identify(query, comparison="mean")
    assert lowered < distance < office.threshold("mean") and name is None
    assert office.identify(query, comparison="mean", threshold=office.threshold("mean"))[1] == "person 0"


def test_the_course_notebooks_threshold_is_never_lowered():
    office = _office(50, recipe="course")
    assert office.identify_threshold("mean") == 0.7
    assert office.stranger_chance(0.7, "mean") is None


def test_an_old_database_file_made_by_the_box_crop_stays_the_box_crop():
    """Format 1 called the box crop 'aligned': such files are read as 'box', nothing lost."""
    import io
    import json

    office = _office(2)
    data = np.load(io.BytesIO(office.to_bytes()))
    arrays = {name: data[name] for name in data.files}
    meta = json.loads(str(arrays["meta"]))
    assert meta["format"] == 2 and meta["recipe"] == "aligned"
    meta["format"] = 1
    arrays["meta"] = np.array(json.dumps(meta))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    old = FaceDatabase.from_bytes(buffer.getvalue())
    assert old.recipe == "box" and old.names == office.names
    assert FaceDatabase.from_bytes(office.to_bytes()).recipe == "aligned"
