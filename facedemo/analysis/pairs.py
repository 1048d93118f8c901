"""Evaluation on a pairs file: labelled photo pairs from outside the project, scored at the default threshold.

A pairs file lists pairs of photos and whether they show the same person. Two layouts are read:

- **CSV** with the header ``file_x,file_y,same``; ``same`` is ``yes``/``no``, ``1``/``0`` or
  ``true``/``false`` (any case). Extra columns are ignored. Files are paths relative to a root folder.
- **LFW's** ``pairs.txt``: a first line ``N`` or ``folds N``, then same-person lines
  ``name n1 n2`` (``name/name_000n1.jpg`` and ``name/name_000n2.jpg``) and different-person lines
  ``name1 n1 name2 n2``, resolved under the root folder (LFW's ``lfw/``). ``folds N`` means
  ``folds`` blocks of ``N`` same and ``N`` different pairs; a lone ``N`` means ``N`` same and ``N``
  different pairs (``pairsDevTrain.txt``) or ``N`` pairs in all.

:func:`evaluate_pairs` encodes each distinct photo once and :func:`score_pairs` turns the distances
into a :class:`PairsReport`. A pair is accepted ("same person") when ``distance < threshold``, the
one rule of :mod:`facedemo.analysis.metrics`; the threshold is the network's default for one photo
against one photo (``get_network(network).threshold(recipe, "pair")``).

Photos that cannot be encoded (missing, unreadable, no face found) are never dropped silently:
each pair holding one is a wrong answer in the accuracy, and it is listed. AUC, EER and VAL are
curves over distances, so they are computed on the pairs whose two photos were encoded; the report
says how many those are.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facedemo.analysis import metrics
from facedemo.errors import FacedemoError, PhotoNotFoundError
from facedemo.people.matching import same_person

CSV_HEADER = ("file_x", "file_y", "same")
SAME_WORDS = {"yes": True, "1": True, "true": True, "no": False, "0": False, "false": False}
VAL_FAR = 1e-3
BATCH = 16
_NUMBER = re.compile(r"[0-9]+")

Opener = Callable[[str], "bytes | Path"]
Progress = Callable[[int, int], None]


class PairsFileError(FacedemoError):
    """A pairs file that cannot be read: not CSV with ``file_x,file_y,same`` nor LFW's ``pairs.txt``, or a bad line."""


@dataclass(frozen=True)
class Pair:
    """Two photos and whether they show the same person; ``line`` is the line of the pairs file (1-based)."""

    file_x: str
    file_y: str
    same: bool
    line: int = 0


# --- reading --------------------------------------------------------------------------------------
def read_pairs(source: str | Path | bytes, *, name: str | None = None, max_pairs: int | None = None) -> list[Pair]:
    """The pairs of a CSV or LFW ``pairs.txt`` file (a path, or its bytes), in file order.

    Parameters
    ----------
    source : path or bytes
    name : how the file is called in messages (default: its file name, or "the pairs file").
    max_pairs : refuse a file with more pairs than this (the app's bound), or None.

    Raises
    ------
    PairsFileError
        The layout is neither, a line is malformed (the message names it), or there are no pairs.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, label = bytes(source), name or "the pairs file"
    else:
        path = Path(source)
        label = name or f"'{path.name}'"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise PairsFileError(f"the pairs file '{path}' does not exist") from None
        except IsADirectoryError:
            raise PairsFileError(f"'{path}' is a folder, not a pairs file") from None
        except OSError as error:
            raise PairsFileError(f"the pairs file '{path}' cannot be read ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PairsFileError(f"{label} is not a text file (a CSV or LFW's pairs.txt was expected)") from None
    return parse_pairs(text, name=label, max_pairs=max_pairs)


def parse_pairs(text: str, *, name: str = "the pairs file", max_pairs: int | None = None) -> list[Pair]:
    """Pairs from the text of a pairs file: CSV when the first line has a comma, else LFW's layout."""
    lines = text.splitlines()
    first = next((line.strip() for line in lines if line.strip()), None)
    if first is None:
        raise PairsFileError(f"{name} is empty; it needs the header {','.join(CSV_HEADER)} and one pair per line")
    if "," in first or first.lower().startswith("file_x"):
        pairs = _parse_csv(text, name)
    elif all(_NUMBER.fullmatch(part) for part in first.split()) and len(first.split()) <= 2:
        pairs = _parse_lfw(lines, name)
    else:
        raise PairsFileError(
            f"{name} is neither a CSV with the header {','.join(CSV_HEADER)} nor LFW's pairs.txt "
            f"(whose first line is the number of pairs); its first line is '{_short(first)}'"
        )
    if not pairs:
        raise PairsFileError(f"{name} holds no pairs, only its header")
    if max_pairs is not None and len(pairs) > max_pairs:
        raise PairsFileError(f"{name} holds {len(pairs):,} pairs; at most {max_pairs:,} are evaluated here")
    return pairs


