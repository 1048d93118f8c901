"""What breaks it: a photo made worse on purpose, and the distances as it gets worse.

Each degradation is a pure function ``(rgb, severity, face) -> rgb``: ``rgb`` is ``(h, w, 3)``
uint8, ``severity`` a number in the degradation's own unit (see :data:`DEGRADATIONS`), ``face``
the :class:`~facedemo.detection.faces.Face` found on the *clean* photo (or None: a nominal face in
the middle of the photo is used). The result has the same shape and dtype; the input is never
changed. Face-relative settings (blur, occlusion sizes, pixels across the face) scale with the
face, so a severity means the same on a small photo and on a large one.

Why numpy and Pillow and not an augmentation library (albumentations, imgaug, torchvision):

- every operation here is a few lines of Pillow or numpy, which the project already depends on;
  the libraries would add OpenCV or PyTorch (hundreds of MB) for the same Gaussian blur;
- their transforms draw random parameters by design; a lesson needs one named knob per effect,
  in a unit a student can read (σ as a share of the face width, JPEG quality, pixels across the
  face), and the same picture at the same setting;
- occlusions must sit on the detector's landmarks (eyes, mouth), which they do not know about.

:func:`sweep` runs one photo through one degradation at several severities, in one batch through
the encoder, and returns the distances to the person's own encodings and to the nearest other
person, and where the detector lost the face. :func:`half_way` reads, from many sweeps, the first
severity at which half the attempts fail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from facedemo.detection.faces import Face
from facedemo.errors import FacedemoError, NoFaceFoundError
from facedemo.people.matching import person_distance, same_person

Apply = Callable[[np.ndarray, float, "Face | None"], np.ndarray]
Progress = Callable[[int, int], None]
OCCLUDER = (20, 20, 20)  # the colour of bars, lenses and patches: nearly black
MASK_COLOUR = (170, 200, 225)  # a pale blue surgical mask
ROTATION_FILL = (128, 128, 128)


# --- where the face is ---------------------------------------------------------------------------
def face_or_centre(rgb: np.ndarray, face: Face | None) -> Face:
    """``face``, or a nominal face (the middle half of the photo, landmarks where a frontal face has them)."""
    if face is not None and face.landmarks:
        return face
    if face is None:
        height, width = rgb.shape[:2]
        side = min(width, height) // 2
        box = ((width - side) // 2, (height - side) // 2, side, side)
    else:
        box = face.box
    x, y, w, h = box
    marks = {
        "left_eye": (x + 0.3 * w, y + 0.38 * h), "right_eye": (x + 0.7 * w, y + 0.38 * h),
        "nose": (x + 0.5 * w, y + 0.58 * h),
        "mouth_left": (x + 0.35 * w, y + 0.78 * h), "mouth_right": (x + 0.65 * w, y + 0.78 * h),
    }
    return Face(box=tuple(int(v) for v in box), confidence=face.confidence if face else 0.0,
                landmarks={k: (int(a), int(b)) for k, (a, b) in marks.items()})


def _centre(face: Face) -> tuple[float, float]:
    x, y, w, h = face.box
    return x + w / 2, y + h / 2


def _mark(face: Face, name: str) -> np.ndarray:
    return np.asarray(face.landmarks[name], dtype=float)


def _eyes_y(face: Face) -> float:
    """The height of the line between the eyes, in photo pixels."""
    return float((_mark(face, "left_eye")[1] + _mark(face, "right_eye")[1]) / 2)


def cover(rgb: np.ndarray, box: tuple[float, float, float, float], colour: tuple[int, int, int] = OCCLUDER) -> np.ndarray:
    """``rgb`` with the rectangle ``box`` = ``(x, y, width, height)`` filled with ``colour`` (clipped to the photo)."""
    out = rgb.copy()
    height, width = rgb.shape[:2]
    x, y, w, h = box
    left, top = max(0, int(round(x))), max(0, int(round(y)))
    right, bottom = min(width, int(round(x + w))), min(height, int(round(y + h)))
    if right > left and bottom > top:
        out[top:bottom, left:right] = colour
    return out


def _check(rgb: np.ndarray) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise FacedemoError(f"a degradation takes an (h, w, 3) uint8 photo, got {rgb.dtype} of shape {rgb.shape}")


# --- the degradations ----------------------------------------------------------------------------
def gaussian_blur(rgb: np.ndarray, severity: float, face: Face | None) -> np.ndarray:
    """Gaussian blur with σ = ``severity`` % of the face's width (0: unchanged)."""
    _check(rgb)
    sigma = severity / 100 * face_or_centre(rgb, face).box[2]
    if sigma <= 0:
        return rgb.copy()
    return np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(radius=sigma)))


