"""How fast is the demo? One command, every figure from the same run.

    .venv/bin/python benchmarks/run.py            # full run (a few minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # smoke mode for CI: one repeat of everything

Prints a table and writes ``benchmarks/results/latest.json`` (or ``--json PATH``). Timings are
medians over repeats after a warm-up, except the cold start (a fresh process, median of its
repeats) and the app rerun. Nothing here asserts a time: the targets are printed beside the figures.

Figures
-------
cold start        a fresh ``python benchmarks/coldstart.py A B`` until it prints the distance
model load        ``FaceEncoder.load()`` in that fresh process
detect            MTCNN on one gallery photo (decoded beforehand)
embed             FaceNet on one 160×160 crop (batch of 1)
faces/s           FaceNet on batches of 32 crops
verify            two photo files → two encodings → distance and decision
app rerun         AppTest: threshold explorer / distance matrix rerun when only the threshold moves
                  (on the full gallery; the network must not run during that rerun)
1:K search        nearest of K enrolled random unit vectors (vectorised numpy), per query
peak memory       peak resident set of the cold-start process (verify only) and of this process
physical limit    FaceNet's FLOPs per face (from the layer shapes) × faces/s vs numpy float32 matmul
accuracy          gallery AUC and rank-1 of the timed pipeline (re-encoded, no cache, in the full run)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = ROOT / "benchmarks" / "results" / "latest.json"

# (figure, unit, target, "max" when lower is better / "min" when higher is better)
TARGETS: dict[str, tuple[str, float | None, str]] = {
    "cold_start_first_verify_s": ("s", 6.0, "max"),
    "model_load_s": ("s", None, "max"),
    "detect_one_photo_s": ("s", 0.05, "max"),
    "embed_one_face_s": ("s", 0.07, "max"),
    "faces_per_s_batch32": ("faces/s", 40.0, "min"),
    "verify_two_photos_s": ("s", 0.25, "max"),
    "app_threshold_rerun_s": ("s", 0.1, "max"),
    "app_matrix_rerun_s": ("s", 0.1, "max"),
    "app_rerun_network_calls": ("calls", 0, "max"),
    "search_1k_ms": ("ms", None, "max"),
    "search_10k_ms": ("ms", None, "max"),
    "search_100k_ms": ("ms", 20.0, "max"),
    "peak_rss_verify_mb": ("MB", 600.0, "max"),
    "peak_rss_benchmark_mb": ("MB", None, "max"),
    "gflop_per_face": ("GFLOP", None, "max"),
    "achieved_gflop_per_s": ("GFLOP/s", None, "min"),
    "matmul_gflop_per_s": ("GFLOP/s", None, "min"),
    "achieved_over_matmul": ("ratio", 0.6, "min"),
    "gallery_auc": ("", 0.995, "min"),
    "gallery_rank1": ("", 1.0, "min"),
}


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gallery_photos() -> list[Path]:
    from facedemo import assets

    return sorted(assets.gallery_dir().glob("*/*/*.jpg"))


# ------------------------------------------------------------------------------------ cold start


def cold_start(photo_a: Path, photo_b: Path, repeats: int) -> dict:
    """Fresh processes to their first verification result; medians of the wall time and steps."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "coldstart.py"), str(photo_a), str(photo_b)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
        )
        line = process.stdout.readline()
        wall = time.perf_counter() - start
        process.wait()
        if process.returncode != 0 or not line:
            raise RuntimeError("the cold-start process failed; run benchmarks/coldstart.py A.jpg B.jpg to see why")
        result = json.loads(line)
        result["wall_s"] = wall
        runs.append(result)
    steps = {key: statistics.median(run["steps"][key] for run in runs) for key in runs[0]["steps"]}
    return {
        "cold_start_first_verify_s": statistics.median(run["wall_s"] for run in runs),
        "model_load_s": steps["load_model_s"],
        "peak_rss_verify_mb": statistics.median(run["peak_rss_mb"] for run in runs),
        "cold_start_steps": steps,
    }


# ------------------------------------------------------------------------------------ the model


def count_flops(model) -> float:
    """Multiply-adds × 2 of FaceNet's convolutions and dense layers, per face.

    Conv2D: ``2 · kh · kw · cin · cout · Hout · Wout``; Dense: ``2 · in · out``. Batch norm,
    activations, pooling and the residual sums are left out (well under 1 % of the total).
    """
    import keras

    flops = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw = layer.kernel_size
            cin = layer.input.shape[-1]
            _, hout, wout, cout = layer.output.shape
            flops += 2 * kh * kw * cin * cout * hout * wout
        elif isinstance(layer, keras.layers.Dense):
            flops += 2 * layer.input.shape[-1] * layer.units
    return float(flops)