def parse_same(value: str, *, line: int, name: str = "the pairs file") -> bool:
    """``yes``/``no``, ``1``/``0``, ``true``/``false`` (any case, spaces around ignored) as a bool."""
    try:
        return SAME_WORDS[value.strip().lower()]
    except KeyError:
        raise PairsFileError(
            f"line {line} of {name}: same is '{_short(value)}'; use yes/no, 1/0 or true/false"
        ) from None


def _parse_csv(text: str, name: str) -> list[Pair]:
    rows = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    pairs: list[Pair] = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            missing = [column for column in CSV_HEADER if column not in header]
            if missing:
                raise PairsFileError(
                    f"line {line} of {name}: the header is '{_short(','.join(row))}'; it needs the columns "
                    f"{','.join(CSV_HEADER)} (missing: {', '.join(missing)})"
                )
            where = [header.index(column) for column in CSV_HEADER]
            continue
        if len(row) < len(header):
            raise PairsFileError(
                f"line {line} of {name} has {len(row)} value(s), the header {len(header)}: '{_short(','.join(row))}'"
            )
        file_x, file_y, same = (row[i].strip() for i in where)
        if not file_x or not file_y:
            raise PairsFileError(f"line {line} of {name}: a photo's file name is empty")
        pairs.append(Pair(file_x, file_y, parse_same(same, line=line, name=name), line))
    return pairs


def lfw_file(person: str, number: str | int) -> str:
    """LFW's file of a person's ``number``-th photo: ``Aaron_Peirsol/Aaron_Peirsol_0001.jpg``."""
    return f"{person}/{person}_{int(number):04d}.jpg"


def _parse_lfw(lines: Sequence[str], name: str) -> list[Pair]:
    pairs: list[Pair] = []
    header: tuple[int, ...] | None = None
    for line, raw in enumerate(lines, 1):
        fields = raw.split()
        if not fields:
            continue
        if header is None:
            header = tuple(int(f) for f in fields)
            continue
        if len(fields) == 3 and _numbers(fields[1:]):
            person, first, second = fields
            pairs.append(Pair(lfw_file(person, first), lfw_file(person, second), True, line))
        elif len(fields) == 4 and _numbers(fields[1::2]):
            person_x, first, person_y, second = fields
            pairs.append(Pair(lfw_file(person_x, first), lfw_file(person_y, second), False, line))
        else:
            raise PairsFileError(
                f"line {line} of {name} is '{_short(raw.strip())}'; LFW's pairs.txt has 'name n1 n2' (same person) "
                "or 'name1 n1 name2 n2' (different people), the n's whole numbers"
            )
    assert header is not None
    folds, per_side = header if len(header) == 2 else (1, header[0])
    allowed = {folds * 2 * per_side} | ({per_side} if len(header) == 1 else set())
    if pairs and len(pairs) not in allowed:
        said = (f"{folds} folds of {per_side} same and {per_side} different pairs" if len(header) == 2
                else f"{per_side} same and {per_side} different pairs (or {per_side} in all)")
        raise PairsFileError(f"the first line of {name} says {said}, but the file holds {len(pairs)} pairs")
    return pairs


def _numbers(fields: Iterable[str]) -> bool:
    return all(_NUMBER.fullmatch(f) for f in fields)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- making ---------------------------------------------------------------------------------------
