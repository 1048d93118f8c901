"""Which recipe, which threshold? Every preprocessing variant on both networks, measured on the gallery.

``python benchmarks/recipes.py [--networks facenet,casia] [--json FILE]`` detects each gallery
photo once, crops it by each variant (the box crop at three margins, landmark alignment at three
template scales and without the squeeze, each with and without averaging the encodings of the
face and its mirror image), encodes it with each network and prints per variant, on the val
photos against the train photos (no val photo ever sets a threshold):

- AUC and EER of the val × train pairs;
- VAL@FAR 10⁻³: the train pairs' threshold for FAR 10⁻³ (read off the train pairs alone), and
  the TAR and FAR it gives on val × train;
- for the registry's recipes, the default pair threshold of the FAR policy
  (:func:`facedemo.analysis.calibration.fit_far_policy`) and its val FAR, TAR and accuracy, and
  the best-accuracy threshold (the old default) with the same.

``--registry`` also fits the FAR policy for ``pair``, ``mean`` and ``nearest`` of each registry
recipe and prints the numbers :mod:`facedemo.encoding.networks` keeps, and the stranger rate of
1:K measured with leave-one-person-out (each person in turn a stranger to the other four).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPLITS = ("train", "val")


def variants() -> dict[str, object]:
    """The recipes to compare, by name (the registry's own first)."""
    from facedemo.encoding.recipes import RECIPES, FaceBoxCrop, LandmarkAlignment

    found: dict[str, object] = {"aligned": RECIPES["aligned"], "box": RECIPES["box"]}
    for margin in (0.0, 0.2):
        found[f"box, margin {margin:.0%}"] = FaceBoxCrop("box", "", "", margin=margin)
    for scale in (0.9, 1.1):
        found[f"aligned, template ×{scale}"] = LandmarkAlignment("aligned", "", "", scale=scale)
    found["aligned, square (no squeeze)"] = LandmarkAlignment("aligned", "", "", aspect=1.0)
    return found


def gallery_faces() -> tuple[list[np.ndarray], list, np.ndarray, np.ndarray]:
    """Every gallery photo with its largest face: RGB arrays, faces, labels, split of each."""
    from facedemo import assets
    from facedemo.detection.faces import FaceDetector
    from facedemo.io.images import WORK_MAX_SIDE, read_image

    detector = FaceDetector()
    rgbs, faces, labels, splits = [], [], [], []
    for split in SPLITS:
        for path in sorted((assets.gallery_dir() / split).glob("*/*")):
            rgb = read_image(path, max_side=WORK_MAX_SIDE)
            found = detector.detect(rgb)
            if not found:
                print(f"  no face in {path.name}: left out")
                continue
            rgbs.append(rgb)
            faces.append(found[0])
            labels.append(path.parent.name)
            splits.append(split)
    return rgbs, faces, np.array(labels), np.array(splits)


def measure(train: np.ndarray, train_labels: np.ndarray, val: np.ndarray, val_labels: np.ndarray,
            *, policy: bool) -> dict[str, float]:
    """The figures of one variant: AUC, EER, VAL@FAR 10⁻³ on val × train, and the policies' thresholds."""
    from facedemo.analysis import metrics
    from facedemo.analysis.calibration import fit_far_policy, val_attempts

    held = val_attempts(val, val_labels, train, train_labels, "pair")
    seen = metrics.pair_distances(train, train_labels)
    eer, _ = metrics.equal_error_rate(held.genuine, held.impostor)
    _, at_far = metrics.tar_at_far(seen.genuine, seen.impostor, 1e-3)
    rates = metrics.rates_at(at_far, held.genuine, held.impostor)
    row = {"auc": metrics.roc_auc(held.genuine, held.impostor), "eer": eer, "train_far_1e-3_threshold": at_far,
           "val_tar_at_it": rates.tar, "val_far_at_it": rates.far}
    if policy:
        chosen = fit_far_policy(train, train_labels, "pair")
        best, _ = metrics.best_accuracy_threshold(seen.genuine, seen.impostor)
        for name, threshold in (("default", chosen.threshold), ("best_accuracy", best)):
            at = metrics.rates_at(threshold, held.genuine, held.impostor)
            row |= {f"{name}_threshold": threshold, f"{name}_val_far": at.far, f"{name}_val_tar": at.tar,
                    f"{name}_val_accuracy": at.accuracy}
    return row


def registry_numbers(train: np.ndarray, train_labels: np.ndarray, val: np.ndarray, val_labels: np.ndarray,
                     *, recipe: str, network: str) -> dict:
    """The FAR policy of each comparison with its val record, and 1:K's leave-one-person-out stranger rate."""
    from facedemo.analysis.calibration import fit_far_policy, strangers_let_in, val_attempts, validated

    found = {}
    for comparison in ("pair", "mean", "nearest"):
        policy = fit_far_policy(train, train_labels, comparison)
        record = validated(policy, val_attempts(val, val_labels, train, train_labels, comparison))
        entry = {"threshold": policy.threshold, "record": record}
        if comparison != "pair":  # every photo of the left-out person, train and val, at the door
            entry["strangers"] = strangers_let_in(train, train_labels, np.vstack([train, val]),
                                                  np.concatenate([train_labels, val_labels]),
                                                  comparison=comparison, recipe=recipe, network=network)
        found[comparison] = entry
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default="facenet,casia")
    parser.add_argument("--registry", action="store_true", help="also fit the registry's numbers")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()

    from facedemo import assets
    from facedemo.encoding.networks import get_network

    assets.set_up(progress=assets.quiet)
    rgbs, faces, labels, splits = gallery_faces()
    train, val = splits == "train", splits == "val"
    print(f"{train.sum()} train and {val.sum()} val photos of {len(np.unique(labels))} people")
    results = []
    for name in args.networks.split(","):
        network = get_network(name)
        embedder = network.load()
        for title, recipe in variants().items():
            started = time.perf_counter()
            scaling = network.scaling_for(recipe.name)
            crops = np.stack([recipe.crop(rgb, face) for rgb, face in zip(rgbs, faces)])
            plain = embedder.embed(np.stack([scaling(crop) for crop in crops]))
            mirrored = embedder.embed(np.stack([scaling(crop[:, ::-1]) for crop in crops]))
            both = plain + mirrored
            both /= np.linalg.norm(both, axis=1, keepdims=True)
            for flip, vectors in (("", plain), (" + mirror", both)):
                row = measure(vectors[train], labels[train], vectors[val], labels[val],
                              policy=title in ("aligned", "box") and not flip)
                row |= {"network": name, "variant": title + flip}
                results.append(row)
                print(_line(row), flush=True)
                if args.registry and title in ("aligned", "box") and not flip:
                    numbers = registry_numbers(vectors[train], labels[train], vectors[val], labels[val],
                                               recipe=recipe.name, network=name)
                    for comparison, entry in numbers.items():
                        print(f"    {comparison:<8} {entry['threshold']:.2f}  {entry['record']}"
                              + (f"  strangers let in (1:K, leave one person out): {entry['strangers'][0]}/{entry['strangers'][1]}"
                                 if "strangers" in entry else ""), flush=True)
            print(f"    ({time.perf_counter() - started:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))


def _line(row: dict) -> str:
    text = (f"{row['network']:<8} {row['variant']:<36} AUC {row['auc']:.4f}  EER {row['eer']:6.2%}  "
            f"VAL@FAR1e-3 {row['val_tar_at_it']:6.1%} (val FAR {row['val_far_at_it']:.2%}, t {row['train_far_1e-3_threshold']:.3f})")
    if "default_threshold" in row:
        text += (f"\n{'':<46}default {row['default_threshold']:.2f}: val FAR {row['default_val_far']:.2%} TAR "
                 f"{row['default_val_tar']:.1%} acc {row['default_val_accuracy']:.2%} | best accuracy "
                 f"{row['best_accuracy_threshold']:.2f}: val FAR {row['best_accuracy_val_far']:.2%} TAR "
                 f"{row['best_accuracy_val_tar']:.1%} acc {row['best_accuracy_val_accuracy']:.2%}")
    return text


if __name__ == "__main__":
    main()