def darkness(rgb: np.ndarray, severity: float, face: Face | None) -> np.ndarray:
    """Less light by ``severity`` photographic stops: every pixel times ``2 ** -severity`` (0: unchanged).

    Stops, not a percentage: each stop halves the light, as a camera's exposure does; at 8 stops
    the 256 grey levels have shrunk to one or two.
    """
    _check(rgb)
    factor = 2.0 ** -max(severity, 0.0)
    return np.clip(rgb.astype(np.float32) * factor + 0.5, 0, 255).astype(np.uint8)


def low_contrast(rgb: np.ndarray, severity: float, face: Face | None) -> np.ndarray:
    """Flat light: pixels pulled toward the photo's mean grey by ``severity`` % (100: one flat grey)."""
    _check(rgb)
    keep = 1.0 - np.clip(severity, 0, 100) / 100
    pixels = rgb.astype(np.float32)
    mean = pixels.mean()
    return np.clip(mean + (pixels - mean) * keep + 0.5, 0, 255).astype(np.uint8)


def sensor_noise(rgb: np.ndarray, severity: float, face: Face | None, *, seed: int = 0) -> np.ndarray:
    """Gaussian sensor noise with σ = ``severity`` grey levels (of 255), the same noise for the same ``seed``."""
    _check(rgb)
    if severity <= 0:
        return rgb.copy()
    noise = np.random.default_rng(seed).normal(0.0, severity, size=rgb.shape)
    return np.clip(rgb + noise + 0.5, 0, 255).astype(np.uint8)


def jpeg_quality(rgb: np.ndarray, severity: float, face: Face | None) -> np.ndarray:
    """The photo saved as JPEG at quality ``severity`` (1-99) and read back; 100 leaves it as it is."""
    import io

    _check(rgb)
    if severity >= 100:
        return rgb.copy()
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=int(np.clip(round(severity), 1, 100)))
    return np.asarray(Image.open(buffer).convert("RGB"))


def pixels_across_face(rgb: np.ndarray, severity: float, face: Face | None) -> np.ndarray:
    """A low-resolution camera: the photo shrunk until the face is ``severity`` pixels wide, then enlarged back.

    A face already narrower than that is left as it is.
    """
    _check(rgb)
    width = face_or_centre(rgb, face).box[2]
    scale = max(severity, 1.0) / max(width, 1)
    if scale >= 1:
        return rgb.copy()
    height, full = rgb.shape[:2]
    small = Image.fromarray(rgb).resize((max(1, round(full * scale)), max(1, round(height * scale))), Image.BILINEAR)
    return np.asarray(small.resize((full, height), Image.BILINEAR))


def rotation(rgb: np.ndarray, severity: float, face: Face | None) -> np.ndarray:
    """A tilted head: the photo turned ``severity`` degrees anticlockwise about the face's centre (grey corners)."""
    _check(rgb)
    if severity == 0:
        return rgb.copy()
    turned = Image.fromarray(rgb).rotate(severity, resample=Image.BILINEAR, center=_centre(face_or_centre(rgb, face)),
                                          fillcolor=ROTATION_FILL)
    return np.asarray(turned)


def eye_bar(rgb: np.ndarray, severity: float, face: Face | None) -> np.ndarray:
    """A dark bar across both eyes, ``severity`` % of the face's height tall (0: none)."""
    _check(rgb)
    face = face_or_centre(rgb, face)
    if severity <= 0:
        return rgb.copy()
    x, _, w, h = face.box
    eyes_y = _eyes_y(face)
    tall = severity / 100 * h
    return cover(rgb, (x - 0.05 * w, eyes_y - tall / 2, 1.1 * w, tall))


def sunglasses(rgb: np.ndarray, severity: float, face: Face | None) -> np.ndarray:
    """Two dark round lenses on the eyes, each ``severity`` % of the distance between the eyes wide, with a bridge."""
    _check(rgb)
    face = face_or_centre(rgb, face)
    if severity <= 0:
        return rgb.copy()
    left, right = _mark(face, "left_eye"), _mark(face, "right_eye")
    radius = severity / 100 * float(np.linalg.norm(right - left)) / 2
    picture = Image.fromarray(rgb)
    pen = ImageDraw.Draw(picture)
    for eye in (left, right):
        pen.ellipse([eye[0] - radius, eye[1] - 0.8 * radius, eye[0] + radius, eye[1] + 0.8 * radius], fill=OCCLUDER)
    pen.line([tuple(left), tuple(right)], fill=OCCLUDER, width=max(1, round(radius / 5)))
    return np.asarray(picture)