def make_pairs(
    query: str | Path,
    reference: str | Path | None = None,
    *,
    root: str | Path | None = None,
    per_person: int | None = None,
) -> tuple[list[Pair], Path]:
    """Pairs from labelled folders (one sub-folder per person, as :func:`facedemo.io.folders.people_in_folder`).

    With ``reference``: every photo of ``query`` against every photo of ``reference`` (val × train);
    without: every pair of ``query``'s photos once. ``same`` is whether the two person folders
    share a name. ``per_person`` keeps the first photos (in sorted order) of each person of ``query``.

    Returns the pairs, their paths relative to ``root`` (default: the folders' common parent,
    ``images`` for ``images/val`` and ``images/train``) written with ``/``, and that root.
    """
    from facedemo.io.folders import labelled_photos

    folders = [Path(query)] + ([Path(reference)] if reference is not None else [])
    if per_person is not None and per_person < 1:
        raise FacedemoError(f"per_person must be at least 1, got {per_person}")
    if root is None:
        given = [os.path.normpath(f) for f in folders]
        try:  # as the folders were given (images/val, images/train → images), else resolved
            common = Path(os.path.commonpath(given))
        except ValueError:
            given = [str(f.resolve()) for f in folders]
            common = Path(os.path.commonpath(given))
        root = common.parent if str(common) in given else common
    root = Path(root)

    def photos(folder: Path, limit: int | None) -> list[tuple[str, str]]:
        paths, labels = labelled_photos(folder)
        kept: list[tuple[str, str]] = []
        seen: dict[str, int] = {}
        for path, label in zip(paths, labels):
            seen[label] = seen.get(label, 0) + 1
            if limit is None or seen[label] <= limit:
                kept.append((_relative(path, root), label))
        return kept

    left = photos(folders[0], per_person)
    if reference is None:
        chosen = [(a, b) for i, a in enumerate(left) for b in left[i + 1:]]
    else:
        chosen = [(a, b) for a in left for b in photos(folders[1], None)]
    pairs = [Pair(x, y, lx == ly, n) for n, ((x, lx), (y, ly)) in enumerate(chosen, 2)]
    return pairs, root


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise FacedemoError(f"'{path}' is not inside the root folder '{root}'") from None


def pairs_csv(pairs: Iterable[Pair]) -> str:
    """The pairs as CSV text with the header ``file_x,file_y,same`` (same: ``yes``/``no``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows((p.file_x, p.file_y, "yes" if p.same else "no") for p in pairs)
    return buffer.getvalue()


# --- encoding -------------------------------------------------------------------------------------
def distinct_photos(pairs: Iterable[Pair]) -> list[str]:
    """Every photo the pairs name, once, in order of first appearance."""
    return list(dict.fromkeys(f for p in pairs for f in (p.file_x, p.file_y)))


def photos_under(root: str | Path) -> Opener:
    """An opener for :func:`encode_photos`: a pairs file's name → the file below ``root`` (a missing one refused)."""
    root = Path(root)

    def open_photo(name: str) -> Path:
        path = root / name
        if not path.is_file():
            where = "is a folder" if path.is_dir() else "does not exist"
            raise PhotoNotFoundError(f"the photo '{name}' is missing: '{path}' {where}")
        return path

    return open_photo


