"""The bad-input matrix: every kind of file a user may hand facedemo, built from real gallery photos.

:data:`KINDS` is the one table: kind → how to build the file and what the user must be told.
``build_all(photo, folder)`` writes every kind's file into ``folder``; the core, CLI and app tests
(``test_bad_input.py``) all read the same files.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from facedemo.errors import FacedemoError, ImageSizeError, NoFaceFoundError, NotAnImageError, UnsupportedFormatError

Photo = Callable[..., Path]
HUGE = (8000, 6000)
TWO_FACES = "2 faces found in the photo; using the largest one"
PLEASE_USE = "please use a JPEG or PNG photo"


@dataclass(frozen=True)
class Kind:
    """One kind of input: its file name, how it is built, and the expected outcome.

    ``error`` is None when the photo must be encoded (``note`` is then the note expected, if any);
    otherwise the project's exception and ``words`` that the one-sentence message must contain.
    ``before_model``: the file is refused before face detection (the CLI never loads a network).
    """

    file_name: str
    build: Callable[[Photo], bytes]
    error: type[FacedemoError] | None = None
    words: tuple[str, ...] = ()
    note: str | None = None

    @property
    def before_model(self) -> bool:
        return self.error is not None and self.error is not NoFaceFoundError


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _face(photo: Photo) -> Image.Image:
    """The matrix's subject: the first val photo of madonna (the Verify page compares it with train/madonna/1)."""
    return Image.open(photo("val", "madonna", 0)).convert("RGB")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width: int, height: int, depth: int, colour: int, rows: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b"")


def bomb_png(photo: Photo) -> bytes:
    """A 30000×30000 RGB PNG header over a few bytes of data: 2.7 GB if anybody decoded it."""
    return _png(30000, 30000, 8, 2, b"\0" * 10)


def rgb48_png(photo: Photo) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one, so it is written by hand)."""
    rgb = np.asarray(_face(photo), dtype=np.uint16) * 257
    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in rgb)
    return _png(rgb.shape[1], rgb.shape[0], 16, 2, rows)


def grey16_png(photo: Photo) -> bytes:
    grey = np.asarray(_face(photo).convert("L"), dtype=np.uint16) * 257
    return _save(Image.fromarray(grey), "PNG")


def palette_png(photo: Photo) -> bytes:
    """A 255-colour palette PNG with a transparent border (palette index 255)."""
    face = _face(photo).convert("P", palette=Image.Palette.ADAPTIVE, colors=255)
    canvas = Image.new("P", (face.width + 60, face.height + 60), 255)
    palette = face.getpalette()[: 255 * 3] + [0, 0, 0]
    canvas.putpalette(palette)
    canvas.paste(face, (30, 30))
    return _save(canvas, "PNG", transparency=255)


def animated_gif(photo: Photo) -> bytes:
    frames = [_face(photo), Image.open(photo("val", "elton_john", 0)).convert("RGB").resize(_face(photo).size)]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=500, loop=0)


def exif_rotated(photo: Photo) -> bytes:
    """What a phone writes: the pixels stored sideways, EXIF orientation 6 says "turn 90° clockwise"."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(_face(photo).rotate(90, expand=True), "JPEG", quality=92, exif=exif)


