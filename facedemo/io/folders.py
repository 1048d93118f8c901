"""Photo folders: which files count as photos, and a labelled folder's photos grouped by person.

A labelled folder holds one sub-folder per person (``alice/1.jpg``), or loose files named after
the person (``alice_2.jpg``); a split such as ``train/`` holding such folders is looked into.
"""

from __future__ import annotations

from pathlib import Path

from facedemo.errors import DatabaseFileError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")


def photo_files(folder: Path) -> list[Path]:
    """Every photo file anywhere below ``folder`` (by suffix, any case), sorted."""
    return sorted(p for p in Path(folder).rglob("*") if is_photo(p))


def is_photo(path: Path) -> bool:
    """A file whose suffix is one of :data:`IMAGE_SUFFIXES`."""
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def people_in_folder(folder: str | Path) -> dict[str, list[Path]]:
    """Group a folder's photos by person: sub-folder name, or the file name without its number.

    ``folder/alice/1.jpg`` → ``alice``; ``folder/alice.jpg`` or ``folder/alice_2.jpg`` → ``alice``.
    A sub-folder holding only folders (a split such as ``train/``) is looked into:
    ``folder/train/alice/1.jpg`` → ``alice`` too.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatabaseFileError(f"'{folder}' is not a folder")
    groups: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            photos = [p for p in sorted(path.iterdir()) if is_photo(p)]
            if photos:
                groups.setdefault(path.name, []).extend(photos)
            elif any(p.is_dir() for p in path.iterdir()):
                for name, nested in people_in_folder(path).items():
                    groups.setdefault(name, []).extend(nested)
        elif is_photo(path):
            stem = path.stem.rstrip("0123456789").rstrip("_- ") or path.stem
            groups.setdefault(stem, []).append(path)
    if not groups:
        raise DatabaseFileError(f"'{folder}' holds no photos (.jpg, .png, .webp, .bmp, .gif)")
    return groups


def labelled_photos(folder: str | Path) -> tuple[list[Path], list[str]]:
    """Every photo of a labelled folder and its person's name, in a stable order."""
    paths: list[Path] = []
    labels: list[str] = []
    for name, photos in people_in_folder(folder).items():
        paths += photos
        labels += [name] * len(photos)
    return paths, labels