def encode_photos(
    names: Sequence[str],
    encoder: Any,
    recipe: str,
    *,
    open_photo: Opener,
    on_progress: Progress | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Encode each photo once: ``({name: (d,) unit vector}, {name: why it failed})``.

    ``open_photo(name)`` gives the photo's bytes or path, or raises a
    :class:`~facedemo.errors.FacedemoError` (a missing photo). ``encoder`` is a
    :class:`~facedemo.encoding.encoder.FaceEncoder`; the network runs in batches of :data:`BATCH`.
    ``on_progress(done, total)`` is called after each photo.
    """
    from facedemo.io.images import WORK_MAX_SIDE, read_image

    vectors: dict[str, np.ndarray] = {}
    failed: dict[str, str] = {}
    waiting: list[tuple[str, Any]] = []

    def flush() -> None:
        if waiting:
            for (name, _), vector in zip(waiting, encoder.embed_prepared([p for _, p in waiting])):
                vectors[name] = vector
            waiting.clear()

    for done, name in enumerate(names, 1):
        label = f"'{name}'"
        try:
            rgb = read_image(open_photo(name), name=label, max_side=WORK_MAX_SIDE)
            waiting.append((name, encoder.prepare(rgb, recipe, name=label)))
        except FacedemoError as error:
            failed[name] = str(error)
        if len(waiting) >= BATCH:
            flush()
        if on_progress:
            on_progress(done, len(names))
    flush()
    return vectors, failed


# --- scoring --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PairOutcome:
    """One pair's answer: ``distance`` (None when a photo failed), ``accepted`` when ``distance < threshold``."""

    pair: Pair
    distance: float | None
    accepted: bool | None

    @property
    def failed(self) -> bool:
        """A photo of the pair could not be encoded: counted as a wrong answer."""
        return self.distance is None

    @property
    def correct(self) -> bool:
        return not self.failed and self.accepted == self.pair.same


@dataclass
class PairsReport:
    """What :func:`score_pairs` found. Rates are fractions in [0, 1]; nan where undefined.

    Attributes
    ----------
    threshold : the threshold used (a pair is accepted when ``distance < threshold``).
    outcomes : one :class:`PairOutcome` per pair, in file order.
    failed_photos : ``{photo: why it could not be encoded}``.
    accuracy : correct answers / all pairs; a pair with a failed photo is a wrong answer.
    true_accepts, true_rejects, false_accepts, false_rejects : counts over the encoded pairs;
        with ``failed_pairs`` they add up to ``n_pairs``.
    auc, eer, eer_threshold, val, val_threshold : on the encoded pairs (``n_scored``);
        ``val`` is the TAR at FAR :data:`VAL_FAR` (FaceNet's VAL).
    best_threshold, best_accuracy : the threshold that decides the most encoded pairs right.
    """

    recipe: str
    network: str
    threshold: float
    outcomes: list[PairOutcome]
    failed_photos: dict[str, str]
    accuracy: float
    true_accepts: int
    true_rejects: int
    false_accepts: int
    false_rejects: int
    tar: float
    far: float
    auc: float
    eer: float
    eer_threshold: float
    val: float
    val_threshold: float
    best_threshold: float
    best_accuracy: float
    notes: list[str] = field(default_factory=list)

    @property
    def n_pairs(self) -> int:
        return len(self.outcomes)

    @property
    def n_genuine(self) -> int:
        return sum(o.pair.same for o in self.outcomes)

    @property
    def n_impostor(self) -> int:
        return self.n_pairs - self.n_genuine

    @property
    def n_photos(self) -> int:
        return len(distinct_photos(o.pair for o in self.outcomes))

    @property
    def failed_pairs(self) -> list[PairOutcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def n_scored(self) -> int:
        return self.n_pairs - len(self.failed_pairs)

    @property
    def false_accept_pairs(self) -> list[PairOutcome]:
        """Different people let in: ``distance < threshold``, closest first."""
        return sorted((o for o in self.outcomes if not o.failed and o.accepted and not o.pair.same),
                      key=lambda o: o.distance)

    @property
    def false_reject_pairs(self) -> list[PairOutcome]:
        """The same person turned away: ``distance >= threshold``, farthest first."""
        return sorted((o for o in self.outcomes if not o.failed and not o.accepted and o.pair.same),
                      key=lambda o: -o.distance)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data; the figures under ``accuracy``, ``false_accepts``,
        ``false_rejects``, ``auc``, ``eer``, ``val_at_far_1e-3``, ``threshold`` and ``failed``."""

        def number(value: float) -> float | None:
            return None if value is None or math.isnan(value) else round(float(value), 6)

        def pair(o: PairOutcome) -> dict[str, Any]:
            return {"file_x": o.pair.file_x, "file_y": o.pair.file_y, "same": o.pair.same, "line": o.pair.line,
                    "distance": None if o.distance is None else round(o.distance, 4)}

        return {
            "recipe": self.recipe, "model": self.network,
            "threshold": self.threshold, "accuracy": number(self.accuracy),
            "false_accepts": self.false_accepts, "false_rejects": self.false_rejects,
            "auc": number(self.auc), "eer": number(self.eer), "val_at_far_1e-3": number(self.val),
            "failed": [{"photo": photo, "reason": reason} for photo, reason in self.failed_photos.items()],
            "pairs": self.n_pairs, "genuine_pairs": self.n_genuine, "impostor_pairs": self.n_impostor,
            "photos": self.n_photos, "scored_pairs": self.n_scored, "failed_pairs": len(self.failed_pairs),
            "true_accepts": self.true_accepts, "true_rejects": self.true_rejects,
            "tar": number(self.tar), "far": number(self.far),
            "eer_threshold": number(self.eer_threshold), "val_threshold": number(self.val_threshold),
            "best_threshold": number(self.best_threshold), "best_accuracy": number(self.best_accuracy),
            "false_accept_pairs": [pair(o) for o in self.false_accept_pairs],
            "false_reject_pairs": [pair(o) for o in self.false_reject_pairs],
            "failed_pair_list": [pair(o) for o in self.failed_pairs],
            "notes": list(self.notes),
        }


def score_pairs(
    pairs: Sequence[Pair],
    vectors: Mapping[str, np.ndarray],
    failed: Mapping[str, str],
    *,
    threshold: float,
    recipe: str,
    network: str,
) -> PairsReport:
    """Decide every pair at ``threshold`` and measure the curve (no model needed).

    Parameters
    ----------
    pairs : the pairs, as :func:`read_pairs` gives them.
    vectors : ``{photo: (d,) unit encoding}``; a photo missing from it must be in ``failed``.
    failed : ``{photo: why it could not be encoded}``.
    threshold : a pair is accepted when ``distance < threshold``.

    Returns
    -------
    PairsReport
        ``accuracy = (true accepts + true rejects) / len(pairs)``: a pair with a failed photo is wrong.
    """
    outcomes: list[PairOutcome] = []
    for p in pairs:
        if p.file_x in vectors and p.file_y in vectors:
            x, y = (np.asarray(vectors[f], dtype=np.float64) for f in (p.file_x, p.file_y))
            distance = float(np.linalg.norm(x - y))
            outcomes.append(PairOutcome(p, distance, same_person(distance, threshold)))
        else:
            unknown = [f for f in (p.file_x, p.file_y) if f not in vectors and f not in failed]
            if unknown:
                raise ValueError(f"photo {unknown[0]!r} is neither encoded nor failed")
            outcomes.append(PairOutcome(p, None, None))
    scored = [o for o in outcomes if not o.failed]
    genuine = np.array([o.distance for o in scored if o.pair.same], dtype=float)
    impostor = np.array([o.distance for o in scored if not o.pair.same], dtype=float)
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metrics.UndefinedMetricWarning)  # said in the notes below
        rates = metrics.rates_at(threshold, genuine, impostor)
        auc = metrics.roc_auc(genuine, impostor)
        eer, eer_threshold = metrics.equal_error_rate(genuine, impostor)
        val, val_threshold = metrics.tar_at_far(genuine, impostor, VAL_FAR)
        best_threshold, best_accuracy = metrics.best_accuracy_threshold(genuine, impostor)
    right = rates.true_accepts + rates.true_rejects
    accuracy = right / len(outcomes) if outcomes else math.nan
    failed_pairs = len(outcomes) - len(scored)
    if failed_pairs:
        held = "1 pair holds" if failed_pairs == 1 else f"{failed_pairs} pairs hold"
        notes.append(f"{held} a photo that could not be encoded: each such pair counts as a wrong answer in the "
                     f"accuracy; AUC, EER and VAL are measured on the other {len(scored)} pairs")
    if genuine.size == 0 or impostor.size == 0:
        notes.append("AUC, EER and VAL need both same-person and different-people pairs with encoded photos; "
                     f"there are {genuine.size} and {impostor.size}")
    elif impostor.size < 1 / VAL_FAR:
        notes.append(f"with {impostor.size} different-people pairs (fewer than {round(1 / VAL_FAR):,}), VAL at "
                     "FAR 1e-3 is the share of same-person pairs accepted with no impostor accepted at all")
    return PairsReport(
        recipe=recipe, network=network, threshold=float(threshold), outcomes=outcomes,
        failed_photos={photo: failed[photo] for photo in distinct_photos(pairs) if photo in failed},
        accuracy=accuracy, true_accepts=rates.true_accepts, true_rejects=rates.true_rejects,
        false_accepts=rates.false_accepts, false_rejects=rates.false_rejects, tar=rates.tar, far=rates.far,
        auc=auc, eer=eer, eer_threshold=eer_threshold, val=val, val_threshold=val_threshold,
        best_threshold=best_threshold, best_accuracy=best_accuracy, notes=notes,
    )


def evaluate_pairs(
    pairs: Sequence[Pair],
    encoder: Any,
    recipe: str,
    *,
    open_photo: Opener,
    threshold: float | None = None,
    on_progress: Progress | None = None,
) -> PairsReport:
    """Encode each distinct photo once with ``encoder`` and score the pairs (:func:`score_pairs`).

    ``threshold`` defaults to the network's pair threshold for ``recipe`` (the registry's,
    :meth:`facedemo.encoding.networks.Network.threshold`).
    """
    from facedemo.encoding.networks import get_network

    if threshold is None:
        threshold = get_network(encoder.network).threshold(recipe, "pair")
    vectors, failed = encode_photos(distinct_photos(pairs), encoder, recipe, open_photo=open_photo,
                                    on_progress=on_progress)
    return score_pairs(pairs, vectors, failed, threshold=threshold, recipe=recipe, network=encoder.network)


def report_lines(report: PairsReport, *, limit: int = 10) -> list[str]:
    """The report as a few readable lines (the CLI's text output)."""
    percent = (lambda v: "n/a" if math.isnan(v) else f"{v:.2%}")
    lines = [
        (f"model {report.network}, recipe {report.recipe}: {report.n_pairs} pairs of {report.n_photos} photos "
        f"({report.n_genuine} same person, {report.n_impostor} different people)"),
        (f"  accuracy at the default threshold {report.threshold:.2f}: {percent(report.accuracy)} "
        f"({report.true_accepts + report.true_rejects} of {report.n_pairs} right)"),
        f"  false accepts: {report.false_accepts} of {report.n_impostor} different-people pairs let in",
        f"  false rejects: {report.false_rejects} of {report.n_genuine} same-person pairs turned away",
        f"  failed photos: {len(report.failed_photos)} ({len(report.failed_pairs)} pairs counted as wrong)",
        (f"  AUC {report.auc:.4f} · EER {percent(report.eer)} at {report.eer_threshold:.3f} · "
        f"VAL@FAR 1e-3 {percent(report.val)} at {report.val_threshold:.3f}"),
        (f"  best-accuracy threshold {report.best_threshold:.3f} ({percent(report.best_accuracy)} of the "
        f"{report.n_scored} encoded pairs)"),
    ]
    for title, chosen in (("false accept", report.false_accept_pairs), ("false reject", report.false_reject_pairs)):
        lines += [f"  {title}: {o.pair.file_x} × {o.pair.file_y} distance {o.distance:.3f}" for o in chosen[:limit]]
        if len(chosen) > limit:
            lines.append(f"  ... and {len(chosen) - limit} more {title}s (--json lists them all)")
    lines += [f"  failed: {photo}: {reason}" for photo, reason in report.failed_photos.items()]
    lines += [f"  note: {note}" for note in report.notes]
    return lines


__all__ = [
    "CSV_HEADER",
    "VAL_FAR",
    "Pair",
    "PairOutcome",
    "PairsFileError",
    "PairsReport",
    "PhotoNotFoundError",
    "distinct_photos",
    "encode_photos",
    "evaluate_pairs",
    "lfw_file",
    "make_pairs",
    "pairs_csv",
    "parse_pairs",
    "parse_same",
    "photos_under",
    "read_pairs",
    "report_lines",
    "score_pairs",
]
