"""Inside the model: the notebook's 2019 FaceNet beside the Inception-ResNet-v1 used here, block by block.

Widget keys: ``inside_every_block`` (list every repeated block of the real model), ``inside_channels``
(maps shown per layer) and the photo input ``face`` (see :func:`ui.widgets.picked_photo`); the block
tables are ``inside_notebook_blocks`` and ``inside_model_blocks``, inside the containers
``inside_notebook_model`` and ``inside_real_model`` with their parameter counts.
Deep link: ``?face=val/madonna/1``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from facedemo.analysis import architectures as arch
from facedemo.encoding.networks import DEFAULT_NETWORK
from ui import pages, state, widgets
from ui.messages import attempt

KERAS_FACENET = DEFAULT_NETWORK  # the Keras FaceNet, whatever model the sidebar has chosen
BLOCK_COLUMNS = {
    "parameters": st.column_config.NumberColumn(format="localized"),
    "share": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1,
                                             help="The block's share of all the model's parameters"),
}


@st.cache_resource(show_spinner="Loading the Keras FaceNet to look inside it (once, about 10 s) ...")
def keras_facenet():
    """The Keras FaceNet of the shared FaceNet encoder, loaded now (``Embedder.model`` loads on first use)."""
    model = state.encoder(KERAS_FACENET).embedder.model
    model.count_params()
    state.freeze_long_lived()  # the Keras model lives for the whole process
    return model


@st.cache_data(show_spinner="Building the notebook's model to count its parameters ...")
def notebook_summary() -> list[arch.BlockRow]:
    """The notebook model's blocks (built once with random weights, never run)."""
    return arch.notebook_blocks()


@st.cache_data(show_spinner=False)
def facenet_summary() -> list[arch.BlockRow]:
    """The real model's blocks, every repeat on its own row."""
    return arch.facenet_blocks(keras_facenet())


@st.cache_data(show_spinner="Running the face through the Keras FaceNet ...", max_entries=16, ttl=3600)
def face_maps(data: bytes, recipe: str) -> dict[str, np.ndarray]:
    """The activation maps of :data:`facedemo.analysis.architectures.ACTIVATION_LAYERS`, cached by photo content."""
    return arch.face_activation_maps(state.encoder(KERAS_FACENET), data, recipe)[1]


def block_table(rows: list[arch.BlockRow]) -> pd.DataFrame:
    total = sum(row.parameters for row in rows)
    return pd.DataFrame({
        "block": [row.name for row in rows],
        "output shape": [arch.format_shape(row.output_shape) for row in rows],
        "parameters": [row.parameters for row in rows],
        "share": [row.parameters / total for row in rows],
    })


st.title(pages.heading(__file__))
st.markdown(
    "Two networks turn a face into 128 numbers in this course. The **2019 notebook** used a small Inception "
    "network on 96×96 photos; this demo runs a larger, pretrained **Inception-ResNet-v1** on 160×160 face "
    "crops. Both end the same way: 128 numbers of unit length, compared by L2 distance. (The sidebar's second "
    "model, FaceNet trained on CASIA-WebFace, is the same Inception-ResNet-v1 design with a 512-number "
    "bottleneck; this page looks inside the course's Keras one.)"
)

notebook_rows = notebook_summary()
notebook_total = sum(row.parameters for row in notebook_rows)
st.info(
    "**The notebook's model is built here but never run.** Its pretrained weights came as CSV files "
    "(converted from OpenFace) inside the course's own workspace, and no package registry publishes them. "
    "With random weights its encodings would mean nothing, so below it is only counted and described. "
    "Every encoding in this demo comes from the pretrained Inception-ResNet-v1.",
    icon="ℹ️",
)

facenet = attempt(keras_facenet, what="The Keras FaceNet could not be loaded: ")
if facenet is None:
    st.stop()
facenet_rows = facenet_summary()
facenet_total = sum(row.parameters for row in facenet_rows)

old, new = st.columns(2, gap="large")
old, new = old.container(key="inside_notebook_model"), new.container(key="inside_real_model")
with old:
    st.subheader("The notebook's model (2019)")
    st.metric("parameters", f"{notebook_total:,}")
    st.markdown(
        f"`faceRecoModel(input_shape=(3, 96, 96))`: a stem, seven Inception blocks, average pooling, "
        f"`Dense(128)` and L2 normalisation.  \nInput batch **{arch.format_shape((None, *arch.NOTEBOOK_INPUT_SHAPE))}**"
        " — channels first. Weights: not available, never run."
    )
