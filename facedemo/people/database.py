"""The face database: people → enrolled encodings; verify (1:1) and identify (1:K).

A person may have one photo (one-shot enrolment) or several. The distance from a query to a
person is either the distance to the *mean* of their unit encodings (default) or to the
*nearest* of them; each comparison has its own threshold (see :mod:`facedemo.encoding.networks`),
and the verdict is the project's one rule, :func:`facedemo.people.matching.same_person`.

Saved files hold encodings, names, the photos' sha256 and file names, never the photos, and are
written atomically (temporary file, fsync, rename): a crash leaves the old file or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facedemo.encoding.networks import (
    DEFAULT_COMPARISON,
    DEFAULT_NETWORK,
    NETWORKS,
    get_network,
)
from facedemo.encoding.recipes import DEFAULT_RECIPE, get_recipe
from facedemo.encoding.runtime import l2_normalise
from facedemo.encoding.thresholds import one_of_k_threshold, stranger_rate
from facedemo.errors import (
    DatabaseFileError,
    FacedemoError,
    InvalidNameError,
    UnknownPersonError,
)
from facedemo.io.folders import people_in_folder
from facedemo.io.images import ImageSource
from facedemo.people.matching import person_distance, same_person

FORMAT_VERSION = 2
"""2: the recipe ``aligned`` means landmark alignment; in format 1 files it meant today's ``box``."""
MAX_NAME_LENGTH = 80


@dataclass(frozen=True)
class Photo:
    """One enrolled photo: its encoding, the sha256 of its bytes and its file name."""

    vector: np.ndarray
    sha256: str
    source: str


@dataclass(frozen=True)
class Match:
    """A person and the query's distance to them."""

    name: str
    distance: float


