"""Photo ids and the album: every gallery photo named ``"<split>/<person>/<n>"``, the splits as one set of rows.

Photo ids
---------
A gallery photo is named ``"<split>/<person>/<n>"``: the ``n``-th photo (counting from 1, in the
folder's sorted order, photos without a usable face included) of that person in that split, e.g.
``"train/madonna/1"`` or ``"val/elton_john/3"``. Ids are short enough for a URL
(``?photos=train/madonna/1,val/elton_john/3``) and survive a new cache, unlike row numbers of a
merged array. Students never read an id: every page shows :func:`photo_name`
(``"Madonna · train 1"``) and keeps the id as the widget's value and the URL's parameter.

This module is the one place that builds (:func:`photo_id`, :func:`folder_photo_ids`,
:func:`photo_ids`) and reads (:func:`photo_parts`, :func:`photo_name`, :func:`parse_photo_ids`)
such ids. No Streamlit, no chart code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facedemo.gallery.labelled import LabelledEncodings
from facedemo.io.images import read_image

__all__ = [
    "Album",
    "folder_photo_ids",
    "parse_photo_ids",
    "person_title",
    "photo_id",
    "photo_ids",
    "photo_name",
    "photo_parts",
]

EXAMPLE_ID = "train/madonna/1"


def person_title(label: str) -> str:
    """``"elton_john"`` → ``"Elton John"``."""
    return str(label).replace("_", " ").strip().title()


def photo_id(split: str, person: str, number: int) -> str:
    """The id of the ``number``-th photo (from 1) of ``person`` in ``split``: ``"train/madonna/1"``."""
    return f"{split}/{person}/{number}"


def photo_parts(photo: str) -> tuple[str, str, int]:
    """``"val/madonna/1"`` → ``("val", "madonna", 1)``.

    Raises
    ------
    ValueError
        Naming the string when it is not an id ``"<split>/<person>/<n>"`` with ``n >= 1``.
    """
    parts = str(photo).split("/")
    if len(parts) == 3 and all(parts) and parts[2].isdecimal() and int(parts[2]) >= 1:
        return parts[0], parts[1], int(parts[2])
    raise ValueError(f"'{photo}' is not a gallery photo id; ids look like '{EXAMPLE_ID}'")


def photo_name(photo: str) -> str:
    """The one name the app shows for a gallery photo: ``"val/madonna/1"`` → ``"Madonna · val 1"``.

    Person title-cased (:func:`person_title`), split, number (from 1, as in the id). ``ValueError``
    naming the string if it is not an id (:func:`photo_parts`).
    """
    split, label, number = photo_parts(photo)
    return f"{person_title(label)} · {split} {number}"


def folder_photo_ids(split: str, people: Mapping[str, Sequence[Path]]) -> dict[str, Path]:
    """Ids of every photo of one split's folder listing, in the listing's order.

    Parameters
    ----------
    split : str
        The split's name, e.g. ``"train"``.
    people : mapping of person → their photo files
        As :func:`facedemo.io.folders.people_in_folder` lists a split (sorted within each person).

    Returns
    -------
    dict of id → file
        ``{"train/madonna/1": .../train/madonna/<first file>, ...}``, ``n`` counting from 1.
    """
    return {photo_id(split, person, number): Path(path)
            for person, paths in people.items()
            for number, path in enumerate(paths, start=1)}


def photo_ids(labels: Sequence[str], split: str, paths: Sequence[str | Path] | None = None,
              skipped: Iterable[str | Path] = ()) -> list[str]:
    """Ids ``"<split>/<person>/<n>"`` for rows labelled ``labels``, ``n`` counting from 1.

    Without ``paths`` the rows of each person are numbered in order. With ``paths`` each row is
    numbered by its file's rank (sorted) among that person's files, including the ``skipped`` ones
    (photos that could not be encoded), so the number matches the folder listing
    (:func:`folder_photo_ids`).
    """
    if paths is None:
        seen: dict[str, int] = {}
        ids = []
        for label in labels:
            seen[label] = seen.get(label, 0) + 1
            ids.append(photo_id(split, label, seen[label]))
        return ids
    files: dict[str, set[Path]] = {}
    for path, label in zip(paths, labels):
        files.setdefault(label, set()).add(Path(path))
    for path in map(Path, skipped):
        if path.parent.name in files:
            files[path.parent.name].add(path)
    rank = {label: {path: k + 1 for k, path in enumerate(sorted(group))} for label, group in files.items()}
    return [photo_id(split, label, rank[label][Path(path)]) for path, label in zip(paths, labels)]


def parse_photo_ids(text: str | None, known: Iterable[str], *, limit: int | None = None) -> list[str]:
    """The known photo ids in a comma-separated string, in order, without repeats.

    Unknown or malformed ids are skipped (a stale bookmark still opens the page);
    at most ``limit`` ids are returned.
    """
    allowed = set(known)
    result: list[str] = []
    for part in (text or "").split(","):
        photo = part.strip()
        if photo in allowed and photo not in result:
            result.append(photo)
    return result if limit is None else result[:limit]


@dataclass
class Album:
    """Several labelled splits of the gallery as one set of rows, each with a photo id.

    Attributes
    ----------
    encodings : LabelledEncodings
        All rows, split after split (``vectors`` is ``(n, d)``, d = the model's encoding size).
    ids : list of str, length n
        ``"<split>/<person>/<k>"`` per row.
    splits : list of str, length n
    """

    encodings: LabelledEncodings
    ids: list[str]
    splits: list[str]

    @classmethod
    def from_parts(cls, parts: Mapping[str, LabelledEncodings]) -> Album:
        """Merge ``{"train": encodings, "val": encodings}`` (in that order) into one album."""
        items = list(parts.items())
        if not items:
            raise ValueError("an album needs at least one split")
        recipes = {enc.recipe for _, enc in items}
        if len(recipes) != 1:
            raise ValueError(f"all splits must use the same recipe, got {sorted(recipes)}")
        networks = {enc.network for _, enc in items}
        if len(networks) != 1:
            raise ValueError(f"all splits must come from the same model, got {sorted(networks)}")
        vectors = np.concatenate([np.asarray(enc.vectors, dtype=np.float32).reshape(-1, enc.vectors.shape[-1])
                                  for _, enc in items])
        merged = LabelledEncodings(
            vectors=vectors,
            labels=[label for _, enc in items for label in enc.labels],
            paths=[Path(path) for _, enc in items for path in enc.paths],
            boxes=[box for _, enc in items for box in enc.boxes],
            recipe=recipes.pop(),
            failures=[failure for _, enc in items for failure in enc.failures],
            network=networks.pop(),
            landmarks=[_landmarks_of(enc, i) for _, enc in items for i in range(len(enc))],
        )
        ids = [photo for split, enc in items
               for photo in photo_ids(enc.labels, split, enc.paths, [f.source for f in enc.failures])]
        splits = [split for split, enc in items for _ in enc.labels]
        return cls(merged, ids, splits)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def vectors(self) -> np.ndarray:
        """``(n, d)`` unit encodings (d = 128, or 512 for the CASIA network)."""
        return self.encodings.vectors

    @property
    def labels(self) -> list[str]:
        return self.encodings.labels

    @property
    def people(self) -> list[str]:
        """The distinct labels, in order of first appearance."""
        return list(dict.fromkeys(self.labels))

    def index(self, photo: str) -> int:
        """Row of a photo id; ``ValueError`` naming the id if it is not in the album."""
        try:
            return self.ids.index(photo)
        except ValueError:
            raise ValueError(f"no gallery photo '{photo}'; ids look like '{EXAMPLE_ID}'") from None

    def rows(self, photos: Iterable[str]) -> list[int]:
        return [self.index(photo) for photo in photos]

    def name(self, photo: str) -> str:
        """The photo's readable name, :func:`photo_name`: ``"train/madonna/1"`` → ``"Madonna · train 1"``."""
        return photo_name(photo)

    def crop(self, row: int) -> np.ndarray:
        """The ``(160, 160, 3)`` uint8 region the model saw for ``row``."""
        return self.encodings.crop(row)

    def photo(self, row: int) -> np.ndarray:
        """The whole photo of ``row`` as an RGB uint8 array."""
        return read_image(self.encodings.paths[row])

    def subset(self, split: str) -> Album:
        """Only the rows of one split."""
        keep = [i for i, s in enumerate(self.splits) if s == split]
        enc = self.encodings
        part = LabelledEncodings(
            vectors=enc.vectors[keep], labels=[enc.labels[i] for i in keep], paths=[enc.paths[i] for i in keep],
            boxes=[enc.boxes[i] for i in keep], recipe=enc.recipe, network=enc.network,
            landmarks=[_landmarks_of(enc, i) for i in keep],
        )
        return Album(part, [self.ids[i] for i in keep], [split] * len(keep))

    def first_photos(self, per_person: int = 2, *, split: str = "train") -> list[str]:
        """The first ``per_person`` photos of each person in ``split`` (a sensible default selection)."""
        counts: dict[str, int] = {}
        chosen = []
        for photo, label, where in zip(self.ids, self.labels, self.splits):
            if where == split and counts.get(label, 0) < per_person:
                counts[label] = counts.get(label, 0) + 1
                chosen.append(photo)
        return chosen


def _landmarks_of(encodings: LabelledEncodings, row: int) -> np.ndarray | None:
    """Row ``row``'s landmarks, or None when none were kept."""
    return encodings.landmarks[row] if row < len(encodings.landmarks) else None
