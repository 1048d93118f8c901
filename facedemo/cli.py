"""``python -m facedemo``: the core's calls from a terminal, as text or ``--json``.

Errors go to stderr as one plain line with exit code 1 (2 for a wrong command line); never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from facedemo.encoding.networks import COMPARISONS, DEFAULT_COMPARISON, DEFAULT_NETWORK, NETWORKS, default_threshold
from facedemo.encoding.recipes import DEFAULT_RECIPE, RECIPES
from facedemo.errors import FacedemoError


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _encoder(network: str | None = DEFAULT_NETWORK):
    from facedemo.encoding.encoder import FaceEncoder

    return FaceEncoder.load(lazy=True, network=network or DEFAULT_NETWORK)


def _database(args: argparse.Namespace):
    """The database of ``--db``, refused when ``--model`` names another network than it was made with."""
    from facedemo.people.database import FaceDatabase

    database = FaceDatabase.load(args.db)
    if getattr(args, "model", None) and args.model != database.network:
        raise FacedemoError(
            f"the database '{args.db}' was made with the model '{database.network}', not '{args.model}'"
        )
    return database


def _emit(args: argparse.Namespace, data: dict, lines: Sequence[str]) -> None:
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print("\n".join(lines))


def _round(value: float, digits: int = 4) -> float | None:
    return None if value != value else round(float(value), digits)  # NaN → None for JSON


# --- commands ------------------------------------------------------------------------------
def cmd_setup(args: argparse.Namespace) -> int:
    """Set up; with ``--progress-lines`` report as a child process does (:mod:`facedemo.assets.child_setup`)."""
    from facedemo import assets
    from facedemo.assets.child_setup import report_error, report_line

    if not args.progress_lines:
        return _set_up(args, assets.say)
    try:
        return _set_up(args, report_line)
    except Exception as error:
        report_error(error)
        raise


def _set_up(args: argparse.Namespace, progress: Callable[[str], None]) -> int:
    """The gallery, the detector and the models (``--model``: that one, which must then set up)."""
    from facedemo import assets

    for flag, (variable, _) in _offline_flags().items():
        given = getattr(args, flag.replace("-", "_"), None)
        if given:
            os.environ[variable] = str(Path(given).resolve())
    paths = assets.set_up(progress)
    networks = []
    for network in [NETWORKS[args.model]] if args.model else NETWORKS.values():
        try:
            paths[network.name] = network.set_up(progress)
            networks.append(network.name)
        except FacedemoError as error:
            if not network.optional or args.model:
                raise
            # an optional network is its own download: without it everything else still works
            print(f"warning: the model '{network.name}' (--model {network.name}) is not available: {error}",
                  file=sys.stderr)
    if args.precompute:
        from facedemo.gallery.labelled import encode_folder

        for network in networks:
            encoder = _encoder(network)
            for recipe in RECIPES:
                for split in ("train", "val"):
                    folder = paths["gallery"] / split
                    if folder.is_dir():
                        progress(f"encoding the gallery's {split} photos ({network}, {recipe}) ...")
                        encode_folder(folder, encoder, recipe)
    _emit(args, {k: str(v) for k, v in paths.items()},
          [f"{k}: {v}" for k, v in paths.items()] + [f"ready: the gallery and the models {', '.join(networks)}"])
    return 0


def _offline_flags() -> dict[str, tuple[str, str]]:
    """``setup``'s offline flags: the course package's, then each network's (flag → variable, help)."""
    from facedemo.assets.course_package import OFFLINE

    flags = dict(OFFLINE)
    for network in NETWORKS.values():
        flags.update(network.offline)
    return flags


