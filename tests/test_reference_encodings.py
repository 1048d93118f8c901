"""Six gallery photos encoded fresh, against committed reference numbers (``reference_encodings.json``).

For each photo, both networks and the three recipes: the face box and the first 8 encoding values, to
1e-4. The ``box`` rows are the numbers the ``aligned`` rows had before landmark alignment came (the
box crop kept its crop under its new name). Encoded here without any cache, so a wrong pixel scale, a channel swap, another resize or
another crop fails at once, even when ``.cache/`` holds encodings from before the change.
The numbers were made with the code before the core was regrouped, and are made again with
``python -m tests.test_reference_encodings > tests/reference_encodings.json`` (only on purpose:
a changed number is a changed model input).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).with_name("reference_encodings.json")
PHOTOS = ("val/madonna/0", "val/elton_john/1", "val/jerry_seinfeld/2", "val/mindy_kaling/3",
          "train/ben_afflek/4", "train/madonna/5")
NETWORKS = ("facenet", "casia")
RECIPES = ("aligned", "box", "course")


def photo_path(gallery: Path, ref: str) -> Path:
    """``"val/madonna/0"`` → the first photo (sorted) of val/madonna."""
    split, person, index = ref.split("/")
    return sorted((gallery / split / person).glob("*.jpg"))[int(index)]


def reference_rows(encoders: dict, gallery: Path) -> list[dict]:
    """One row per photo, network and recipe, as the reference file holds them."""
    rows = []
    for ref in PHOTOS:
        for network in NETWORKS:
            for recipe in RECIPES:
                encoding = encoders[network].encode(photo_path(gallery, ref), recipe)
                face = encoding.prepared.face
                rows.append({"photo": ref, "file": photo_path(gallery, ref).name, "network": network, "recipe": recipe,
                             "box": list(face.box) if face else None,
                             "first_8": [round(float(v), 6) for v in encoding.vector[:8]]})
    return rows


def test_fresh_encodings_match_the_reference_numbers(encoder, casia_encoder, gallery_dir):
    expected = json.loads(REFERENCE.read_text())
    assert len(expected) == len(PHOTOS) * len(NETWORKS) * len(RECIPES) == 36
    found = reference_rows({"facenet": encoder, "casia": casia_encoder}, gallery_dir)
    for want, got in zip(expected, found):
        where = f"{want['photo']} {want['network']} {want['recipe']}"
        assert (got["photo"], got["file"], got["network"], got["recipe"]) == (
            want["photo"], want["file"], want["network"], want["recipe"]), where
        assert got["box"] == want["box"], where
        np.testing.assert_allclose(got["first_8"], want["first_8"], atol=1e-4, err_msg=where)


def test_a_channel_swap_would_fail_it(encoder, gallery_dir):
    """The check has teeth: the same photo with red and blue swapped moves the encoding past 1e-4."""
    from facedemo.io.images import read_image

    expected = next(row for row in json.loads(REFERENCE.read_text())
                    if (row["photo"], row["network"], row["recipe"]) == ("val/madonna/0", "facenet", "aligned"))
    rgb = read_image(photo_path(gallery_dir, "val/madonna/0"))
    swapped = encoder.embed_prepared([encoder.prepare(np.ascontiguousarray(rgb[..., ::-1]), "aligned")])[0]
    assert np.abs(swapped[:8] - np.array(expected["first_8"])).max() > 1e-3


def main() -> None:
    from facedemo import assets
    from facedemo.encoding.encoder import FaceEncoder

    facenet = FaceEncoder.load(network="facenet")
    casia = FaceEncoder.load(network="casia", detector=facenet.detector)
    rows = reference_rows({"facenet": facenet, "casia": casia}, assets.gallery_dir())
    sys.stdout.write("[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]\n")


if __name__ == "__main__":
    main()
