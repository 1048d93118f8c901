"""facedemo: see FaceNet work on real photos — encode, verify, recognise, triplet loss, evaluate.

Importing this package is light (no TensorFlow); :func:`load_model` does the heavy work.
"""

from facedemo.database import FaceDatabase
from facedemo.encoder import FaceEncoder
from facedemo.notebook import img_to_encoding, verify, who_is_it
from facedemo.triplet import triplet_loss


def load_model(network: str = "facenet") -> FaceEncoder:
    """Load a FaceNet and the MTCNN face detector (under a second; once per process).

    ``network``: ``"facenet"`` (the course's, 128-d) or ``"casia"`` (CASIA-WebFace, 512-d).
    """
    return FaceEncoder.load(network=network)


__all__ = ["FaceDatabase", "FaceEncoder", "img_to_encoding", "load_model", "triplet_loss", "verify", "who_is_it"]