def cmd_encode(args: argparse.Namespace) -> int:
    encoder = _encoder(args.model)
    encodings, failures = encoder.encode_many(args.images, args.recipe)
    data = {
        "recipe": args.recipe,
        "model": encoder.network,
        "encodings": [
            {"image": e.source, "sha256": e.sha256, "face": _face_dict(e.prepared.face),
             "note": e.prepared.note, "encoding": [round(float(v), 6) for v in e.vector]}
            for e in encodings
        ],
        "failed": [{"image": f.source, "reason": f.reason} for f in failures],
    }
    lines = []
    for e in encodings:
        face = f"face at {e.prepared.face.box}" if e.prepared.face else "whole photo"
        head = ", ".join(f"{v:+.3f}" for v in e.vector[:4])
        lines.append(f"{e.source}: {e.vector.size}-d, {face}, [{head}, ...]" + (f" ({e.prepared.note})" if e.prepared.note else ""))
    for failure in failures:
        print(f"error: {failure.reason}", file=sys.stderr)
    if encodings or args.json:
        _emit(args, data, lines)
    return 0 if encodings and not failures else 1


def _face_dict(face) -> dict | None:
    return None if face is None else {"box": list(face.box), "confidence": round(face.confidence, 4)}


def cmd_verify(args: argparse.Namespace) -> int:
    if args.name:
        return _verify_claim(args)
    if len(args.images) != 2:
        raise FacedemoError("verify takes two photos (IMG_A IMG_B), or one photo with --as NAME --db DB")
    from facedemo.people.matching import compare

    encoder = _encoder(args.model)
    first, second = (encoder.encode(image, args.recipe) for image in args.images)
    threshold = args.threshold if args.threshold is not None else default_threshold(args.recipe, "pair", encoder.network)
    result = compare(first.vector, second.vector, threshold)
    distance, same = result.distance, result.same
    verdict = "match: the same person" if same else "no match: different people"
    notes = [n for n in (first.prepared.note, second.prepared.note) if n]
    _emit(args, {"distance": _round(distance), "threshold": threshold, "match": same, "recipe": args.recipe,
                 "model": encoder.network, "notes": notes},
          [f"distance {distance:.4f} {'<' if same else '>='} threshold {threshold:.2f} → {verdict}", *notes])
    return 0


def _verify_claim(args: argparse.Namespace) -> int:
    from facedemo.people.notebook import verify

    if len(args.images) != 1 or not args.db:
        raise FacedemoError("verify --as NAME takes one photo and --db DB")
    database = _database(args)
    database.vectors(args.name)  # an unknown name is refused now, before the model loads
    threshold = args.threshold if args.threshold is not None else database.threshold(args.comparison)
    printed: list[str] = []
    dist, door_open = _capture(printed, lambda: verify(
        args.images[0], args.name, database, _encoder(database.network), threshold=threshold, comparison=args.comparison))
    _emit(args, {"identity": args.name, "distance": _round(dist), "door_open": door_open, "message": printed[0]},
          [printed[0], f"distance {dist:.4f} (threshold {threshold:.2f})"])
    return 0


def cmd_who(args: argparse.Namespace) -> int:
    """Every face of the photo, largest first, named 1:K (:mod:`facedemo.people.group`)."""
    from facedemo.encoding.every_face import encode_every_face
    from facedemo.people.group import name_every_face

    database = _database(args)
    if not len(database):
        raise FacedemoError(f"the database '{args.db}' is empty; enrol people first ('enrol DIR --db DB')")
    threshold = args.threshold if args.threshold is not None else database.identify_threshold(args.comparison)
    chance = database.stranger_chance(threshold, args.comparison)
    photo = encode_every_face(_encoder(database.network), args.image, database.recipe)
    named = name_every_face(photo.faces, database, threshold=threshold, comparison=args.comparison)
    faces = [{"box": list(n.face.box) if n.face.box else None, "identity": n.identity, "nearest": n.nearest,
              "distance": None if n.distance is None else _round(n.distance), "too_small": n.too_small,
              "message": n.message} for n in named]
    where = [f"face {i} of {len(named)} at {n.face.box}" if n.face.box else "the whole photo" for i, n in enumerate(named, 1)]
    odds = "" if chance is None else f"; about {chance:.1%} of strangers would be taken for someone"
    _emit(args, {"faces": faces, "threshold": threshold, "k": len(database), "stranger_chance": _round(chance) if chance is not None else None,
                 "threshold_from": "--threshold" if args.threshold is not None else "the database's size",
                 "comparison": args.comparison, "recipe": database.recipe},
          [f"{n.message} ({place})" for n, place in zip(named, where)]
          + [f"threshold {threshold:.2f} ({args.comparison}) against K = {len(database)} people{odds}"])
    return 0


