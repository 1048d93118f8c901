"""Shared fixtures: the real model and the real gallery, loaded once per test session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The office an instructor keeps on the server goes to a scratch folder in tests (also for the
# app servers they start), never to .cache/office.npz where it would change `make app`'s sessions.
os.environ["FACEDEMO_OFFICE_DB"] = str(Path(tempfile.mkdtemp(prefix="facedemo-office-")) / "office.npz")


@pytest.fixture(scope="session")
def gallery_dir() -> Path:
    """The bundled gallery (train/ and val/), fetched and checked by ``assets.set_up``."""
    from facedemo import assets

    assets.set_up(progress=assets.quiet)
    return assets.gallery_dir()


@pytest.fixture(scope="session")
def encoder(gallery_dir):
    """The real FaceNet + MTCNN, loaded once."""
    from facedemo.encoding.encoder import FaceEncoder

    return FaceEncoder.load()


@pytest.fixture(scope="session")
def train(encoder, gallery_dir):
    """The gallery's train photos, aligned recipe."""
    from facedemo.gallery.labelled import encode_folder

    return encode_folder(gallery_dir / "train", encoder, "aligned")


@pytest.fixture(scope="session")
def val(encoder, gallery_dir):
    """The gallery's val photos, aligned recipe."""
    from facedemo.gallery.labelled import encode_folder

    return encode_folder(gallery_dir / "val", encoder, "aligned")


@pytest.fixture(scope="session")
def photo(gallery_dir):
    """``photo(split, person, index)`` → path of a gallery photo (sorted order)."""

    def pick(split: str, person: str, index: int = 0) -> Path:
        return sorted((gallery_dir / split / person).glob("*.jpg"))[index]

    return pick


@pytest.fixture(scope="session")
def casia_encoder(encoder):
    """The second network (FaceNet CASIA-WebFace, 512-d), sharing the detector of ``encoder``."""
    from facedemo.assets import quiet
    from facedemo.encoding.encoder import FaceEncoder
    from facedemo.encoding.networks import get_network

    get_network("casia").set_up(quiet)
    return FaceEncoder.load(network="casia", detector=encoder.detector)


@pytest.fixture(scope="session")
def casia_gallery(casia_encoder, gallery_dir):
    """All 118 gallery photos encoded by the second network (aligned recipe)."""
    from facedemo.gallery.labelled import encode_folder

    return encode_folder(gallery_dir, casia_encoder, "aligned")
