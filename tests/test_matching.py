"""The one rule (``distance < threshold``) and the one distance, at the boundary and against oracles."""

from __future__ import annotations

import numpy as np
import pytest

from facedemo.errors import FacedemoError
from facedemo.encoding.networks import default_threshold
from facedemo.people.database import FaceDatabase
from facedemo.people.matching import compare, distance_matrix, l2_distance, same_person
from facedemo.people.notebook import img_to_encoding, verify, who_is_it


def unit(seed: int, size: int = 128) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(size).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_same_person_is_strictly_below_the_threshold():
    assert same_person(0.69, 0.7) is True
    assert same_person(0.7, 0.7) is False
    assert same_person(np.nextafter(0.7, 0), 0.7) is True
    np.testing.assert_array_equal(same_person(np.array([0.1, 0.7, 0.9]), 0.7), [True, False, False])


def test_distances_match_the_plain_formula():
    a = np.stack([unit(i) for i in range(6)])
    b = np.stack([unit(10 + i) for i in range(4)])
    oracle = np.array([[np.linalg.norm(x.astype(np.float64) - y) for y in b] for x in a])
    np.testing.assert_allclose(distance_matrix(a, b), oracle, atol=1e-12)
    assert l2_distance(a[0], b[1]) == pytest.approx(oracle[0, 1], abs=1e-12)
    square = distance_matrix(a)
    assert np.all(np.diag(square) == 0) and np.array_equal(square, square.T)
    verdict = compare(a[0], a[0], 0.0)
    assert (verdict.distance, verdict.same) == (0.0, False)


def test_the_database_decides_by_the_rule_at_the_boundary():
    database = FaceDatabase()
    database.add("ann", unit(1))
    query = unit(2)
    distance = database.distance(query, "ann")
    assert database.verify(query, "ann", threshold=distance) == (distance, False)
    assert database.verify(query, "ann", threshold=np.nextafter(distance, 9))[1] is True
    assert database.identify(query, threshold=distance) == (distance, None)
    assert database.identify(query, threshold=np.nextafter(distance, 9)) == (distance, "ann")
    with pytest.raises(FacedemoError, match="'mean' or 'nearest', not 'pair'"):
        database.distance(query, "ann", comparison="pair")


def test_the_notebook_functions_agree_with_the_database_at_the_boundary(encoder, photo, capsys):
    """``who_is_it`` used ``>`` where ``identify`` used ``<``: at distance == threshold both now say no."""
    path = photo("val", "madonna", 0)
    encoding = img_to_encoding(path, encoder)
    other = img_to_encoding(photo("val", "elton_john", 0), encoder)
    database = {"elton": other}
    exact = l2_distance(encoding, other)
    assert who_is_it(path, database, encoder, threshold=exact) == (exact, "elton")
    assert capsys.readouterr().out == "Not in the database.\n"
    assert verify(path, "elton", database, encoder, threshold=exact) == (exact, False)
    assert capsys.readouterr().out == "It's not elton, please go away\n"
    above = np.nextafter(exact, 9)
    assert verify(path, "elton", database, encoder, threshold=above) == (exact, True)
    assert capsys.readouterr().out == "It's elton, welcome in!\n"
    who_is_it(path, database, encoder, threshold=above)
    assert capsys.readouterr().out == f"it's elton, the distance is {exact}\n"


def test_a_plain_dict_database_is_photo_against_photo_so_it_uses_the_pair_threshold(encoder, photo, capsys):
    """A dict holds one encoding per person: the pair threshold applies, not the mean one."""
    path = photo("val", "madonna", 0)
    encoding = img_to_encoding(path, encoder, recipe="aligned").reshape(-1).astype(np.float64)
    across = unit(5).astype(np.float64)
    across -= across @ encoding * encoding
    across /= np.linalg.norm(across)
    pair, mean = default_threshold("aligned", "pair"), default_threshold("aligned", "mean")
    wanted = round((pair + mean) / 2, 4) if mean < pair else round(pair - 0.005, 4)  # below the pair threshold
    assert wanted < pair
    angle = 2 * np.arcsin(wanted / 2)
    enrolled = np.cos(angle) * encoding + np.sin(angle) * across
    distance, door_open = verify(path, "madonna", {"madonna": enrolled[None]}, encoder, recipe="aligned")
    assert (round(distance, 4), door_open) == (wanted, True)
    above = FaceDatabase("aligned")
    above.add("madonna", enrolled)
    assert above.verify(encoding, "madonna", comparison="mean")[1] == (wanted < mean)  # a database compares with the mean
    assert capsys.readouterr().out == "It's madonna, welcome in!\n"
    assert who_is_it(path, {"madonna": enrolled[None]}, encoder, recipe="aligned")[1] == "madonna"
    assert capsys.readouterr().out.startswith(f"it's madonna, the distance is {wanted:.3f}"[:-1])
