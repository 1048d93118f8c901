"""What a threshold is worth: the false-accept rate it gives, and a stranger's chances among K people.

The registry (:mod:`facedemo.encoding.networks`) keeps, with each default threshold, the
:class:`ImpostorTail` it was set from (fitted by :func:`facedemo.analysis.calibration.fit_far_policy`
on the gallery's train photos) and what it measured on val (:class:`Calibrated`). From the tail,
1:K recognition finds the threshold that keeps a stranger's chances under a target for the
database's size (:func:`stranger_far`), and the pages say how often a stranger would get in.

The rule everywhere: same person when ``distance < threshold``; a lower threshold lets fewer
impostors in (lower FAR) and turns more of the right people away (lower TAR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()

FAR_TARGET = 1e-3
"""The default thresholds' false-accept target: 10⁻³ of impostor attempts on train (FaceNet's paper reports VAL there)."""
STRANGER_TARGET = 0.01
"""1:K: a stranger's chance of being taken for *someone* among K enrolled people stays under this."""


def normal_quantile(p: float) -> float:
    """Φ⁻¹(p), the standard normal quantile."""
    return _NORMAL.inv_cdf(p)


@dataclass(frozen=True)
class ImpostorTail:
    """The near end of the impostor distances as a Gaussian tail, shifted by a safety margin.

    ``FAR(t) = Φ((t + margin − mean) / sd)``: the share of impostor attempts closer than ``t``.
    Only the closest few per cent of the impostor distances are fitted
    (:func:`facedemo.analysis.calibration.fit_tail`): that is where every useful threshold sits,
    and there a few thousand pairs of five people are too few to read 10⁻⁴ off directly.
    ``margin`` moves every threshold down (stricter) by the uncertainty of the fit.
    """

    mean: float
    sd: float
    margin: float = 0.0

    def far(self, threshold: float) -> float:
        """The estimated share of impostor attempts with ``distance < threshold``."""
        return _NORMAL.cdf((float(threshold) + self.margin - self.mean) / self.sd)

    def threshold_for(self, far: float) -> float:
        """The threshold whose estimated FAR is ``far``: ``mean + sd·Φ⁻¹(far) − margin``."""
        if not 0.0 < far < 1.0:
            raise ValueError(f"far must be strictly between 0 and 1, got {far!r}")
        return self.mean + self.sd * _NORMAL.inv_cdf(far) - self.margin


def stranger_far(k: int, target: float = STRANGER_TARGET) -> float:
    """The FAR per person that keeps ``1 − (1 − FAR)ᴷ`` — a stranger's chance to match one of ``k`` — at ``target``.

    ``k`` below 1 counts as 1.
    """
    return 1.0 - (1.0 - target) ** (1.0 / max(int(k), 1))


def stranger_rate(far: float, k: int) -> float:
    """A stranger's chance of being taken for someone among ``k`` people, each checked at ``far``: ``1 − (1 − far)ᴷ``."""
    return 1.0 - (1.0 - float(far)) ** max(int(k), 0)


def floor_to(value: float, step: float = 0.01) -> float:
    """``value`` rounded *down* to ``step``: a shown threshold is never laxer than the one computed."""
    return round(math.floor(value / step + 1e-9) * step, 10)


def one_of_k_threshold(default: float, tail: ImpostorTail | None, k: int, target: float = STRANGER_TARGET) -> float:
    """1:K's threshold: the lower of the 1:1 ``default`` and the tail's threshold for :func:`stranger_far` of ``k``.

    Rounded down to 0.01. Without a tail (a threshold not set from one, such as the course
    notebook's 0.7) or with one person, ``default`` as it is.
    """
    if tail is None or k <= 1:
        return default
    return min(default, floor_to(tail.threshold_for(stranger_far(k, target))))


@dataclass(frozen=True)
class Calibrated:
    """How a default threshold was set and what it gives (see :mod:`facedemo.encoding.networks`).

    ``tail`` made it (:data:`FAR_TARGET` on train; None for a threshold set otherwise, such as
    the course notebook's 0.7, which then has no 1:K adjustment); ``train_far`` is measured on the very train
    attempts it was fitted on; ``val_far`` and ``val_tar`` on the gallery's val photos against
    the train photos (pairs) or the train people (mean, nearest), with the attempts counted
    (``val_impostors``, ``val_genuine``); ``best_accuracy`` is the threshold that would decide
    the most train attempts right — the old way, kept as a teaching point.
    """

    tail: ImpostorTail | None
    train_far: float
    val_far: float
    val_tar: float
    val_impostors: int
    val_genuine: int
    best_accuracy: float

    def summary(self) -> str:
        """One line: ``FAR 0.05 % · TAR 91.2 % on val (1,860 impostor, 839 genuine attempts)``."""
        return (f"FAR {self.val_far:.2%} · TAR {self.val_tar:.1%} on the gallery's val photos "
                f"({self.val_impostors:,} impostor and {self.val_genuine:,} genuine attempts)")
