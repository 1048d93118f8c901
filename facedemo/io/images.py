"""Bytes or a path → an RGB ``uint8`` array, with EXIF orientation applied and clear errors.

Reads JPEG, PNG, WebP, BMP and GIF (first frame). Refuses, with a sentence saying so: files that
are not images, truncated files, formats we do not read (HEIC, AVIF, SVG, ...), images with more
than :data:`MAX_PIXELS` pixels (decompression bombs) and images smaller than :data:`MIN_SIDE`.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facedemo.errors import ImageSizeError, NotAnImageError, UnsupportedFormatError

ImageSource = Union[str, Path, bytes, bytearray, memoryview]

READABLE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "BMP": "BMP", "GIF": "GIF"}
MAX_PIXELS = 50_000_000
MIN_SIDE = 16
# Longest side a photo is decoded to for face work: detection runs at 1024 px and crops become
# 160×160, so 2000 px loses nothing while a 48-megapixel phone photo costs 9 MB instead of 144 MB.
WORK_MAX_SIDE = 2000
PLEASE_USE = "please use a JPEG or PNG photo"

_FOREIGN_SIGNATURES = {
    b"heic": "HEIC", b"heix": "HEIC", b"hevc": "HEIC", b"mif1": "HEIC/HEIF",
    b"avif": "AVIF", b"avis": "AVIF",
}


def _read_bytes(source: ImageSource, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "the uploaded file"
    path = Path(source)
    try:
        return path.read_bytes(), f"'{path.name}'"
    except FileNotFoundError:
        raise NotAnImageError(f"there is no file '{path}'") from None
    except IsADirectoryError:
        raise NotAnImageError(f"'{path}' is a folder, not an image") from None
    except OSError as error:
        raise NotAnImageError(f"cannot read '{path}': {error.strerror or error}") from None


def _foreign_format(data: bytes) -> str | None:
    """Name a well-known image format that Pillow does not read here, from its first bytes."""
    if data[4:8] == b"ftyp" and data[8:12] in _FOREIGN_SIGNATURES:
        return _FOREIGN_SIGNATURES[data[8:12]]
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "SVG"
    return None


def _open(data: bytes, name: str) -> Image.Image:
    if not data:
        raise NotAnImageError(f"{name} is empty (0 bytes), not an image")
    foreign = _foreign_format(data)
    if foreign:
        raise UnsupportedFormatError(f"{name} is {_a(foreign)} {foreign} image, which is unsupported: {PLEASE_USE}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageSizeError(f"{name} is too large to open safely; {PLEASE_USE} under 50 megapixels") from None
    except UnidentifiedImageError:
        raise NotAnImageError(f"{name} is not an image (or is damaged); {PLEASE_USE}") from None
    except Exception as error:  # noqa: BLE001 - Pillow plugins raise many kinds on bad headers
        raise NotAnImageError(f"{name} could not be read as an image ({error}); {PLEASE_USE}") from None
    if image.format not in READABLE_FORMATS:
        raise UnsupportedFormatError(f"{name} is {_a(image.format)} {image.format} image, which is unsupported: {PLEASE_USE}")
    return image


def _a(format_name: str) -> str:
    """The article for a format's initials as they are spoken: "an AVIF", "an SVG", "a HEIC"."""
    return "an" if format_name[:1] in "AEIOUS" else "a"


def _check_size(width: int, height: int, name: str) -> None:
    if width * height > MAX_PIXELS:
        raise ImageSizeError(
            f"{name} is {width}×{height} pixels, more than the {MAX_PIXELS // 1_000_000} megapixels "
            "allowed; please use a smaller photo"
        )
    if min(width, height) < MIN_SIDE:
        raise ImageSizeError(
            f"{name} is only {width}×{height} pixels, too small to hold a face; please use a photo "
            f"at least {MIN_SIDE}×{MIN_SIDE}"
        )


def _to_rgb(image: Image.Image) -> np.ndarray:
    """Any Pillow mode → ``(h, w, 3)`` uint8; transparency is laid on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        grey = np.clip(values / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if (image.mode == "P" and "transparency" in image.info) or image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        return np.asarray(canvas.convert("RGB"))
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


def read_image(source: ImageSource, *, name: str | None = None, max_side: int | None = None) -> np.ndarray:
    """Read a photo from a path or from bytes.

    Parameters
    ----------
    source : a file path, or the file's bytes (an upload).
    name : how messages call the image (default: the file name, or "the uploaded file").
    max_side : if given, the returned photo's longer side is at most this many pixels. A large
        JPEG is then decoded at 1/2, 1/4 or 1/8 scale by the decoder itself (``Image.draft``),
        never at full size; other formats are decoded, then shrunk. Default: full size.

    Returns
    -------
    ndarray of shape ``(height, width, 3)``, dtype uint8, upright (EXIF orientation applied).

    Raises
    ------
    NotAnImageError, UnsupportedFormatError, ImageSizeError
    """
    data, name = _read_bytes(source, name)
    image = _open(data, name)
    _check_size(*image.size, name)
    try:
        image.seek(0)
        if max_side and max(image.size) > max_side and image.format in ("JPEG", "MPO"):
            image.draft(None, _fitted(image.size, max_side))  # the decoder skips detail: 1/2, 1/4 or 1/8 scale
        image.load()
        ImageOps.exif_transpose(image, in_place=True)  # in place: no copy of a photo that is upright already
        if max_side and max(image.size) > max_side and image.mode in ("RGB", "L"):
            image = image.resize(_fitted(image.size, max_side), Image.BILINEAR)  # before the array is made
        rgb = _to_rgb(image)
    except (OSError, SyntaxError, ValueError) as error:
        raise NotAnImageError(f"{name} is truncated or damaged ({error}); {PLEASE_USE}") from None
    return downscale(rgb, max_side)[0] if max_side else rgb


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``(width, height)`` scaled so the longer side is ``max_side`` (aspect kept, at least 1 pixel)."""
    scale = max_side / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def downscale(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Shrink so the longer side is at most ``max_side``; returns the array and the scale used."""
    height, width = rgb.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale == 1.0:
        return rgb, 1.0
    return np.asarray(Image.fromarray(rgb).resize(_fitted((width, height), max_side), Image.BILINEAR)), scale


def image_to_png(rgb: np.ndarray) -> bytes:
    """Encode an RGB array as PNG bytes (for thumbnails and downloads)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()
