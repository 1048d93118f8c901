"""Inside the model: the notebook's 2019 FaceNet (built, never run) and the real Inception-ResNet-v1.

The parameter counts are the exact figures the course and the model file give; activation maps come
from a real gallery photo through the real Keras model.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facedemo.analysis import architectures as arch
from facedemo.errors import FacedemoError
from facedemo.io.images import read_image
from tests.test_app_pages import metric, table

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


@pytest.fixture(scope="module")
def notebook():
    return arch.notebook_model()


@pytest.fixture(scope="module")
def facenet(encoder):
    """The real Keras FaceNet (loaded on first use by the shared encoder)."""
    return encoder.embedder.model


# --- the notebook's model ----------------------------------------------------------------------
def test_notebook_model_has_the_courses_3743280_parameters_and_128_outputs(notebook):
    assert notebook.count_params() == 3_743_280 == arch.NOTEBOOK_PARAMETERS
    assert tuple(notebook.input.shape) == (None, 3, 96, 96)
    assert tuple(notebook.output.shape) == (None, 128)


def test_notebook_model_is_channels_first_throughout(notebook):
    formats = {layer.data_format for layer in notebook.layers if hasattr(layer, "data_format")}
    assert formats == {"channels_first"}
    assert {layer.axis for layer in notebook.layers if type(layer).__name__ == "BatchNormalization"} == {1}


def test_notebook_blocks_follow_the_course_and_add_up(notebook):
    rows = arch.notebook_blocks(notebook)
    assert [row.name for row in rows] == [
        "input", "stem", "inception_block_1a", "inception_block_1b", "inception_block_1c",
        "inception_block_2a", "inception_block_2b", "inception_block_3a", "inception_block_3b", "head",
    ]
    assert sum(row.parameters for row in rows) == 3_743_280
    assert sum(row.layers for row in rows) == len(notebook.layers)
    shapes = {row.name: row.output_shape for row in rows}
    assert shapes["stem"] == (None, 192, 12, 12)
    assert shapes["inception_block_1a"] == (None, 256, 12, 12)
    assert shapes["inception_block_1c"] == (None, 640, 6, 6)
    assert shapes["inception_block_2b"] == (None, 1024, 3, 3)
    assert shapes["inception_block_3b"] == (None, 736, 3, 3)
    assert shapes["head"] == (None, 128)
    # the Dense(128) over 736 pooled numbers, as in the course: 736 × 128 + 128
    assert rows[-1].parameters == 736 * 128 + 128


# --- the real model ----------------------------------------------------------------------------
def test_real_model_has_22808144_weights_and_128_outputs(facenet):
    assert facenet.count_params() == 22_808_144 == arch.FACENET_PARAMETERS
    assert tuple(facenet.input.shape) == (None, 160, 160, 3)
    assert tuple(facenet.output.shape) == (None, 128)


def test_real_model_blocks_are_the_inception_resnet_v1_layout_and_add_up(facenet):
    rows = arch.facenet_blocks(facenet)
    names = [row.name for row in rows]
    assert names == (
        ["input", "stem"] + [f"Block35_{i}" for i in range(1, 6)] + ["Mixed_6a"]
        + [f"Block17_{i}" for i in range(1, 11)] + ["Mixed_7a"] + [f"Block8_{i}" for i in range(1, 7)]
        + ["Bottleneck"]
    )
    assert sum(row.parameters for row in rows) == 22_808_144
    assert sum(row.layers for row in rows) == len(facenet.layers)
    shapes = {row.name: row.output_shape for row in rows}
    assert shapes["stem"] == (None, 17, 17, 256)
    assert shapes["Block35_5"] == (None, 17, 17, 256)
    assert shapes["Mixed_6a"] == (None, 8, 8, 896)
    assert shapes["Block17_10"] == (None, 8, 8, 896)
    assert shapes["Mixed_7a"] == (None, 3, 3, 1792)
    assert shapes["Bottleneck"] == (None, 128)
    # repeats of one block type are the same size
    assert len({row.parameters for row in rows if row.name.startswith("Block17_")}) == 1


def test_collapsing_repeats_keeps_the_total(facenet):
    rows = arch.facenet_blocks(facenet)
    collapsed = arch.collapse_repeats(rows)
    assert [row.name for row in collapsed] == [
        "input", "stem", "Block35 ×5", "Mixed_6a", "Block17 ×10", "Mixed_7a", "Block8 ×6", "Bottleneck",
    ]
    assert sum(row.parameters for row in collapsed) == 22_808_144
    assert collapsed[4].output_shape == (None, 8, 8, 896)
    # the notebook's blocks have no repeats: unchanged
    notebook_rows = arch.notebook_blocks()
    assert arch.collapse_repeats(notebook_rows) == notebook_rows


# --- activation maps of a real face ------------------------------------------------------------
@pytest.fixture(scope="module")
def madonna_maps(encoder, photo):
    return arch.face_activation_maps(encoder, photo("val", "madonna", 0), "aligned")


def test_activation_maps_of_a_real_face_have_the_layer_shapes_and_vary(madonna_maps):
    crop, maps = madonna_maps
    assert crop.shape == (160, 160, 3) and crop.dtype == np.uint8
    assert list(maps) == list(arch.ACTIVATION_LAYERS)
    assert {name: value.shape for name, value in maps.items()} == {
        "Conv2d_2b_3x3_Activation": (77, 77, 64),
        "Conv2d_4b_3x3_Activation": (17, 17, 256),
        "Block35_5_Activation": (17, 17, 256),
        "Block17_10_Activation": (8, 8, 896),
        "Block8_6_ScaleSum": (3, 3, 1792),
    }
    for name, value in maps.items():
        assert np.isfinite(value).all(), name
        assert value.std() > 0.01, name
        # the strongest channel is not flat over the face
        strongest = value[:, :, arch.strongest_channels(value, 1)[0]]
        assert strongest.max() > strongest.min(), name
    # after a ReLU nothing is negative; the last block's residual sum has no ReLU
    assert maps["Block17_10_Activation"].min() >= 0
    assert maps["Block8_6_ScaleSum"].min() < 0


def test_activation_maps_differ_between_people_and_repeat_for_one_face(encoder, facenet, photo, madonna_maps):
    _, madonna = madonna_maps
    _, elton = arch.face_activation_maps(encoder, photo("val", "elton_john", 0), "aligned")
    layer = "Conv2d_4b_3x3_Activation"
    assert not np.allclose(madonna[layer], elton[layer], atol=1e-3)
    # asking for one layer on the prepared input gives the same maps as the photo's trip did
    model_input = encoder.prepare(read_image(photo("val", "madonna", 0)), "aligned").model_input
    alone = arch.activation_maps(facenet, model_input, [layer])
    np.testing.assert_allclose(alone[layer], madonna[layer], atol=1e-4)


def test_activation_maps_reject_bad_input(facenet):
    with pytest.raises(FacedemoError, match="no layer named 'nope'"):
        arch.activation_maps(facenet, np.zeros((160, 160, 3), np.float32), ["nope"])
    with pytest.raises(ValueError, match="160, 160, 3"):
        arch.activation_maps(facenet, np.zeros((96, 96, 3), np.float32), ["Mixed_6a"])


# --- display helpers and layouts (no model) ----------------------------------------------------
def test_channel_grid_shows_the_strongest_channels_scaled_on_their_own():
    activation = np.zeros((3, 3, 5), np.float32)
    activation[:, :, 2] = np.arange(9).reshape(3, 3)  # the strongest channel, a ramp
    activation[:, :, 4] = 0.5  # constant: shows black
    assert list(arch.strongest_channels(activation, 2)) == [2, 4]
    grid = arch.channel_grid(activation, count=2, columns=2, cell=30, gap=2)
    assert grid.shape == (30, 62) and grid.dtype == np.uint8
    first, second = grid[:, :30], grid[:, 32:]
    assert first.min() == 0 and first.max() == 255  # the ramp spans black to white
    assert first[0, 0] == 0 and first[-1, -1] == 255  # top-left weakest, bottom-right strongest
    assert (second == 0).all()
    assert (grid[:, 30:32] == 255).all()  # the white gap
    with pytest.raises(ValueError):
        arch.channel_grid(activation[:, :, 0])


def test_channels_first_and_last_hold_the_same_numbers():
    assert arch.batch_shapes(4, 96, 96) == {"channels_first": (4, 3, 96, 96), "channels_last": (4, 96, 96, 3)}
    batch = np.random.default_rng(0).integers(0, 255, (2, 5, 7, 3), dtype=np.uint8)
    first = arch.to_channels_first(batch)
    assert first.shape == (2, 3, 5, 7)
    assert first[1, 2, 4, 6] == batch[1, 4, 6, 2]
    np.testing.assert_array_equal(arch.to_channels_last(first), batch)
    with pytest.raises(ValueError):
        arch.to_channels_first(batch[0])


def test_format_shape_uses_m_for_the_batch():
    assert arch.format_shape((None, 160, 160, 3)) == "(m, 160, 160, 3)"
    assert arch.format_shape((1, 3, 96, 96)) == "(1, 3, 96, 96)"


# --- the page ----------------------------------------------------------------------------------
def test_inside_page_shows_both_counts_and_a_face_inside_the_model(gallery_dir):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["face"] = "val/elton_john/1"
    at.run()
    at.switch_page("app_pages/inside.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Inside the model" in title.value for title in at.title)
    assert metric(at.container(key="inside_notebook_model"), "parameters") == "3,743,280"
    assert metric(at.container(key="inside_real_model"), "parameters") == "22,808,144"
    assert any("never run" in info.value and "package registry" in info.value for info in at.info)
    assert at.selectbox(key="face").value == "val/elton_john/1"
    notebook_table, real_table = table(at, "inside_notebook_blocks"), table(at, "inside_model_blocks")
    assert notebook_table["parameters"].sum() == 3_743_280
    assert list(real_table["block"]) == [
        "input", "stem", "Block35 ×5", "Mixed_6a", "Block17 ×10", "Mixed_7a", "Block8 ×6", "Bottleneck",
    ]
    markdown = "\n".join(m.value for m in at.markdown)
    assert "(4, 3, 96, 96)" in markdown and "(4, 160, 160, 3)" in markdown
    assert "**`Block17_10_Activation`** → `(1, 8, 8, 896)`" in markdown
    assert not [e.value for e in at.error]

    at.toggle(key="inside_every_block").set_value(True).run()
    assert not at.exception
    real_table = table(at, "inside_model_blocks")
    assert len(real_table) == 26 and real_table["parameters"].sum() == 22_808_144


def test_inside_page_looks_inside_an_uploaded_face_and_explains_a_photo_without_one(gallery_dir, photo):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page("app_pages/inside.py").run()
    at.radio(key="face_from").set_value("upload").run()
    at.file_uploader(key="face_upload").upload("nobody.png", blank_png(), "image/png").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("no face found" in warning.value for warning in at.warning)
    assert not any("Block17_10_Activation" in m.value for m in at.markdown)

    at.file_uploader(key="face_upload").upload("me.jpg", photo("val", "mindy_kaling", 2).read_bytes(), "image/jpeg")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning
    assert any("**`Block17_10_Activation`** → `(1, 8, 8, 896)`" in m.value for m in at.markdown)


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((200, 200, 3), 180, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()
