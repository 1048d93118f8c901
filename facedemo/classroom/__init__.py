"""Class rooms: students join with a code and enrol a selfie; the projector analyses the class's own faces.

In memory only, bounded, never written to disk or logs (see :mod:`facedemo.classroom.rooms`).
No Streamlit here: ``ui/classroom.py`` keeps one :class:`ClassRegistry` per app process.
"""

from facedemo.classroom.calibration import ClassCalibration, calibrate_class
from facedemo.classroom.lookalike import LookAlike, look_alikes
from facedemo.classroom.rooms import (
    ALPHABET,
    CODE_LENGTH,
    IDLE_SECONDS,
    MAX_CLASSES,
    MAX_PEOPLE,
    MAX_PHOTOS,
    ClassPhoto,
    ClassPhotos,
    ClassRegistry,
    ClassRoom,
    Enrolment,
    Student,
    clean_code,
    new_code,
)

__all__ = [
    "ALPHABET", "CODE_LENGTH", "IDLE_SECONDS", "MAX_CLASSES", "MAX_PEOPLE", "MAX_PHOTOS",
    "ClassCalibration", "ClassPhoto", "ClassPhotos", "ClassRegistry", "ClassRoom", "Enrolment", "LookAlike", "Student",
    "calibrate_class", "clean_code", "look_alikes", "new_code",
]
