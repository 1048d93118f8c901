"""A fresh process's way to its first verification result; run by ``benchmarks/run.py``.

``python benchmarks/coldstart.py A.jpg B.jpg`` prints one JSON line as soon as the distance of the
two photos is known: where the seconds went (each step from this script's first line) and the
process's peak resident memory. The parent measures the wall time from launching the process to
that line, which also counts the interpreter's own start.

Nothing is imported ahead of the real path: TensorFlow is not on it (LiteRT runs FaceNet and
MTCNN), and ``heavy_modules`` in the output lists any of TensorFlow, Keras or mtcnn that got in.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    steps: dict[str, float] = {}
    mark = START

    def step(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps[name] = now - mark
        mark = now

    from facedemo.encoding.encoder import FaceEncoder
    from facedemo.encoding.networks import default_threshold
    from facedemo.people.matching import compare

    step("import_facedemo_s")
    encoder = FaceEncoder.load()
    step("load_model_s")
    first = encoder.encode(sys.argv[1])
    step("first_photo_s")
    second = encoder.encode(sys.argv[2])
    verdict = compare(first.vector, second.vector, default_threshold("aligned", "pair"))
    step("second_photo_s")
    result = {
        "distance": verdict.distance,
        "same_person": verdict.same,
        "steps": steps,
        "total_in_process_s": time.perf_counter() - START,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "heavy_modules": sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras", "mtcnn"}),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
