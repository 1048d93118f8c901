"""The degradations of *What breaks it?* (``facedemo.analysis.degradations``).

Pixel invariants without the model; the model's distances on real gallery photos, asserting orderings.
"""

from __future__ import annotations

import numpy as np
import pytest

from facedemo.analysis import degradations as dg
from facedemo.errors import FacedemoError
from facedemo.io.images import WORK_MAX_SIDE, read_image
from facedemo.people.matching import person_distance

PHOTOS = [("val", "madonna", 0), ("val", "elton_john", 1), ("val", "mindy_kaling", 0)]
# Elton John's val 2 wears dark glasses already: a bar over them changes little, so not him here.
BARE_EYES = [("val", "madonna", 0), ("val", "ben_afflek", 0), ("val", "mindy_kaling", 0)]


def toy() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, size=(90, 120, 3), dtype=np.uint8)


# --- without the model ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(dg.DEGRADATIONS))
def test_each_degradation_keeps_shape_and_input_and_is_harmless_at_its_harmless_end(name):
    entry = dg.DEGRADATIONS[name]
    rgb = toy()
    before = rgb.copy()
    face = dg.face_or_centre(rgb, None)
    assert np.array_equal(entry(rgb, entry.harmless, face), rgb)
    worst = entry(rgb, entry.worst, face)
    assert worst.shape == rgb.shape and worst.dtype == np.uint8
    assert not np.array_equal(worst, rgb), "the worst setting changes the photo"
    assert np.array_equal(rgb, before), "the input is not changed"


def test_seeded_noise_and_patch_repeat_and_differ_by_seed():
    rgb = toy()
    assert np.array_equal(dg.sensor_noise(rgb, 30, None), dg.sensor_noise(rgb, 30, None))
    assert not np.array_equal(dg.sensor_noise(rgb, 30, None, seed=1), dg.sensor_noise(rgb, 30, None, seed=2))
    assert not np.array_equal(dg.random_patch(rgb, 30, None, seed=1), dg.random_patch(rgb, 30, None, seed=2))


def test_darkness_halves_the_light_per_stop_and_the_eye_bar_sits_on_the_eyes():
    grey = np.full((40, 40, 3), 200, dtype=np.uint8)
    assert dg.darkness(grey, 1, None)[0, 0, 0] == 100
    assert dg.darkness(grey, 2, None)[0, 0, 0] == 50
    face = dg.face_or_centre(grey, None)
    covered = dg.eye_bar(grey, 20, face)
    eye_x, eye_y = face.landmarks["left_eye"]
    assert tuple(covered[eye_y, eye_x]) == dg.OCCLUDER
    mouth_x, mouth_y = face.landmarks["mouth_left"]
    assert tuple(covered[mouth_y, mouth_x]) == (200, 200, 200)


def test_bad_settings_name_what_is_allowed():
    with pytest.raises(FacedemoError, match="outside 0–12"):
        dg.DEGRADATIONS["blur"](toy(), 50)
    with pytest.raises(FacedemoError, match="choose one of eye_bar"):
        dg.get_degradation("fog")
    with pytest.raises(FacedemoError, match="fog"):
        dg.degrade(toy(), {"fog": 1}, None)


def test_half_way_on_hand_computed_cases():
    severities = np.array([0.0, 1.0, 2.0, 3.0])
    failing = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=bool)
    assert dg.half_way(severities, failing) == 2.0  # 2 of 4 fail at 2
    assert dg.half_way(severities, failing[[2, 3]]) == 3.0  # 1 of 2 fail at 3: half
    assert dg.half_way(severities, failing[[3]]) is None  # never fails
    assert dg.half_way(severities, np.zeros((0, 4), dtype=bool)) is None
    with pytest.raises(ValueError, match=r"\(m, 4\)"):
        dg.half_way(severities, failing[:, :2])


def test_half_way_counts_exactly_half_as_half():
    assert dg.half_way(np.array([0.0, 1.0]), np.array([[0, 1], [0, 0]], dtype=bool)) == 1.0


# --- through the real model ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def people(train):
    return {name: train.vectors[[i for i, label in enumerate(train.labels) if label == name]]
            for name in sorted(set(train.labels))}


def clean(encoder, photo, where):
    rgb = read_image(photo(*where), max_side=WORK_MAX_SIDE)
    return rgb, encoder.prepare(rgb, "aligned").face