def huge_jpeg(photo: Photo) -> bytes:
    """An 8000×6000 JPEG (48 megapixels, as a high-end phone): the face upscaled onto a wall."""
    face = _face(photo)
    height = HUGE[1]
    width = round(face.width * height / face.height)
    canvas = Image.new("RGB", HUGE, (235, 230, 220))
    canvas.paste(face.resize((width, height), Image.BILINEAR), ((HUGE[0] - width) // 2, 0))
    return _save(canvas, "JPEG", quality=85)


def two_faces(photo: Photo) -> bytes:
    """madonna (larger) and elton_john side by side: the larger face is the one used."""
    left = _face(photo).resize((300, 360))
    right = Image.open(photo("val", "elton_john", 1)).convert("RGB").resize((220, 264))
    group = Image.new("RGB", (560, 380), (255, 255, 255))
    group.paste(left, (0, 10))
    group.paste(right, (330, 60))
    return _save(group, "JPEG", quality=92)


def wall(photo: Photo) -> bytes:
    """A photo of a plaster wall: texture, no face."""
    noise = np.random.default_rng(0).normal(0, 6, (240, 320, 1))
    return _save(Image.fromarray(np.clip(200 + noise.repeat(3, axis=2), 0, 255).astype(np.uint8)), "JPEG")


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


NOT_AN_IMAGE = ("not an image", PLEASE_USE)
TRUNCATED = ("truncated or damaged", PLEASE_USE)

KINDS: dict[str, Kind] = {
    "zero-byte file": Kind("empty.jpg", lambda p: b"", NotAnImageError, ("is empty (0 bytes), not an image",)),
    "text renamed .jpg": Kind("notes.jpg", lambda p: b"Shopping list: eggs, milk, bread\n", NotAnImageError, NOT_AN_IMAGE),
    "PDF renamed .jpg": Kind("invoice.jpg", lambda p: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n",
                             NotAnImageError, NOT_AN_IMAGE),
    "HTML renamed .jpg": Kind("page.jpg", lambda p: b"<!DOCTYPE html><html><head><title>x</title></head><body><img src=a.jpg></body></html>",
                              NotAnImageError, NOT_AN_IMAGE),
    "truncated JPEG": Kind("half.jpg", lambda p: _half(_save(_face(p), "JPEG", quality=95)), NotAnImageError, TRUNCATED),
    "truncated PNG": Kind("half.png", lambda p: _half(_save(_face(p), "PNG")), NotAnImageError, TRUNCATED),
    "decompression bomb (30000×30000 PNG)": Kind("bomb.png", bomb_png, ImageSizeError, ("too large", "megapixels")),
    "TIFF": Kind("scan.tif", lambda p: _save(_face(p), "TIFF"), UnsupportedFormatError, ("TIFF image, which is unsupported", PLEASE_USE)),
    "HEIC (iPhone)": Kind("IMG_0001.heic", lambda p: b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64,
                          UnsupportedFormatError, ("HEIC image, which is unsupported", PLEASE_USE)),
    "AVIF": Kind("photo.avif", lambda p: b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf" + b"\0" * 64,
                 UnsupportedFormatError, ("AVIF image, which is unsupported", PLEASE_USE)),
    "SVG": Kind("drawing.svg", lambda p: b"<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'>"
                b"<circle cx='32' cy='32' r='30'/></svg>", UnsupportedFormatError, ("SVG image, which is unsupported", PLEASE_USE)),
    "tiny image (8×8)": Kind("tiny.png", lambda p: _save(_face(p).resize((8, 8)), "PNG"), ImageSizeError,
                             ("only 8×8 pixels, too small to hold a face",)),
    "no face": Kind("wall.jpg", wall, NoFaceFoundError, ("no face found in", "a face is clearly visible")),
    "huge photo (8000×6000 JPEG)": Kind("huge.jpg", huge_jpeg),
    "CMYK JPEG": Kind("cmyk.jpg", lambda p: _save(_face(p).convert("CMYK"), "JPEG", quality=92)),
    "16-bit greyscale PNG": Kind("grey16.png", grey16_png),
    "16-bit RGB PNG": Kind("rgb48.png", rgb48_png),
    "greyscale JPEG": Kind("grey.jpg", lambda p: _save(_face(p).convert("L"), "JPEG", quality=92)),
    "palette PNG with transparency": Kind("palette.png", palette_png),
    "animated GIF": Kind("animated.gif", animated_gif),
    "EXIF-rotated phone photo": Kind("phone.jpg", exif_rotated),
    "two faces": Kind("group.jpg", two_faces, note=TWO_FACES),
}


def build_all(photo: Photo, folder: Path) -> dict[str, Path]:
    """Write every kind's file into ``folder``; returns ``{kind: path}``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, kind in KINDS.items():
        path = folder / kind.file_name
        path.write_bytes(kind.build(photo))
        paths[name] = path
    return paths


# --- names a user may type (People page) or give as folder names (``enrol``) --------------------
@dataclass(frozen=True)
class Name:
    """A person's name: ``words`` of the refusal (None: a valid name); ``folder``: can name a folder."""

    text: str
    words: str | None
    folder: bool = True


NAMES: dict[str, Name] = {
    "empty": Name("", "a name cannot be empty", folder=False),
    "only spaces": Name("   ", "a name cannot be empty"),
    "very long (120 characters)": Name("x" * 120, "at most 80 characters (this one has 120)"),
    "contains /": Name("../etc/passwd", "looks like a file path", folder=False),
    "..": Name("..", "looks like a file path", folder=False),
    "control characters": Name("ali\x07ce", "contains control characters"),
    "emoji": Name("🦄 Unicorn", None),
    "duplicate (already enrolled)": Name("madonna", None),
}


# --- database files ------------------------------------------------------------------------------
def unit_vectors(count: int, size: int = 128, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, size)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def office(people: int = 3, photos: int = 2, seed: int = 0):
    """A small synthetic database (``person0`` ...), no model needed."""
    from facedemo.people.database import FaceDatabase

    database = FaceDatabase("aligned")
    for index, vector in enumerate(unit_vectors(people * photos, seed=seed)):
        database.add(f"person{index % people}", vector, sha256=f"{seed}-{index}", source=f"{index}.jpg")
    return database


def other_model_file() -> bytes:
    """A well-formed database file of 512-d encodings (another face model)."""
    import json

    buffer = io.BytesIO()
    np.savez(buffer, vectors=unit_vectors(2, 512), names=np.array(["x", "y"]), sha256=np.array(["", ""]),
             sources=np.array(["", ""]), meta=np.array(json.dumps({"embedding_size": 512, "model": "ArcFace r100"})))
    return buffer.getvalue()


DAMAGED = "is not a facedemo database, or it is damaged"
DATABASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "corrupt file": (lambda: b"PK\x03\x04 this is not really a zip", DAMAGED),
    "truncated file": (lambda: _half(office().to_bytes()), DAMAGED),
    "another model (512-d)": (other_model_file, "was made by another model (512-d encodings"),
}