def _capture(lines: list[str], action: Callable):
    """Run a notebook-style function and keep what it prints (so --json stays clean JSON)."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = action()
    lines.extend(buffer.getvalue().splitlines())
    return result


def cmd_enrol(args: argparse.Namespace) -> int:
    from facedemo.people.database import FaceDatabase

    if Path(args.db).exists():
        database = _database(args)
    else:
        database = FaceDatabase(args.recipe, network=args.model or DEFAULT_NETWORK)
    known = set(database.names)
    report = database.enrol_folder(args.folder, _encoder(database.network),
                                   on_progress=lambda d, t: print(f"\rencoded {d}/{t} photos", end="", file=sys.stderr))
    print(file=sys.stderr)
    database.save(args.db)
    lines = [f"{name}: {count} photo(s) enrolled"
             + (f" ({name} was already in the database; {len(database.people.get(name, []))} photos now)" if name in known else "")
             for name, count in report.added.items()]
    for source, reason in report.skipped:
        print(f"error: skipped {source}: {reason}", file=sys.stderr)
    lines.append(f"saved {len(database)} people to {args.db}")
    _emit(args, {"added": report.added, "skipped": [{"image": s, "reason": r} for s, r in report.skipped],
                 "people": database.names, "db": str(args.db)}, lines)
    return 1 if report.skipped else 0


def cmd_matrix(args: argparse.Namespace) -> int:
    from facedemo.people.matching import distance_matrix

    encodings, failures = _encoder(args.model).encode_many(args.images, args.recipe)
    for failure in failures:
        print(f"skipped {failure.source}: {failure.reason}", file=sys.stderr)
    if not encodings:
        raise FacedemoError("no photo could be encoded")
    matrix = distance_matrix([e.vector for e in encodings])
    names = [Path(e.source).name for e in encodings]
    width = max(len(n) for n in names)
    lines = [" " * width + " " + " ".join(f"{i:>6d}" for i in range(len(names)))]
    lines += [f"{name:<{width}} " + " ".join(f"{v:6.3f}" for v in row) for name, row in zip(names, matrix)]
    _emit(args, {"images": [e.source for e in encodings], "distances": [[_round(v) for v in row] for row in matrix]}, lines)
    return 0 if not failures else 1


def cmd_evaluate(args: argparse.Namespace) -> int:
    from facedemo.analysis import metrics
    from facedemo.gallery.labelled import encode_folder

    result = encode_folder(args.folder, _encoder(args.model), args.recipe, use_cache=not args.no_cache,
                           on_progress=lambda d, t: print(f"\rencoded {d}/{t} photos", end="", file=sys.stderr))
    print(file=sys.stderr)
    if len(result) < 2:
        raise FacedemoError(f"'{args.folder}' needs at least two usable photos to evaluate")
    evaluation = metrics.evaluate(result.vectors, result.labels)
    naive_auc = _naive_auc(args.folder) if args.naive else None
    data = {"folder": str(args.folder), "recipe": args.recipe, "model": result.network, "naive_pixel_auc": _round(naive_auc) if args.naive else None,
            **{k: (_round(v) if isinstance(v, float) else v) for k, v in evaluation.as_dict().items()},
            "skipped": [{"image": f.source, "reason": f.reason} for f in result.failures]}
    rows = [
        ("photos / people", f"{evaluation.n_images} / {evaluation.n_people}"),
        ("genuine / impostor pairs", f"{evaluation.n_genuine_pairs} / {evaluation.n_impostor_pairs}"),
        ("ROC AUC", f"{evaluation.auc:.4f}"),
        ("EER", f"{evaluation.eer:.2%} at threshold {evaluation.eer_threshold:.3f}"),
        ("TAR at FAR 1% / 0.1%", f"{evaluation.tar_at_far_1e2:.2%} / {evaluation.tar_at_far_1e3:.2%}"),
        ("best accuracy", f"{evaluation.best_accuracy:.2%} at threshold {evaluation.best_threshold:.3f}"),
        ("rank-1 (leave-one-out)", f"{evaluation.rank1:.2%}"),
        ("skipped (no usable face)", str(len(result.failures))),
    ]
    if args.naive:
        rows.append(("naive pixel-distance AUC", f"{naive_auc:.4f}"))
    lines = [f"model {result.network}, recipe {args.recipe} on {args.folder}"] + [f"  {k:<26} {v}" for k, v in rows]
    lines += [f"  skipped {f.source}: {f.reason}" for f in result.failures]
    _emit(args, data, lines)
    return 0


def _evaluate_folder_or_pairs(args: argparse.Namespace) -> int:
    """``evaluate FOLDER`` (every pair of a labelled folder) or ``evaluate --pairs FILE``."""
    if args.pairs and args.folder:
        raise FacedemoError("evaluate takes a labelled FOLDER or --pairs FILE, not both")
    if args.pairs:
        return cmd_evaluate_pairs(args)
    if args.root:
        raise FacedemoError("--root goes with --pairs FILE (the folder the pairs file's photos are under)")
    if not args.folder:
        raise FacedemoError("evaluate takes a labelled FOLDER (e.g. images/val) or --pairs FILE")
    return cmd_evaluate(args)


def cmd_evaluate_pairs(args: argparse.Namespace) -> int:
    """Accuracy at the default pair threshold, false accepts/rejects, AUC, EER, VAL@1e-3 on a pairs file."""
    from facedemo.analysis import pairs as evaluation

    pairs = evaluation.read_pairs(args.pairs)
    root = Path(args.root) if args.root else Path(args.pairs).parent
    if not root.is_dir():
        raise FacedemoError(f"the root folder '{root}' does not exist (--root: the folder the photos are under)")
    encoder = _encoder(args.model)
    report = evaluation.evaluate_pairs(
        pairs, encoder, args.recipe, open_photo=evaluation.photos_under(root),
        on_progress=lambda d, t: print(f"\rencoded {d}/{t} photos", end="", file=sys.stderr))
    print(file=sys.stderr)
    _emit(args, {"pairs_file": str(args.pairs), "root": str(root), **report.as_dict()},
          [f"{args.pairs} (photos under {root})", *evaluation.report_lines(report)])
    return 0


def cmd_make_pairs(args: argparse.Namespace) -> int:
    """A pairs CSV from labelled folders: QUERY × REFERENCE, or every pair of QUERY alone."""
    from facedemo.analysis.pairs import make_pairs, pairs_csv

    pairs, root = make_pairs(args.query, args.reference, root=args.root, per_person=args.per_person)
    text = pairs_csv(pairs)
    same = sum(p.same for p in pairs)
    summary = (f"{len(pairs)} pairs ({same} same person, {len(pairs) - same} different people), "
               f"paths relative to {root}")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        how = f"python -m facedemo evaluate --pairs {args.output} --root {root}"
        _emit(args, {"output": str(args.output), "root": str(root), "pairs": len(pairs), "genuine_pairs": same,
                     "impostor_pairs": len(pairs) - same, "evaluate": how},
              [f"wrote {args.output}: {summary}", f"evaluate it with: {how}"])
    else:
        print(text, end="")
        print(f"{summary}; evaluate with --root {root}", file=sys.stderr)
    return 0


def _naive_auc(folder: str) -> float:
    from facedemo.analysis.naive import pixel_auc
    from facedemo.io.folders import labelled_photos
    from facedemo.io.images import read_image

    paths, labels = labelled_photos(folder)
    return pixel_auc([read_image(p) for p in paths], labels)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from facedemo.analysis.calibration import calibrate
    from facedemo.gallery.labelled import encode_folder

    result = encode_folder(args.folder, _encoder(args.model), args.recipe)
    found = calibrate(result.vectors, result.labels)
    lines = [f"{c.comparison:<8} threshold {c.threshold:.3f}  accuracy {c.accuracy:.2%}  "
             f"max genuine {c.max_genuine:.3f}  min impostor {c.min_impostor:.3f}" for c in found.values()]
    _emit(args, {k: vars(v) for k, v in found.items()}, lines)
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from facedemo.analysis.classifier import compare_with_threshold
    from facedemo.gallery.labelled import encode_folder

    folder = Path(args.folder)
    if not (folder / "train").is_dir() or not (folder / "val").is_dir():
        raise FacedemoError(f"'{folder}' needs a train/ and a val/ folder (one sub-folder per person in each)")
    encoder = _encoder(args.model)
    train, val = (encode_folder(folder / split, encoder, args.recipe) for split in ("train", "val"))
    result = compare_with_threshold(train, val, threshold=args.threshold)
    test = result.val_train
    rules = {"classifier": test.classifier, "distance_rule": test.threshold}
    data = {
        "model": encoder.network, "recipe": args.recipe, "pairs": test.pairs, "threshold": result.threshold,
        **{name: {"accuracy": _round(r.accuracy), "tar": _round(r.tar), "far": _round(r.far), "auc": _round(r.auc, 6)}
           for name, r in rules.items()},
        "bias": _round(result.bias), "largest_weights": [[k, _round(w)] for k, w in result.largest_weights(5)],
    }
    lines = [f"model {encoder.network}, recipe {args.recipe}: trained on the train pairs, tested on {test.pairs}"]
    lines += [f"  {label:<30} accuracy {r.accuracy:.2%}  TAR {r.tar:.2%}  FAR {r.far:.2%}  AUC {r.auc:.5f}"
              for label, r in (("logistic head (ŷ > 0.5)", test.classifier),
                               (f"distance < {result.threshold:.2f}", test.threshold))]
    lines.append("  " + result.meaning())
    _emit(args, data, lines)
    return 0


# --- parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m facedemo", description="FaceNet face verification and recognition, from the terminal.")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON for machines")
        sub.set_defaults(handler=handler)
        return sub

    def with_recipe(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--recipe", choices=list(RECIPES), default=DEFAULT_RECIPE,
                         help="; ".join(f"{name}: {recipe.title}" for name, recipe in RECIPES.items()))
        with_model(sub)

    def with_model(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--model", choices=list(NETWORKS), default=None,
                         help="; ".join(f"{name}: {network.title}" for name, network in NETWORKS.items())
                         + f" (default: {DEFAULT_NETWORK}; with --db: must be the database's model)")

    def with_match(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--threshold", type=float, help="same person when distance < threshold (default: calibrated)")
        sub.add_argument("--comparison", choices=[c for c in COMPARISONS if c != "pair"], default=DEFAULT_COMPARISON,
                         help="distance to a person's mean encoding (default) or to their nearest photo")

    sub = command("setup", cmd_setup, "fetch and check the model and the photo gallery (quick when present)")
    for flag, (variable, help_text) in _offline_flags().items():
        sub.add_argument(f"--{flag}", help=f"{help_text}; or set {variable}")
    sub.add_argument("--precompute", action="store_true", help="also encode the gallery now (the app starts faster)")
    sub.add_argument("--model", choices=list(NETWORKS), default=None,
                     help="set up only this model (besides the gallery and the face detector); it must then set up "
                          "(default: every model, an optional one with a warning when it cannot be had)")
    sub.add_argument("--progress-lines", action="store_true",
                     help="report each step, and an error, as a JSON line on stdout (how the app runs set-up "
                          "in a child process)")

    sub = command("encode", cmd_encode, "print the encoding of each photo (its size is the model's: 128 numbers for the default)")
    sub.add_argument("images", nargs="+")
    with_recipe(sub)

    sub = command("verify", cmd_verify, "1:1 — are two photos the same person? or is this photo NAME?")
    sub.add_argument("images", nargs="+", metavar="IMG")
    sub.add_argument("--as", dest="name", metavar="NAME", help="the claimed identity (with --db)")
    sub.add_argument("--db", help="face database file (from 'enrol')")
    with_recipe(sub)
    with_match(sub)

    sub = command("who", cmd_who, "1:K — who is in this photo? every face, largest first")
    sub.add_argument("image")
    sub.add_argument("--db", required=True, help="face database file (from 'enrol')")
    with_model(sub)
    with_match(sub)

    sub = command("enrol", cmd_enrol, "enrol a folder (one sub-folder per person) into a database file")
    sub.add_argument("folder")
    sub.add_argument("--db", required=True, help="database file to create or extend")
    with_recipe(sub)

    sub = command("matrix", cmd_matrix, "pairwise distances between photos")
    sub.add_argument("images", nargs="+")
    with_recipe(sub)

    sub = command("evaluate", cmd_evaluate, "AUC, EER, TAR@FAR, best threshold and rank-1 over every pair of a labelled folder")
    sub.add_argument("folder", nargs="?", help="a labelled folder (one sub-folder per person); or give --pairs")
    sub.add_argument("--no-cache", action="store_true", help="encode again even if cached")
    sub.add_argument("--naive", action="store_true", help="also the naive pixel-distance baseline's AUC")
    sub.add_argument("--pairs", metavar="FILE",
                     help="instead of FOLDER: a pairs file, CSV with the header file_x,file_y,same (yes/no, 1/0, "
                          "true/false) or LFW's pairs.txt; reports accuracy at the default pair threshold, false "
                          "accepts and rejects, AUC, EER, VAL@FAR 1e-3, the best threshold and the failed photos")
    sub.add_argument("--root", metavar="DIR", help="with --pairs: the folder the photos are under "
                                                   "(default: the pairs file's folder)")
    sub.set_defaults(handler=_evaluate_folder_or_pairs)
    with_recipe(sub)

    sub = command("make-pairs", cmd_make_pairs,
                  "a pairs CSV from labelled folders: every QUERY photo × every REFERENCE photo (same = same folder "
                  "name), or every pair of QUERY alone")
    sub.add_argument("query", help="a labelled folder, e.g. images/val")
    sub.add_argument("reference", nargs="?", help="a second labelled folder, e.g. images/train")
    sub.add_argument("-o", "--output", metavar="FILE", help="write the CSV here (default: print it)")
    sub.add_argument("--root", metavar="DIR", help="write paths relative to this folder (default: the folders' "
                                                   "common parent, e.g. images)")
    sub.add_argument("--per-person", type=int, metavar="K", help="only the first K photos of each person in QUERY")

    sub = command("classify", cmd_classify,
                  "train the logistic 'same person?' head on FOLDER/train pairs; compare it with the threshold on val")
    sub.add_argument("folder", help="a folder holding train/ and val/ (e.g. images)")
    sub.add_argument("--threshold", type=float, help="the distance threshold to compare with (default: calibrated)")
    with_recipe(sub)

    sub = command("calibrate", cmd_calibrate, "best-accuracy thresholds for pair / mean / nearest on a labelled folder")
    sub.add_argument("folder")
    with_recipe(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_tensorflow()
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except FacedemoError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - one plain line, never a traceback
        print(f"error: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        return 1