def face_mask(rgb: np.ndarray, severity: float, face: Face | None) -> np.ndarray:
    """A mask over the lower face, from the chin up: ``severity`` % of the way from the chin to the eyes (70: the nose)."""
    _check(rgb)
    face = face_or_centre(rgb, face)
    if severity <= 0:
        return rgb.copy()
    x, y, w, h = face.box
    chin = y + h
    top = chin - severity / 100 * (chin - _eyes_y(face))
    return cover(rgb, (x, top, w, chin - top + 0.05 * h), MASK_COLOUR)


def random_patch(rgb: np.ndarray, severity: float, face: Face | None, *, seed: int = 0) -> np.ndarray:
    """A dark square ``severity`` % of the face's width wide, at a place in the face box drawn with ``seed``."""
    _check(rgb)
    face = face_or_centre(rgb, face)
    if severity <= 0:
        return rgb.copy()
    x, y, w, h = face.box
    side = severity / 100 * w
    u, v = np.random.default_rng(seed).random(2)
    return cover(rgb, (x + u * max(w - side, 0), y + v * max(h - side, 0), side, side))


@dataclass(frozen=True)
class Degradation:
    """One way to make a photo worse, with its knob.

    ``harmless`` is the setting that leaves the photo as it is and ``worst`` the far end of the
    knob; severities run from one to the other (for JPEG quality that is downward, 100 → 2).
    ``step`` is the slider's step, ``unit`` what a number means.
    """

    name: str
    title: str
    unit: str
    harmless: float
    worst: float
    step: float
    apply: Apply = field(repr=False)
    group: str = ""

    @property
    def low(self) -> float:
        return min(self.harmless, self.worst)

    @property
    def high(self) -> float:
        return max(self.harmless, self.worst)

    def severities(self, steps: int) -> np.ndarray:
        """``steps`` settings from harmless to worst (``(steps,)`` float64), the first one harmless."""
        if steps < 2:
            raise FacedemoError(f"a sweep needs at least 2 severities, got {steps}")
        return np.linspace(self.harmless, self.worst, steps)

    def at_least_as_bad(self, severity: float, than: float) -> bool:
        """Whether ``severity`` is ``than`` or further from harmless."""
        return (severity - than) * np.sign(self.worst - self.harmless) >= 0

    def __call__(self, rgb: np.ndarray, severity: float, face: Face | None = None) -> np.ndarray:
        if not self.low <= severity <= self.high:
            raise FacedemoError(f"{self.title}: severity {severity} is outside {self.low:g}–{self.high:g} ({self.unit})")
        return self.apply(rgb, severity, face)


# In the order a picture is made: the scene (what covers the face), the pose, the lens, the
# resolution, the light, the sensor, the file. :func:`degrade` applies several in this order.
DEGRADATIONS: dict[str, Degradation] = {d.name: d for d in (
    Degradation("eye_bar", "Bar over the eyes", "% of the face's height", 0, 60, 5, eye_bar, "occlusion"),
    Degradation("sunglasses", "Sunglasses", "% of the eye-to-eye distance per lens", 0, 120, 10, sunglasses, "occlusion"),
    Degradation("mask", "Mask over the lower face", "% of the way from chin to eyes", 0, 100, 10, face_mask, "occlusion"),
    Degradation("patch", "Random patch", "% of the face's width", 0, 80, 5, random_patch, "occlusion"),
    Degradation("rotation", "In-plane rotation", "degrees", 0, 90, 5, rotation, "pose"),
    Degradation("blur", "Gaussian blur", "σ, % of the face's width", 0, 12, 0.5, gaussian_blur, "optics"),
    Degradation("pixels", "Pixels across the face", "pixels", 160, 4, 2, pixels_across_face, "resolution"),
    Degradation("dark", "Darkness", "stops darker (each halves the light)", 0, 8, 0.5, darkness, "light"),
    Degradation("contrast", "Low contrast", "% toward flat grey", 0, 98, 2, low_contrast, "light"),
    Degradation("noise", "Sensor noise", "σ, grey levels of 255", 0, 120, 5, sensor_noise, "sensor"),
    Degradation("jpeg", "JPEG quality", "quality (100 = not re-saved)", 100, 2, 2, jpeg_quality, "file"),
)}


