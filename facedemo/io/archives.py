"""A zip of photos read in memory, bounded: how the app takes a folder of photos from a browser.

Nothing is written to disk. :func:`read_photo_zip` refuses, with a sentence naming the limit, a zip
with too many photos, a photo too large, too much in all once unpacked, a zip bomb (a member that
unpacks to far more than its compressed size) or a member whose path leaves the zip (``..``, an
absolute path). Sizes are checked as the bytes come out, not only as the zip declares them.
:func:`PhotoZip.find` then resolves a pairs file's name to a member, also when the zip holds the
photos one folder deeper (``images/val/madonna/1.jpg`` for ``val/madonna/1.jpg``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from facedemo.errors import FacedemoError, PhotoNotFoundError
from facedemo.io.folders import IMAGE_SUFFIXES

MAX_FILES = 500
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_ENTRIES_PER_PHOTO = 4  # folders and other files besides the photos, before refusing to look further
MAX_RATIO = 100  # unpacked / compressed, per member: JPEG and PNG barely compress, a bomb compresses 1000×
_CHUNK = 1024 * 1024


class ArchiveError(FacedemoError):
    """A zip that cannot be used: not a zip, damaged, too big, a zip bomb or a path leaving the zip."""


@dataclass(frozen=True)
class PhotoZip:
    """The photos of a zip: ``{member path (with /): bytes}``, and the members skipped as not photos."""

    photos: dict[str, bytes]
    skipped: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.photos)

    def find(self, name: str) -> bytes:
        """The bytes of the photo a pairs file calls ``name``.

        The exact member first; else the one member whose path ends with ``/name`` (the zip
        of a folder holds the folder's name in front). Raises ``PhotoNotFoundError`` when none
        or several match.
        """

        wanted = PurePosixPath(name.replace("\\", "/")).as_posix()
        if wanted in self.photos:
            return self.photos[wanted]
        ends = [member for member in self.photos if member.endswith("/" + wanted)]
        if len(ends) == 1:
            return self.photos[ends[0]]
        if ends:
            raise PhotoNotFoundError(f"the photo '{name}' is ambiguous: the zip holds {', '.join(ends[:3])}")
        raise PhotoNotFoundError(f"the photo '{name}' is missing: it is not in the zip")


def read_photo_zip(
    data: bytes,
    *,
    name: str = "the zip",
    max_files: int = MAX_FILES,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> PhotoZip:
    """Unpack the photos (by suffix, :data:`~facedemo.io.folders.IMAGE_SUFFIXES`) of a zip's bytes, in memory.

    Folders, hidden files and macOS's ``__MACOSX/`` are passed over; other files are listed in
    ``skipped``. Raises :class:`ArchiveError` with the limit that was hit.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ArchiveError(f"{name} is not a zip file (make one with your system's 'Compress' or 'zip -r')") from None
    photos: dict[str, bytes] = {}
    skipped: list[str] = []
    total = 0
    with archive:
        if len(archive.infolist()) > MAX_ENTRIES_PER_PHOTO * max_files:
            raise ArchiveError(f"{name} holds {len(archive.infolist()):,} files and folders; a zip here may hold "
                               f"at most {max_files} photos (and a few other files)")
        for info in archive.infolist():
            path = info.filename.replace("\\", "/")
            parts = PurePosixPath(path).parts
            if path.startswith("/") or ".." in parts or (parts and parts[0].endswith(":")):
                raise ArchiveError(f"{name} holds '{_short(info.filename)}', a path that leaves the zip; "
                                   "it was refused (zip the photos' folder as it is)")
            if info.is_dir() or not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
                continue
            if PurePosixPath(path).suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append(path)
                continue
            if len(photos) >= max_files:
                raise ArchiveError(f"{name} holds more than {max_files} photos; use at most {max_files}")
            if info.file_size > max_file_bytes:
                raise ArchiveError(f"'{_short(path)}' in {name} is {_mb(info.file_size)} unpacked, more than the "
                                   f"{_mb(max_file_bytes)} allowed for one photo")
            if info.file_size > _CHUNK and info.file_size / max(info.compress_size, 1) > MAX_RATIO:
                raise ArchiveError(f"'{_short(path)}' in {name} unpacks to {info.file_size / max(info.compress_size, 1):.0f}× "
                                   "its packed size: a photo never does that (a zip bomb?); it was refused")
            body = _read_bounded(archive, info, min(max_file_bytes, max_total_bytes - total), name)
            total += len(body)
            photos[path] = body
    if not photos:
        raise ArchiveError(f"{name} holds no photos ({', '.join(IMAGE_SUFFIXES)})")
    return PhotoZip(photos, tuple(skipped))


def photo_zip_bytes(root: str | Path, names: list[str]) -> bytes:
    """A zip, in memory, of the files ``names`` (paths with ``/``) below ``root``, stored under those names."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # photos do not compress
        for name in names:
            archive.write(Path(root) / name, name)
    return buffer.getvalue()


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, name: str) -> bytes:
    """A member's bytes, stopping as soon as they pass ``limit`` (a zip may lie about its sizes)."""
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ArchiveError(f"{name} unpacks to more than allowed ({_mb(MAX_TOTAL_BYTES)} in all, "
                                       f"{_mb(MAX_FILE_BYTES)} for one photo); use fewer or smaller photos")
                chunks.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as error:
        # RuntimeError: an encrypted member; NotImplementedError: a compression zipfile cannot read
        raise ArchiveError(f"'{_short(info.filename)}' in {name} cannot be unpacked ({error})") from None
    return b"".join(chunks)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
