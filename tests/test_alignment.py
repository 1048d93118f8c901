"""Landmark alignment: the eyes end up level and on the template, whatever the head's tilt (real photos)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facedemo.detection.faces import Face
from facedemo.encoding import alignment
from facedemo.encoding.recipes import RECIPES, get_recipe
from facedemo.errors import FacedemoError
from facedemo.io.images import read_image
from facedemo.people.matching import l2_distance


def test_the_template_is_symmetric_with_level_eyes():
    t = alignment.TEMPLATE
    assert t[0, 1] == t[1, 1] and t[3, 1] == t[4, 1]  # eyes level, mouth corners level
    assert t[0, 0] + t[1, 0] == pytest.approx(160) and t[2, 0] == 80  # mirrored about the middle
    assert (alignment.template(0.9)[1, 0] - alignment.template(0.9)[0, 0]) == pytest.approx(0.9 * (t[1, 0] - t[0, 0]))


def test_landmarks_already_on_the_template_map_to_themselves():
    """A face whose landmarks sit where the template wants them (in the unsqueezed frame) is only squeezed."""
    points = alignment.TEMPLATE * [1.0, alignment.FRAME_ASPECT]
    matrix = alignment.alignment_matrix(points)
    np.testing.assert_allclose(alignment.to_crop(points, matrix), alignment.TEMPLATE, atol=1e-6)


def test_a_face_without_landmarks_is_refused_with_a_sentence():
    with pytest.raises(FacedemoError, match="no left_eye"):
        alignment.landmark_points(Face(box=(0, 0, 10, 10), confidence=1.0))
    with pytest.raises(FacedemoError, match="degenerate"):
        alignment.alignment_matrix(np.zeros((5, 2)))


@pytest.mark.parametrize("angle", [-25, 0, 20])
def test_a_tilted_head_comes_out_level(encoder, photo, angle):
    rgb = read_image(photo("val", "madonna", 1))
    tilted = np.asarray(Image.fromarray(rgb).rotate(angle, resample=Image.BILINEAR, expand=True))
    prepared = encoder.prepare(tilted, "aligned")
    eyes = prepared.crop_landmarks[:2]
    assert prepared.crop.shape == (160, 160, 3) and prepared.crop.dtype == np.uint8
    assert abs(eyes[0, 1] - eyes[1, 1]) < 2.0  # level, within the detector's pixel
    np.testing.assert_allclose(eyes, alignment.TEMPLATE[:2], atol=4.0)  # and where the template puts them
    np.testing.assert_allclose(prepared.crop_landmarks, alignment.TEMPLATE, atol=10.0)  # the nose as the head turns


def test_alignment_undoes_a_tilt_the_box_crop_keeps(encoder, photo):
    """Tilt a photo by 25°: the aligned encoding stays much nearer its upright self than the box crop's does."""
    rgb = read_image(photo("val", "ben_afflek", 0))
    tilted = np.asarray(Image.fromarray(rgb).rotate(25, resample=Image.BILINEAR, expand=True))
    moved = {recipe: l2_distance(_encode(encoder, rgb, recipe), _encode(encoder, tilted, recipe))
             for recipe in ("aligned", "box")}
    print(f"25° tilt moved the encoding by {moved}")
    assert moved["aligned"] < 0.5 * moved["box"]


def _encode(encoder, rgb: np.ndarray, recipe: str) -> np.ndarray:
    return encoder.embed_prepared([encoder.prepare(rgb, recipe)])[0]


def test_the_box_crop_is_kept_under_its_own_name():
    assert get_recipe("box").title == "Face box crop" and RECIPES["aligned"].uses_faces
    assert get_recipe("aligned").version != get_recipe("box").version  # caches never mix them