@dataclass
class EnrolReport:
    """What an enrolment did: photos added per person, and photos skipped with the reason."""

    added: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def clean_name(name: str) -> str:
    """Check a person's name and return it trimmed.

    Any language and emoji are fine; refused are empty names, names over 80 characters, names
    with control characters, and path-like names (``/``, ``\\``, ``.``, ``..``).
    """
    if not isinstance(name, str):
        raise InvalidNameError("a name must be text")
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise InvalidNameError("a name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidNameError(f"a name can have at most {MAX_NAME_LENGTH} characters (this one has {len(name)})")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch not in "\u200d\ufe0f" for ch in name):
        raise InvalidNameError(f"the name {name!r} contains control characters")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise InvalidNameError(f"the name {name!r} looks like a file path; please use a plain name")
    return name


class FaceDatabase:
    """People and their encodings, made with one recipe of one network (see :mod:`facedemo.encoding.networks`).

    Encodings of another network are refused: they live in another space.
    """

    def __init__(self, recipe: str = DEFAULT_RECIPE, *, network: str = DEFAULT_NETWORK) -> None:
        get_recipe(recipe)
        self.recipe = recipe
        self.network = get_network(network).name
        self.people: dict[str, list[Photo]] = {}

    @property
    def embedding_size(self) -> int:
        return NETWORKS[self.network].embedding_size

    def _check_size(self, vector: np.ndarray) -> np.ndarray:
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.shape != (self.embedding_size,):
            raise DatabaseFileError(
                f"an encoding of this database must have {self.embedding_size} numbers (made by "
                f"{NETWORKS[self.network].title}), got {vector.size}: encodings of different models "
                "cannot be compared"
            )
        return vector

    def check_encoder(self, encoder) -> None:
        """Refuse an encoder of another network than the one this database was made with."""
        network = getattr(encoder, "network", DEFAULT_NETWORK)
        if network != self.network:
            raise FacedemoError(
                f"this database holds encodings of {NETWORKS[self.network].title}; photos encoded by "
                f"{get_network(network).title} cannot be compared with them (choose the model '{self.network}')"
            )

    # --- building ---------------------------------------------------------------------------
    def add(self, name: str, vector: np.ndarray, *, sha256: str = "", source: str = "") -> str:
        """Enrol one encoding for ``name`` (created if new); returns the cleaned name.

        The same photo (same sha256) enrolled twice for one person is kept once.
        """
        name = clean_name(name)
        vector = self._check_size(vector)
        photos = self.people.setdefault(name, [])
        if not (sha256 and any(p.sha256 == sha256 for p in photos)):
            photos.append(Photo(vector, sha256, source))
        return name

    def enrol(self, name: str, sources: Sequence[ImageSource], encoder, *, labels: Sequence[str] | None = None) -> EnrolReport:
        """Encode photos with ``encoder`` (a :class:`~facedemo.encoding.encoder.FaceEncoder`) and add them."""
        name = clean_name(name)
        self.check_encoder(encoder)
        encodings, failures = encoder.encode_many(sources, self.recipe)
        report = EnrolReport(skipped=[(f.source, f.reason) for f in failures])
        for encoding in encodings:
            self.add(name, encoding.vector, sha256=encoding.sha256, source=Path(encoding.source).name)
            report.added[name] = report.added.get(name, 0) + 1
        return report

    def enrol_folder(self, folder: str | Path, encoder, *, on_progress: Callable[[int, int], None] | None = None) -> EnrolReport:
        """Enrol a folder: one sub-folder per person, or loose files named after the person.

        Every folder name is checked as a person's name before any photo is encoded.
        ``report.added`` counts the photos new to each person (a photo enrolled before is kept once).
        """
        self.check_encoder(encoder)
        groups = people_in_folder(folder)
        for name in groups:
            try:
                clean_name(name)
            except InvalidNameError as error:
                raise InvalidNameError(f"the folder {name!r} cannot be a person's name: {error}") from None
        total = sum(len(paths) for paths in groups.values())
        report, done = EnrolReport(), 0
        for name, paths in groups.items():
            encodings, failures = encoder.encode_many(paths, self.recipe)
            report.skipped += [(f.source, f.reason) for f in failures]
            before = len(self.people.get(name, []))
            for encoding in encodings:
                self.add(name, encoding.vector, sha256=encoding.sha256, source=Path(encoding.source).name)
            report.added[name] = len(self.people.get(name, [])) - before
            done += len(paths)
            if on_progress:
                on_progress(done, total)
        return report

    def remove(self, name: str) -> None:
        """Forget a person."""
        del self.people[self._known(name)]

    def remove_photo(self, name: str, index: int) -> None:
        """Forget one photo of a person (the person goes when their last photo does)."""
        name = self._known(name)
        photos = self.people[name]
        if not 0 <= index < len(photos):
            raise UnknownPersonError(f"{name} has no photo number {index + 1}")
        del photos[index]
        if not photos:
            del self.people[name]

    # --- asking ------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return sorted(self.people)

    def __len__(self) -> int:
        return len(self.people)

    def __contains__(self, name: object) -> bool:
        return name in self.people

    def _known(self, name: str) -> str:
        if name not in self.people:
            known = ", ".join(self.names) or "nobody yet"
            raise UnknownPersonError(f"'{name}' is not in the database (enrolled: {known})")
        return name

    def vectors(self, name: str) -> np.ndarray:
        """``(k, d)`` encodings of one person (d: the network's encoding size)."""
        return np.stack([p.vector for p in self.people[self._known(name)]])

    def mean_vector(self, name: str) -> np.ndarray:
        """The person's mean encoding, re-normalised to unit length: ``(d,)``."""
        return l2_normalise(self.vectors(name).mean(axis=0))

    def distance(self, vector: np.ndarray, name: str, *, comparison: str = DEFAULT_COMPARISON) -> float:
        """L2 distance from ``vector`` to person ``name`` by ``comparison`` (``mean`` or ``nearest``).

        ``pair`` (one photo against one photo) is not a way to compare with a person: a person's
        nearest photo is ``nearest``, with its own threshold.
        """
        return person_distance(self._check_size(vector), self.vectors(name), comparison)

    def ranking(self, vector: np.ndarray, *, comparison: str = DEFAULT_COMPARISON) -> list[Match]:
        """Every person with their distance to ``vector``, nearest first."""
        matches = [Match(name, self.distance(vector, name, comparison=comparison)) for name in self.people]
        return sorted(matches, key=lambda m: m.distance)

    def threshold(self, comparison: str = DEFAULT_COMPARISON) -> float:
        """The calibrated threshold of this database's network and recipe for ``comparison``."""
        return get_network(self.network).threshold(self.recipe, comparison)

    def verify(self, vector: np.ndarray, name: str, *, threshold: float | None = None,
               comparison: str = DEFAULT_COMPARISON) -> tuple[float, bool]:
        """1:1 — is this the claimed person? Returns ``(distance, door_open)``; open when ``distance < threshold``."""
        threshold = self.threshold(comparison) if threshold is None else threshold
        distance = self.distance(vector, name, comparison=comparison)
        return distance, same_person(distance, threshold)

    def identify_threshold(self, comparison: str = DEFAULT_COMPARISON) -> float:
        """1:K's threshold for this database's size: a stranger gets one try per enrolled person.

        A stranger is taken for *someone* when any of the K people is close enough, with chance
        ``1 − (1 − FAR)ᴷ``. So the per-person FAR allowed is
        :func:`~facedemo.encoding.thresholds.stranger_far` of K (a 1 % target), read off the
        impostor tail the default was set from, and the threshold is the lower of that and the
        1:1 default (:meth:`threshold`), rounded down to 0.01. Up to ten people the 1:1 default
        (FAR 10⁻³) is already the stricter; with 30 it is lowered. A threshold not set from a
        tail (the course notebook's 0.7) is used as it is.
        """
        record = get_network(self.network).calibrated(self.recipe, comparison)
        return one_of_k_threshold(self.threshold(comparison), record.tail if record else None, len(self))

    def stranger_chance(self, threshold: float, comparison: str = DEFAULT_COMPARISON) -> float | None:
        """About how many strangers ``threshold`` would take for one of this database's K people.

        ``1 − (1 − FAR(threshold))ᴷ``, FAR from the impostor tail of the default
        (:class:`~facedemo.encoding.thresholds.ImpostorTail`); None when there is no tail to read it
        from (a network added at run time, the course notebook's 0.7).
        """
        record = get_network(self.network).calibrated(self.recipe, comparison)
        if record is None or record.tail is None:
            return None
        return stranger_rate(record.tail.far(threshold), len(self))

    def identify(self, vector: np.ndarray, *, threshold: float | None = None,
                 comparison: str = DEFAULT_COMPARISON) -> tuple[float, str | None]:
        """1:K — who is this? Returns ``(min_distance, name)``, name None when nobody is close enough
        (``same_person(min_distance, threshold)`` is False: at the threshold itself, nobody).

        Without ``threshold``, the one for this database's size (:meth:`identify_threshold`).
        An empty database answers ``(inf, None)``.
        """
        threshold = self.identify_threshold(comparison) if threshold is None else threshold
        ranking = self.ranking(vector, comparison=comparison)
        if not ranking:
            return float("inf"), None
        best = ranking[0]
        return best.distance, (best.name if same_person(best.distance, threshold) else None)

    # --- files -------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The database as ``.npz`` bytes (encodings, names, sha256, file names; no photos)."""
        import io

        rows = [(name, photo) for name in self.names for photo in self.people[name]]
        meta = {"format": FORMAT_VERSION, "model": NETWORKS[self.network].title, "network": self.network,
                "recipe": self.recipe, "embedding_size": self.embedding_size}
        buffer = io.BytesIO()
        np.savez(
            buffer,
            vectors=np.stack([p.vector for _, p in rows]) if rows else np.zeros((0, self.embedding_size), np.float32),
            names=np.array([n for n, _ in rows], dtype=str),
            sha256=np.array([p.sha256 for _, p in rows], dtype=str),
            sources=np.array([p.source for _, p in rows], dtype=str),
            meta=np.array(json.dumps(meta)),
        )
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write atomically to ``path`` (temporary file in the same folder, fsync, rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.to_bytes()
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _remove_stale_temporaries(path)
        return path

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "the database file") -> FaceDatabase:
        """Read a database written by :meth:`to_bytes`; clear errors for anything else."""
        import io
        import zipfile

        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                meta = json.loads(str(arrays["meta"]))
                vectors, names = arrays["vectors"], arrays["names"]
                hashes, sources = arrays["sha256"], arrays["sources"]
            format_version = int(meta.get("format", 1))
        except (OSError, ValueError, TypeError, AttributeError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError):
            raise DatabaseFileError(f"{name} is not a facedemo database, or it is damaged") from None
        network = NETWORKS.get(meta.get("network", DEFAULT_NETWORK))  # files before the second model: facenet
        size = network.embedding_size if network else None
        if network is None or meta.get("embedding_size") != size or vectors.ndim != 2 or vectors.shape[1] != size:
            raise DatabaseFileError(
                f"{name} was made by another model ({vectors.shape[-1]}-d encodings from "
                f"'{meta.get('model')}'); this demo's models are "
                + " and ".join(f"{n.title}" for n in NETWORKS.values())
            )
        if not (len(vectors) == len(names) == len(hashes) == len(sources)):
            raise DatabaseFileError(f"{name} is damaged (its columns have different lengths)")
        database = cls(_recipe_of(meta, format_version), network=network.name)
        for vector, person, sha, source in zip(vectors, names, hashes, sources):
            database.add(str(person), vector, sha256=str(sha), source=str(source))
        return database

    @classmethod
    def load(cls, path: str | Path) -> FaceDatabase:
        """Read a database file saved by :meth:`save`."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DatabaseFileError(f"cannot read the database '{path}': {error.strerror or error}") from None
        return cls.from_bytes(data, name=f"'{path.name}'")


def _recipe_of(meta: dict, format_version: int) -> str:
    """The recipe a file's encodings were made by: format 1's ``aligned`` was the box crop."""
    recipe = meta.get("recipe")
    if format_version < 2 and recipe in (None, "aligned"):
        return "box"
    return recipe or DEFAULT_RECIPE


STALE_TEMPORARY_SECONDS = 600


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files that a save killed mid-write left beside ``path``.

    Only those older than :data:`STALE_TEMPORARY_SECONDS`, so another process saving right now is
    never disturbed.
    """
    import time

    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            pass