def get_degradation(name: str) -> Degradation:
    """The registry's entry ``name``; :class:`FacedemoError` naming the known ones otherwise."""
    try:
        return DEGRADATIONS[name]
    except KeyError:
        raise FacedemoError(f"there is no degradation {name!r}; choose one of {', '.join(DEGRADATIONS)}") from None


def degrade(rgb: np.ndarray, settings: Mapping[str, float], face: Face | None) -> np.ndarray:
    """``rgb`` with every degradation of ``settings`` (name → severity) applied, in the registry's order.

    Harmless settings are skipped, so ``degrade(rgb, {}, face)`` is a copy of ``rgb``.
    """
    out = rgb.copy()
    for name in settings:
        get_degradation(name)  # a typo is an error, not a no-op
    for name, degradation in DEGRADATIONS.items():
        severity = settings.get(name, degradation.harmless)
        if severity != degradation.harmless:
            out = degradation(out, float(severity), face)
    return out


# --- a sweep -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sweep:
    """One photo through one degradation at increasing severity.

    ``severities`` is ``(n,)``, from harmless to worst. ``to_self`` and ``to_other`` are ``(n,)``
    L2 distances to the person's own enrolled encodings and to the nearest *other* enrolled person
    (NaN where the detector lost the face, or where there is no such person); ``nearest_other``
    names that person; ``found`` is ``(n,)`` bool, whether the detector found a face.
    """

    degradation: str
    severities: np.ndarray
    to_self: np.ndarray
    to_other: np.ndarray
    nearest_other: tuple[str | None, ...]
    found: np.ndarray

    def fails(self, threshold: float) -> np.ndarray:
        """``(n,)`` bool: the genuine attempt fails (face lost, or distance to self not below ``threshold``)."""
        with np.errstate(invalid="ignore"):
            return ~self.found | ~same_person(np.nan_to_num(self.to_self, nan=np.inf), threshold)

    def door_closes(self, threshold: float) -> float | None:
        """The first severity at which the door stays shut for the person themself, or None (it always opens)."""
        failing = np.flatnonzero(self.fails(threshold))
        return float(self.severities[failing[0]]) if failing.size else None

    def face_lost(self) -> float | None:
        """The first severity at which the detector found no face, or None."""
        lost = np.flatnonzero(~self.found)
        return float(self.severities[lost[0]]) if lost.size else None


def sweep(
    encoder,
    rgb: np.ndarray,
    degradation: str,
    severities: Sequence[float],
    *,
    face: Face | None,
    recipe: str,
    person: str | None,
    people: Mapping[str, np.ndarray],
    comparison: str = "mean",
    on_progress: Progress | None = None,
) -> Sweep:
    """Distances of ``rgb`` degraded by ``degradation`` at each of ``severities``, in one batch.

    Parameters
    ----------
    encoder : FaceEncoder
        Its recipe step runs the detector on every degraded photo; its network encodes the crops in one batch.
    rgb : ``(h, w, 3)`` uint8, the clean photo; ``face`` its face on the clean photo (places occlusions).
    person : the person the photo shows (None: unknown, ``to_self`` is NaN).
    people : name → ``(k, d)`` enrolled unit encodings; ``person`` among them, the others are impostors.
    comparison : ``"mean"`` or ``"nearest"`` (:func:`facedemo.people.matching.person_distance`).
    on_progress : called with ``(done, total)`` after each severity is prepared.
    """
    entry = get_degradation(degradation)
    severities = np.asarray(severities, dtype=float)
    prepared: list = []
    found = np.zeros(len(severities), dtype=bool)
    for index, severity in enumerate(severities):
        degraded = entry(rgb, float(severity), face)
        try:
            ready = encoder.prepare(degraded, recipe, name="the degraded photo")
        except NoFaceFoundError:
            ready = None  # the recipe needs a face and the detector lost it
        prepared.append(ready)
        if ready is not None:  # a recipe without detection (the course's) still encodes; mark the detector apart
            found[index] = ready.face is not None or bool(encoder.detector.detect(degraded))
        if on_progress:
            on_progress(index + 1, len(severities))
    vectors = encoder.embed_prepared([p for p in prepared if p is not None])
    to_self = np.full(len(severities), np.nan)
    to_other = np.full(len(severities), np.nan)
    nearest: list[str | None] = [None] * len(severities)
    rows = iter(vectors)
    for index, ready in enumerate(prepared):
        if ready is None:
            continue
        vector = next(rows)
        if person in people:
            to_self[index] = person_distance(vector, people[person], comparison)
        others = {name: person_distance(vector, photos, comparison) for name, photos in people.items() if name != person}
        if others:
            nearest[index] = min(others, key=others.get)
            to_other[index] = others[nearest[index]]
    return Sweep(degradation, severities, to_self, to_other, tuple(nearest), found)