with new:
    st.subheader("The model used here")
    st.metric("parameters", f"{facenet_total:,}", delta=f"{facenet_total / notebook_total:.1f}× the notebook's",
              delta_color="off")
    st.markdown(
        "Inception-ResNet-v1 (Keras FaceNet): a stem, 5 + 10 + 6 Inception-ResNet blocks with two reduction "
        f"blocks between, average pooling and a 128-unit bottleneck.  \nInput batch "
        f"**{arch.format_shape((None, *arch.FACENET_INPUT_SHAPE))}** — channels last. Pretrained; runs on every page."
    )

st.subheader("Block by block")
st.caption(
    "Each row is one block: the shape of what it hands to the next block (m = photos in the batch) and how "
    "many weights it holds. The rows add up to the total."
)
old_table, new_table = st.columns([11, 10], gap="medium")
with old_table:
    widgets.keyed_dataframe(block_table(notebook_rows), key="inside_notebook_blocks", column_config=BLOCK_COLUMNS,
                            hide_index=True, width="stretch")
    st.caption(f"Total: **{notebook_total:,}** parameters (channels first: the channel count comes right after m).")
with new_table:
    every_block = st.session_state.get("inside_every_block", False)
    shown = facenet_rows if every_block else arch.collapse_repeats(facenet_rows)
    widgets.keyed_dataframe(block_table(shown), key="inside_model_blocks", column_config=BLOCK_COLUMNS,
                            hide_index=True, width="stretch")
    st.toggle("List every repeated block", key="inside_every_block",
              help="Block35 ×5, Block17 ×10 and Block8 ×6 on one row each, or each repeat on its own row.")
    st.caption(
        f"Total: **{facenet_total:,}** weights (channels last: the channel count comes last). The Keras model "
        "outputs 128 numbers; the demo scales them to unit length afterwards."
    )

st.subheader("Channels first or channels last?")
m = 4
first = arch.batch_shapes(m, 96, 96)["channels_first"]
last = arch.batch_shapes(m, 160, 160)["channels_last"]
st.markdown(
    "A batch of colour photos is a 4-D array, and the two models order its axes differently:\n\n"
    f"- **channels first** `(m, n_C, n_H, n_W)` — the notebook: {m} photos are `{first}`. "
    "For each photo come 3 whole planes, all the red values, then all the green, then all the blue.\n"
    f"- **channels last** `(m, n_H, n_W, n_C)` — the model used here: {m} photos are `{last}`. "
    "For each pixel come its 3 numbers (red, green, blue) side by side.\n\n"
    "The numbers are the same, only their order differs: `np.transpose(batch, (0, 3, 1, 2))` turns channels "
    "last into channels first. A convolution must be told which axis holds the channels "
    "(`data_format=\"channels_first\"` in the notebook), and batch normalisation normalises over that axis "
    "(`axis=1` in the notebook, `axis=3` here)."
)

st.subheader("What the real model sees in a face")
picked = widgets.picked_photo("Face to look inside", "face", default="val/madonna/1")
encoded = widgets.encode_photo(picked)
if encoded is None:
    st.stop()
crop_column, planes_column = st.columns([1, 3], gap="large")
with crop_column:
    widgets.show_crop(encoded.crop, "the 160×160 crop (channels last: 160, 160, 3)")
with planes_column:
    planes = arch.to_channels_first(encoded.crop[None])[0]
    st.image(list(planes), caption=[f"channel {c} of 3 ({name})" for c, name in enumerate(["red", "green", "blue"])],
             width=160)
    st.caption(
        f"The same crop channels first: shape {arch.format_shape(planes[None].shape)} with m = 1, three "
        "greyscale planes (bright = much of that colour)."
    )

count = st.select_slider("Maps shown per layer (the most active channels)", [4, 8, 16], value=8,
                         key="inside_channels")
maps = attempt(lambda: face_maps(picked.data, state.recipe()), what="The activation maps could not be computed: ")
if maps is None:
    st.stop()
st.caption(
    "Each small square is one channel of a layer's output for this face, scaled on its own so that white is "
    "its strongest response; the channels shown are the layer's most active ones. The maps shrink and multiply "
    "as the face goes deeper: fewer pixels, more kinds of pattern. (Always the Keras FaceNet's layers, whichever "
    "model the other pages use.)"
)
for name, activation in maps.items():
    shape = arch.format_shape((1, *activation.shape))
    text, picture = st.columns([1, 2], gap="large", vertical_alignment="center")
    with text:
        st.markdown(f"**`{name}`** → `{shape}`  \n{arch.ACTIVATION_LAYERS[name]}")
    with picture:
        columns, cell = (4, 96) if count <= 8 else (8, 72)
        st.image(arch.channel_grid(activation, count=count, columns=columns, cell=cell))
