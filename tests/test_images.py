"""The image reader on good and bad input (synthetic files are fine here: no model involved)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from facedemo.errors import ImageSizeError, NotAnImageError, UnsupportedFormatError
from facedemo.io.images import downscale, read_image


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def gradient(width: int = 64, height: int = 48) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)
    rgb = np.stack([np.tile(x, (height, 1))] * 3, axis=2)
    rgb[..., 1] = 255 - rgb[..., 1]
    return Image.fromarray(rgb)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "GIF"])
def test_reads_common_formats_as_rgb(fmt):
    rgb = read_image(encoded(gradient(), fmt))
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8


def test_reads_a_path(tmp_path):
    path = tmp_path / "g.png"
    gradient().save(path)
    assert np.array_equal(read_image(path), np.asarray(gradient()))


def test_exif_orientation_is_applied():
    image = gradient(64, 48)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    rgb = read_image(encoded(image, "JPEG", exif=exif))
    assert rgb.shape == (64, 48, 3)


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "RGBA", "LA", "I;16", "1"])
def test_any_mode_becomes_rgb(mode):
    image = gradient().convert("L").convert(mode) if mode != "I;16" else Image.fromarray(
        (np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) * 20))
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    rgb = read_image(encoded(image, fmt))
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8


def test_transparent_palette_png_lies_on_white():
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0)).convert("P")
    rgb = read_image(encoded(image, "PNG", transparency=0))
    assert (rgb == 255).all()


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    rgb = read_image(buffer.getvalue())
    assert rgb[0, 0, 0] > 200 and rgb[0, 0, 2] < 50


@pytest.mark.parametrize(
    "data, error, words",
    [
        (b"", NotAnImageError, "empty"),
        (b"just some text, renamed to .jpg", NotAnImageError, "not an image"),
        (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", NotAnImageError, "not an image"),
        (b"<!doctype html><html><body>hi</body></html>", NotAnImageError, "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", UnsupportedFormatError, "SVG"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", UnsupportedFormatError, "HEIC"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", UnsupportedFormatError, "AVIF"),
    ],
)
def test_bad_bytes_get_a_clear_error(data, error, words):
    with pytest.raises(error, match=words):
        read_image(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_refused(fmt):
    data = encoded(gradient(400, 300), fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    with pytest.raises(NotAnImageError, match="truncated|damaged|not an image"):
        read_image(data[: len(data) // 2])


def test_decompression_bomb_header_is_refused_without_decoding():
    width = height = 30000
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")
    with pytest.raises(ImageSizeError, match="too large|megapixels"):
        read_image(png)


def test_tiny_image_is_refused():
    with pytest.raises(ImageSizeError, match="too small"):
        read_image(encoded(Image.new("RGB", (8, 8)), "PNG"))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(NotAnImageError, match="no file"):
        read_image(tmp_path / "nope.jpg")
    with pytest.raises(NotAnImageError, match="folder"):
        read_image(tmp_path)


def test_downscale_keeps_aspect_and_reports_scale():
    small, scale = downscale(np.zeros((3000, 4000, 3), np.uint8), 1000)
    assert small.shape == (750, 1000, 3) and scale == pytest.approx(0.25)
    same, one = downscale(np.zeros((10, 20, 3), np.uint8), 1000)
    assert same.shape == (10, 20, 3) and one == 1.0