def half_way(severities: np.ndarray, failing: np.ndarray) -> float | None:
    """The first severity at which at least half the attempts fail.

    Parameters
    ----------
    severities : ``(n,)`` from harmless to worst.
    failing : ``(m, n)`` bool, one row per attempt (photo).

    Returns
    -------
    The severity, or None when fewer than half fail even at the worst setting (and for ``m = 0``).
    """
    failing = np.asarray(failing, dtype=bool)
    if failing.ndim != 2 or failing.shape[1] != len(severities):
        raise ValueError(f"failing must be (m, {len(severities)}), got shape {failing.shape}")
    if failing.shape[0] == 0:
        return None
    share = failing.mean(axis=0)
    reached = np.flatnonzero(share >= 0.5)
    return float(severities[reached[0]]) if reached.size else None


# --- the summary over many photos ---------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    """Every degradation on many photos: ``severities[name]`` ``(n,)``; ``to_self[name]`` ``(m, n)``
    (NaN: face lost, or no self); ``found[name]`` ``(m, n)`` bool; ``photos`` names the ``m`` rows.

    Distances, not verdicts: a threshold is applied afterwards (:meth:`half_way_rows`).
    """

    photos: tuple[str, ...]
    severities: dict[str, np.ndarray]
    to_self: dict[str, np.ndarray]
    found: dict[str, np.ndarray]

    def failing(self, name: str, threshold: float) -> np.ndarray:
        """``(m, n)`` bool: the genuine attempt fails (face lost, or distance to self not below ``threshold``)."""
        with np.errstate(invalid="ignore"):
            return ~self.found[name] | ~same_person(np.nan_to_num(self.to_self[name], nan=np.inf), threshold)

    def half_way_rows(self, threshold: float) -> list[dict]:
        """Per degradation: where half the genuine attempts fail, where the detector misses half the faces
        (None: not reached), and how many fail at the worst setting."""
        rows = []
        for name in self.severities:
            fails = self.failing(name, threshold)
            rows.append({"degradation": name, "attempts_fail": half_way(self.severities[name], fails),
                         "detector_misses": half_way(self.severities[name], ~self.found[name]),
                         "failing_at_worst": int(fails[:, -1].sum()), "photos": len(fails)})
        return rows


def summarise(
    encoder,
    photos: Sequence[tuple[str, np.ndarray, Face | None, str]],
    people: Mapping[str, np.ndarray],
    *,
    recipe: str,
    steps: int,
    comparison: str = "mean",
    on_progress: Progress | None = None,
) -> Summary:
    """Each of ``photos`` — ``(name, rgb, face, person)`` — through every degradation at ``steps`` severities.

    One :func:`sweep` per photo and degradation; ``on_progress(done, total)`` after each.
    """
    to_self: dict[str, list] = {name: [] for name in DEGRADATIONS}
    found: dict[str, list] = {name: [] for name in DEGRADATIONS}
    total, done = len(photos) * len(DEGRADATIONS), 0
    for _, rgb, face, person in photos:
        for name, entry in DEGRADATIONS.items():
            result = sweep(encoder, rgb, name, entry.severities(steps), face=face, recipe=recipe, person=person,
                           people=people, comparison=comparison)
            to_self[name].append(result.to_self)
            found[name].append(result.found)
            done += 1
            if on_progress:
                on_progress(done, total)
    count = len(photos)
    return Summary(tuple(name for name, *_ in photos),
                   {name: entry.severities(steps) for name, entry in DEGRADATIONS.items()},
                   {name: np.array(v, dtype=float).reshape(count, steps) for name, v in to_self.items()},
                   {name: np.array(v, dtype=bool).reshape(count, steps) for name, v in found.items()})


__all__ = ["DEGRADATIONS", "Degradation", "Summary", "Sweep", "cover", "degrade", "face_or_centre", "get_degradation",
           "half_way", "summarise", "sweep"]
