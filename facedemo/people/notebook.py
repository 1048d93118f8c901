"""The course notebook's functions, with the same names, arguments, results and messages.

``model`` is a :class:`~facedemo.encoding.encoder.FaceEncoder` (``facedemo.load_model()``).
``database`` is either the notebook's plain ``dict`` (name → encoding of shape ``(1, 128)``) or a
:class:`~facedemo.people.database.FaceDatabase`.

Used as in the notebook (a ``dict`` and no options) they follow the notebook exactly: the
``course`` recipe and the threshold 0.7. With a ``FaceDatabase`` they use its recipe and that
recipe's calibrated threshold, unless ``recipe=``/``threshold=`` say otherwise.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from facedemo.encoding.networks import DEFAULT_COMPARISON, DEFAULT_NETWORK, get_network
from facedemo.encoding.recipes import get_recipe
from facedemo.encoding.thresholds import one_of_k_threshold
from facedemo.errors import FacedemoError, UnknownPersonError
from facedemo.io.images import ImageSource
from facedemo.people.database import FaceDatabase
from facedemo.people.matching import l2_distance, same_person

Database = Union[dict, FaceDatabase]

__all__ = ["img_to_encoding", "verify", "who_is_it"]


def img_to_encoding(image_path: ImageSource, model, *, recipe: str = "course") -> np.ndarray:
    """Encode one photo: ``(1, 128)`` float32 of unit L2 norm, as the notebook returns it (``(1, 512)``
    with the CASIA network).

    The default ``course`` recipe is the notebook's own: the whole photo resized to 160×160 and
    divided by 255. ``recipe="aligned"`` crops the face first (much better; see the recipes).
    """
    return model.encode(image_path, recipe).vector[None, :]


def _recipe_of(database: Database, recipe: str | None) -> str:
    if recipe:
        return get_recipe(recipe).name
    return database.recipe if isinstance(database, FaceDatabase) else "course"


def _comparison_of(database: Database, comparison: str | None) -> str:
    """What the photo is compared with: a ``FaceDatabase`` person's ``mean`` (default) or ``nearest``
    photo; a ``dict`` holds one encoding per person, so one photo against one photo (``pair``)."""
    if comparison:
        return comparison
    return DEFAULT_COMPARISON if isinstance(database, FaceDatabase) else "pair"


def _threshold(recipe: str, comparison: str, model) -> float:
    """The calibrated threshold for ``recipe`` and ``comparison`` with the network of ``model``."""
    return get_network(getattr(model, "network", DEFAULT_NETWORK)).threshold(recipe, comparison)


def _one_of_k(database: Database, recipe: str, comparison: str, model) -> float:
    """1:K's threshold for ``database``'s K people (the course notebook's 0.7 stays 0.7: it has no tail)."""
    if isinstance(database, FaceDatabase) and database.recipe == recipe:
        return database.identify_threshold(comparison)
    network = get_network(getattr(model, "network", DEFAULT_NETWORK))
    record = network.calibrated(recipe, comparison)
    return one_of_k_threshold(network.threshold(recipe, comparison), record.tail if record else None, len(database))


def _distance(encoding: np.ndarray, identity: str, database: Database, comparison: str) -> float:
    """The distance from ``encoding`` to ``identity``: by ``comparison`` in a ``FaceDatabase``, to the one
    enrolled encoding in a ``dict``."""
    if isinstance(database, FaceDatabase):
        return database.distance(encoding, identity, comparison=comparison)
    if identity not in database:
        known = ", ".join(sorted(database)) or "nobody yet"
        raise UnknownPersonError(f"'{identity}' is not in the database (enrolled: {known})")
    enrolled = np.asarray(database[identity]).reshape(-1)
    if enrolled.size != encoding.size:
        raise FacedemoError(
            f"{identity}'s encoding has {enrolled.size} numbers but this photo's has {encoding.size}: they were "
            "made by different models and cannot be compared"
        )
    return l2_distance(enrolled, encoding)


def verify(image_path: ImageSource, identity: str, database: Database, model, *,
           recipe: str | None = None, threshold: float | None = None,
           comparison: str | None = None) -> tuple[float, bool]:
    """Is the person in ``image_path`` really ``identity``? (1:1 verification)

    Prints "It's NAME, welcome in!" when ``dist < threshold``, else "It's not NAME, please go away".
    The default threshold is the one calibrated for what is compared (see :func:`_comparison_of`).

    Returns
    -------
    dist : float, the L2 distance between the photo's encoding and ``identity``'s.
    door_open : bool, True when the door opens.
    """
    recipe, comparison = _recipe_of(database, recipe), _comparison_of(database, comparison)
    threshold = _threshold(recipe, comparison, model) if threshold is None else threshold
    encoding = img_to_encoding(image_path, model, recipe=recipe)
    dist = _distance(encoding, identity, database, comparison)
    door_open = same_person(dist, threshold)
    print(f"It's {identity}, welcome in!" if door_open else f"It's not {identity}, please go away")
    return dist, door_open


def who_is_it(image_path: ImageSource, database: Database, model, *,
              recipe: str | None = None, threshold: float | None = None,
              comparison: str | None = None) -> tuple[float, str | None]:
    """Who is the person in ``image_path``? (1:K recognition)

    Prints "it's NAME, the distance is D", or "Not in the database." when even the nearest
    person is not below the threshold (:func:`~facedemo.people.matching.same_person`: a distance
    equal to the threshold is no match, as in :meth:`FaceDatabase.identify`). Then ``identity``
    is still the nearest name, as in the notebook; an empty database gives ``(inf, None)``.
    """
    recipe, comparison = _recipe_of(database, recipe), _comparison_of(database, comparison)
    if threshold is None:  # a stranger gets one try per person (FaceDatabase.identify_threshold)
        threshold = _one_of_k(database, recipe, comparison, model)
    encoding = img_to_encoding(image_path, model, recipe=recipe)
    if isinstance(database, FaceDatabase):
        ranking = database.ranking(encoding, comparison=comparison)
        min_dist, identity = (ranking[0].distance, ranking[0].name) if ranking else (float("inf"), None)
    else:
        distances = {name: _distance(encoding, name, database, comparison) for name in sorted(database)}
        identity = min(distances, key=distances.get, default=None)
        min_dist = distances[identity] if identity is not None else float("inf")
    if not same_person(min_dist, threshold):
        print("Not in the database.")
    else:
        print(f"it's {identity}, the distance is {min_dist}")
    return min_dist, identity