def matmul_gflops(repeats: int, size: int = 2048) -> float:
    """The machine's float32 matrix-multiply speed: numpy (OpenBLAS) on ``size``² matrices."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    seconds = median_time(lambda: a @ b, repeats)
    return 2 * size**3 / seconds / 1e9


def search_ms(k: int, repeats: int) -> float:
    """Milliseconds per 1:K query: nearest of ``k`` random unit vectors, ``argmax(V @ q)``.

    For unit vectors ``|v - q|² = 2 - 2 v·q``, so the nearest is the largest dot product.
    """
    import numpy as np

    rng = np.random.default_rng(k)
    vectors = rng.standard_normal((k, 128), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = rng.standard_normal((repeats + 1, 128), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    found = []

    def query(i: int) -> None:
        scores = vectors @ queries[i]
        best = int(np.argmax(scores))
        found.append((best, float(np.sqrt(max(2.0 - 2.0 * scores[best], 0.0)))))

    query(repeats)  # warm-up
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        query(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# ------------------------------------------------------------------------------------ the app


def app_reruns(repeats: int) -> dict:
    """Rerun time of the threshold explorer and the distance matrix when only the threshold moves.

    The explorer redraws its threshold views only (``ui.threshold_view``), the matrix its whole
    page. AppTest keeps only what a view redrew, so the page is drawn whole again (untimed) before
    the next move. Counts calls of the network (``Embedder.raw``) during the reruns: it must stay 0.
    """
    from streamlit.testing.v1 import AppTest

    from facedemo.encoding.runtime import Embedder

    calls = {"n": 0}
    original = Embedder.raw

    def counting(self, crops):
        calls["n"] += 1
        return original(self, crops)

    Embedder.raw = counting
    try:
        result = {}
        for page, key, setup in (
            ("app_pages/threshold.py", "app_threshold_rerun_s", None),
            ("app_pages/matrix.py", "app_matrix_rerun_s", "matrix"),
        ):
            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
            at.run()
            at.switch_page(page).run()
            if setup == "matrix":  # the most photos the page allows, from the whole gallery
                select = at.multiselect(key="matrix_photos")
                select.set_value(list(select.options)[: getattr(select, "max_selections", None) or 16]).run()
            if at.exception:
                raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
            calls["n"] = 0
            times = []
            for i in range(repeats + 1):
                if not any(slider.key == "threshold" for slider in at.slider):
                    at.run()
                at.slider(key="threshold").set_value(round(0.9 + 0.01 * (i % 20), 2))
                start = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - start)
                if at.exception:
                    raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
            result[key] = statistics.median(times[1:])  # the first rerun is the warm-up
            result.setdefault("app_rerun_network_calls", 0)
            result["app_rerun_network_calls"] += calls["n"]
        return result
    finally:
        Embedder.raw = original


# ------------------------------------------------------------------------------------ run


def run(quick: bool) -> dict:
    import numpy as np

    repeats = 3 if quick else 20
    photos = gallery_photos()
    photo_a, photo_b = photos[0], photos[1]
    load_before = os.getloadavg()
    figures: dict[str, float] = {}
    extra: dict[str, object] = {}

    print("cold start (fresh processes) ...", file=sys.stderr, flush=True)
    cold = cold_start(photo_a, photo_b, 1 if quick else 3)
    extra["cold_start_steps"] = cold.pop("cold_start_steps")
    figures.update(cold)

    print("model and detector ...", file=sys.stderr, flush=True)
    from facedemo.encoding.encoder import FaceEncoder
    from facedemo.encoding.networks import default_threshold, get_network
    from facedemo.encoding.recipes import get_recipe
    from facedemo.io.images import read_image
    from facedemo.people.matching import compare

    encoder = FaceEncoder.load()
    embedder = encoder.embedder
    rgbs = [read_image(p) for p in photos[:32]]
    faces = [encoder.detector.detect(rgb)[0] for rgb in rgbs]
    recipe, scaling = get_recipe("aligned"), get_network(encoder.network).scaling_for("aligned")
    crops = np.stack([scaling(recipe.crop(rgb, face)) for rgb, face in zip(rgbs, faces)])
    figures["detect_one_photo_s"] = median_time(lambda: encoder.detector.detect(rgbs[0]), repeats, warmup=2)
    figures["embed_one_face_s"] = median_time(lambda: embedder.embed(crops[:1]), repeats, warmup=2)
    batch_s = median_time(lambda: embedder.embed(crops), 1 if quick else 5)
    figures["faces_per_s_batch32"] = 32 / batch_s
    threshold = default_threshold("aligned", "pair")

    def verify() -> bool:
        first, second = encoder.encode(photo_a), encoder.encode(photo_b)
        return compare(first.vector, second.vector, threshold).same

    figures["verify_two_photos_s"] = median_time(verify, repeats, warmup=1)

    print("physical limit ...", file=sys.stderr, flush=True)
    flops = count_flops(embedder.model)
    figures["gflop_per_face"] = flops / 1e9
    figures["achieved_gflop_per_s"] = flops * figures["faces_per_s_batch32"] / 1e9
    figures["matmul_gflop_per_s"] = matmul_gflops(2 if quick else 5)
    figures["achieved_over_matmul"] = figures["achieved_gflop_per_s"] / figures["matmul_gflop_per_s"]

    print("1:K search ...", file=sys.stderr, flush=True)
    for k, name in ((1_000, "search_1k_ms"), (10_000, "search_10k_ms"), (100_000, "search_100k_ms")):
        if quick and k > 1_000:
            figures[name] = None  # smoke mode: K = 1,000 only
            continue
        figures[name] = search_ms(k, 20 if quick else 100)

    print("gallery accuracy ...", file=sys.stderr, flush=True)
    from facedemo import assets
    from facedemo.analysis import metrics
    from facedemo.gallery.labelled import encode_folder

    start = time.perf_counter()
    parts = [encode_folder(assets.gallery_dir() / split, encoder, "aligned", use_cache=quick) for split in ("train", "val")]
    gallery_s = time.perf_counter() - start
    vectors = np.concatenate([p.vectors for p in parts])
    labels = sum((p.labels for p in parts), [])
    evaluation = metrics.evaluate(vectors, labels)
    figures["gallery_auc"] = float(evaluation.auc)
    figures["gallery_rank1"] = float(evaluation.rank1)
    extra["gallery_photos"] = len(labels)
    extra["gallery_encode_s"] = gallery_s if not quick else None

    print("app reruns (AppTest) ...", file=sys.stderr, flush=True)
    figures.update(app_reruns(2 if quick else 10))

    figures["peak_rss_benchmark_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "mode": "quick" if quick else "full",
        "machine": machine(),
        "load_average_before": list(load_before),
        "load_average_after": list(os.getloadavg()),
        "figures": figures,
        "targets": {name: {"unit": unit, "target": target, "direction": way} for name, (unit, target, way) in TARGETS.items()},
        "details": extra,
    }


def machine() -> dict:
    import numpy as np
    import tensorflow as tf

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "gpu": bool(tf.config.list_physical_devices("GPU")),
        "python": platform.python_version(), "tensorflow": tf.__version__, "numpy": np.__version__,
    }


def met(name: str, value: float | None) -> str:
    unit, target, way = TARGETS[name]
    if target is None or value is None:
        return ""
    ok = value <= target if way == "max" else value >= target
    return "yes" if ok else "NO"


def table(result: dict) -> str:
    rows = [("figure", "value", "target", "met")]
    for name, value in result["figures"].items():
        unit, target, way = TARGETS[name]
        shown = "skipped" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))
        goal = "" if target is None else f"{'≤' if way == 'max' else '≥'} {target:g}"
        rows.append((name, f"{shown} {unit}".strip(), goal, met(name, value)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    m = result["machine"]
    lines.append("")
    lines.append(f"{m['cpu']}, {m['cores']} cores, GPU: {m['gpu']}, TensorFlow {m['tensorflow']}; "
                 f"load average (1, 5, 15 min) before {', '.join(f'{x:.2f}' for x in result['load_average_before'])}, "
                 f"after {', '.join(f'{x:.2f}' for x in result['load_average_after'])}")
    steps = result["details"].get("cold_start_steps", {})
    if steps:
        lines.append("cold start: " + ", ".join(f"{k.removesuffix('_s')} {v:.2f} s" for k, v in steps.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: few repeats, K = 1,000 only, cached gallery")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"where to write the results (default {RESULTS})")
    args = parser.parse_args(argv)
    result = run(args.quick)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
