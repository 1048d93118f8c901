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


@pytest.mark.parametrize("size", [9.0, 1.3])  # shrunk first by 9, or warped as it is
def test_the_warp_puts_the_pixels_where_the_matrix_says(size):
    """Dots painted at five landmarks of a tilted, odd-sized photo land on the crop where ``crop_landmarks`` says."""
    height, width = 3007, 2407  # not a multiple of the pre-shrink factor
    centre, angle = np.array([1200.0, 1500.0]), np.radians(17)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = (alignment.TEMPLATE * [1.0, alignment.FRAME_ASPECT] - 80) * size @ turn.T + centre
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    from PIL import ImageDraw

    draw = ImageDraw.Draw(canvas)
    for x, y in points:
        radius = 3.3 * size
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(255, 0, 0))
    landmarks = dict(zip(("left_eye", "right_eye", "nose", "mouth_left", "mouth_right"), map(tuple, points.round().astype(int))))
    face = Face(box=(600, 700, 1200, 1600), confidence=1.0, landmarks=landmarks)
    photo = np.asarray(canvas)
    crop = alignment.align_face(photo, face)
    matrix = alignment.alignment_matrix(alignment.landmark_points(face))
    painted_y, painted_x = np.nonzero(photo[..., 1] < 128)
    for x, y in points:  # where each painted dot's centre is, and where the crop's matrix sends it
        mine = np.hypot(painted_x - x, painted_y - y) < radius + 2
        centre = np.array([[painted_x[mine].mean(), painted_y[mine].mean()]])
        want_x, want_y = alignment.to_crop(centre, matrix)[0]
        red = (crop[..., 0] > 150) & (crop[..., 1] < 150)
        ys, xs = np.nonzero(red)
        near = np.hypot(xs - want_x, ys - want_y) < 8
        weights = 255.0 - crop[ys[near], xs[near], 1]  # how red each pixel is
        got = np.average(xs[near], weights=weights), np.average(ys[near], weights=weights)
        assert np.hypot(got[0] - want_x, got[1] - want_y) < 0.3, (got, (want_x, want_y))  # to a third of a pixel


def test_the_gallery_cache_keeps_each_faces_landmarks(encoder, gallery_dir, tmp_path, monkeypatch):
    """Encoded once, read back from ``.cache``: the same landmarks, so the album's crops are the aligned ones."""
    import shutil

    from facedemo.gallery.album import Album
    from facedemo.gallery.labelled import encode_folder

    monkeypatch.setenv("FACEDEMO_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "two"
    for person in ("madonna", "elton_john"):
        (folder / person).mkdir(parents=True)
        shutil.copy(sorted((gallery_dir / "val" / person).glob("*.jpg"))[0], folder / person)
    fresh = encode_folder(folder, encoder, "aligned")
    assert list((tmp_path / "cache").glob("encodings-facenet-aligned-*.npz"))
    cached = encode_folder(folder, encoder, "aligned")
    assert cached is not fresh and len(cached.landmarks) == 2
    for a, b in zip(fresh.landmarks, cached.landmarks):
        np.testing.assert_array_equal(a, b)
    rgb = read_image(fresh.paths[0])
    np.testing.assert_array_equal(cached.crop(0), encoder.prepare(rgb, "aligned").crop)
    album = Album.from_parts({"train": cached, "val": fresh})  # merged and split again, landmarks kept
    np.testing.assert_array_equal(album.subset("val").crop(1), fresh.crop(1))
    np.testing.assert_array_equal(album.crop(0), cached.crop(0))