@pytest.mark.parametrize("where", PHOTOS, ids=[p[1] for p in PHOTOS])
def test_more_blur_means_farther_from_self(encoder, photo, people, where):
    rgb, face = clean(encoder, photo, where)
    result = dg.sweep(encoder, rgb, "blur", [0, 2, 4, 6], face=face, recipe="aligned", person=where[1], people=people)
    own = result.to_self[result.found]
    assert len(own) >= 3, "the detector keeps the face over most of this range"
    assert np.all(np.diff(own) > -0.05), f"monotone within 0.05: {own}"
    assert own[-1] > own[0] + 0.2, own


@pytest.mark.parametrize("where", BARE_EYES, ids=[p[1] for p in BARE_EYES])
def test_covering_the_eyes_costs_more_than_covering_a_background_corner(encoder, photo, people, where):
    rgb, face = clean(encoder, photo, where)
    eyes = dg.eye_bar(rgb, 12, face)
    x, y, w, h = face.box
    bar = (1.1 * w, 0.12 * h)  # the eye bar's size
    height, width = rgb.shape[:2]
    corners = [(0, 0), (width - bar[0], 0), (0, height - bar[1]), (width - bar[0], height - bar[1])]
    far = max(corners, key=lambda c: abs(c[0] + bar[0] / 2 - (x + w / 2)) + abs(c[1] + bar[1] / 2 - (y + h / 2)))
    corner = dg.cover(rgb, (*far, *bar))
    vectors = encoder.embed_prepared([encoder.prepare(image, "aligned") for image in (rgb, eyes, corner)])
    base, covered_eyes, covered_corner = (person_distance(v, people[where[1]], "mean") for v in vectors)
    assert covered_eyes - base > covered_corner - base + 0.05, (base, covered_eyes, covered_corner)
    assert abs(covered_corner - base) < 0.1, "a background corner hardly matters"


def test_a_sweep_marks_where_the_detector_gives_up_and_where_the_door_closes(encoder, photo, people):
    rgb, face = clean(encoder, photo, PHOTOS[0])
    result = dg.sweep(encoder, rgb, "dark", [0, 2, 8], face=face, recipe="aligned", person="madonna", people=people)
    assert result.found.tolist() == [True, True, False]
    assert np.isnan(result.to_self[2]) and np.isnan(result.to_other[2])
    assert result.face_lost() == 8.0
    assert result.door_closes(2.0) == 8.0, "past the threshold's reach, losing the face closes the door"
    assert result.door_closes(0.0) == 0.0
    assert result.nearest_other[0] in people and result.nearest_other[0] != "madonna"


def test_the_summary_is_the_sweeps_of_each_photo_and_reads_them_at_any_threshold(encoder, photo, people):
    """Two real photos × every degradation at 3 settings: each row is the photo's own sweep, and 'half
    fail' with two photos is the first setting where at least one of them fails."""
    chosen = []
    for person, index in (("madonna", 1), ("elton_john", 2)):
        rgb, face = clean(encoder, photo, ("val", person, index))
        chosen.append((f"val/{person}/{index}", rgb, face, person))
    seen = []
    summary = dg.summarise(encoder, chosen, people, recipe="aligned", steps=3, on_progress=lambda *a: seen.append(a))
    assert seen[-1] == (2 * len(dg.DEGRADATIONS), 2 * len(dg.DEGRADATIONS)) and summary.photos == ("val/madonna/1", "val/elton_john/2")
    from facedemo.encoding.networks import default_threshold

    threshold = default_threshold("aligned", "mean")
    blur = [dg.sweep(encoder, rgb, "blur", summary.severities["blur"], face=face, recipe="aligned",
                     person=person, people=people) for _, rgb, face, person in chosen]
    np.testing.assert_allclose(summary.to_self["blur"], np.stack([b.to_self for b in blur]), atol=1e-5)
    row = next(r for r in summary.half_way_rows(threshold) if r["degradation"] == "blur")
    closes = [b.door_closes(threshold) for b in blur]
    first = min((c for c in closes if c is not None), default=None)
    assert row["attempts_fail"] == first and row["photos"] == 2
    assert row["failing_at_worst"] == sum(bool(b.fails(threshold)[-1]) for b in blur)
    assert next(r for r in summary.half_way_rows(2.0) if r["degradation"] == "blur")["failing_at_worst"] <= row["failing_at_worst"]
