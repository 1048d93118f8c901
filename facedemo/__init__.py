"""facedemo: see FaceNet work on real photos — encode, verify, recognise, triplet loss, evaluate.

The notebook-style names are importable from here (``facedemo.verify``, ``facedemo.who_is_it``,
``facedemo.img_to_encoding``, ``facedemo.triplet_loss``). Importing this package is light (no
TensorFlow); :func:`load_model` does the heavy work.

The core, bottom to top (each folder imports only those below it):

- ``errors.py``, ``litert.py``: the project's exceptions; opening a TFLite file.
- ``io/``: photo bytes or paths → RGB; labelled photo folders.
- ``assets/``: every file: where it lives, fetched (pinned, sha256) and converted once.
- ``detection/``: faces in a photo (the numpy MTCNN).
- ``encoding/``: the networks registry, the recipes, the runtime, :class:`FaceEncoder`.
- ``people/``: distances and the one "same person?" rule, the face database, the notebook's API.
- ``gallery/``: a labelled folder encoded with a disk cache; photo ids and the album.
- ``analysis/``: metrics, calibration, confidence, the classifier head, triplet loss, ...
- ``cli.py``: ``python -m facedemo``.
"""

from facedemo.analysis.triplet import triplet_loss
from facedemo.encoding.encoder import FaceEncoder
from facedemo.encoding.networks import DEFAULT_NETWORK
from facedemo.people.database import FaceDatabase
from facedemo.people.notebook import img_to_encoding, verify, who_is_it


def load_model(network: str = DEFAULT_NETWORK) -> FaceEncoder:
    """Load a FaceNet and the MTCNN face detector (under a second; once per process).

    ``network`` names an entry of :data:`facedemo.encoding.networks.NETWORKS`: ``"facenet"`` (the
    course's, 128-d, default) or ``"casia"`` (CASIA-WebFace, 512-d).
    """
    return FaceEncoder.load(network=network)


__all__ = ["FaceDatabase", "FaceEncoder", "img_to_encoding", "load_model", "triplet_loss", "verify", "who_is_it"]
