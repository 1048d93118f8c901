"""How small can a face be and still be named? The measurement behind ``MIN_FACE_SIDE``.

``python benchmarks/face_size.py`` enrols the gallery's train photos, then shrinks each val face
to ``s`` px on its short side (its 160×160 crop by the default recipe resized down to ``1.2 s`` px, about the box plus its
10 % margins, and back up, as a small face in a group photo would be cropped), names it 1:K
(mean and nearest comparisons, their calibrated thresholds) and prints, per size, the share named right, the share
"Not in the database" and the genuine distances (see :mod:`facedemo.encoding.every_face`).
Sizes at or under the gallery's smallest face (printed first) are honest for every photo.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIDES = (10, 15, 20, 25, 30, 35, 40, 50, 60, 80, 160)
COMPARISONS = ("mean", "nearest")


def main() -> None:
    from facedemo import assets
    from facedemo.encoding.encoder import FaceEncoder
    from facedemo.encoding.networks import get_network
    from facedemo.encoding.recipes import CROP_MARGIN, DEFAULT_RECIPE, get_recipe
    from facedemo.io.images import read_image
    from facedemo.people.database import FaceDatabase

    assets.set_up(progress=assets.quiet)
    encoder = FaceEncoder.load()
    recipe = get_recipe(DEFAULT_RECIPE)
    office = FaceDatabase(recipe.name)
    office.enrol_folder(assets.gallery_dir() / "train", encoder)
    scaling = get_network(encoder.network).scaling_for(recipe.name)
    results: dict[tuple[str, int], list[tuple[bool, bool, float]]] = {(c, s): [] for c in COMPARISONS for s in SIDES}
    shortest = []
    for path in sorted((assets.gallery_dir() / "val").glob("*/*.jpg")):
        rgb = read_image(path)
        face = encoder.detector.detect(rgb)[0]
        shortest.append(min(face.box[2:]))
        crop = Image.fromarray(recipe.crop(rgb, face))
        for side in SIDES:
            pixels = max(2, round(side * (1 + 2 * CROP_MARGIN)))
            small = np.asarray(crop.resize((pixels, pixels), Image.BILINEAR).resize(crop.size, Image.BILINEAR))
            vector = encoder.embedder.embed(scaling(small)[None])[0]
            for comparison in COMPARISONS:
                distance, name = office.identify(vector, comparison=comparison)
                results[comparison, side].append((name == path.parent.name, name is None, distance))
    print(f"val faces' short sides: min {min(shortest)}, median {int(np.median(shortest))}, max {max(shortest)} px")
    for (comparison, side), rows in results.items():
        if side == SIDES[0]:
            print(f"{comparison} comparison, threshold {office.identify_threshold(comparison):.2f} (1:K, K = {len(office)})")
        right, unknown, distances = (np.array(column) for column in zip(*rows))
        print(f"face {side:3d} px: named right {right.mean():4.0%}  not in the database {unknown.mean():4.0%}  "
              f"wrong name {(~right & ~unknown).mean():4.0%}  distance median {np.median(distances):.3f} "
              f"max {distances.max():.3f}")


if __name__ == "__main__":
    main()
