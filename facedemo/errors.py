"""The project's exceptions: each message is a sentence a student understands.

Every error facedemo raises on purpose derives from :class:`FacedemoError`, so the CLI and the app
can show ``str(error)`` to the user and never a traceback.
"""

from __future__ import annotations


class FacedemoError(Exception):
    """Base class: the message is meant for the person using the demo."""


class AssetError(FacedemoError):
    """The model or the photo gallery could not be fetched, checked or found."""


class ModelFileError(FacedemoError):
    """The FaceNet model file is missing, damaged or not the expected model."""


class ImageError(FacedemoError):
    """An image could not be used."""


class NotAnImageError(ImageError):
    """The file is empty, truncated or not a picture at all."""


class UnsupportedFormatError(ImageError):
    """A real image, but in a format facedemo does not read (HEIC, AVIF, SVG, ...)."""


class ImageSizeError(ImageError):
    """The image is too large to decode safely or too small to hold a face."""


class NoFaceFoundError(ImageError):
    """The face detector found no face in the photo."""


class DatabaseError(FacedemoError):
    """A problem with the face database: unknown person, bad name, unreadable file."""


class UnknownPersonError(DatabaseError):
    """A name that is not enrolled in the database."""


class InvalidNameError(DatabaseError):
    """A person's name that cannot be used (empty, path-like, control characters)."""


class DatabaseFileError(DatabaseError):
    """A database file that cannot be read or does not fit the current model."""


class TooSlowError(FacedemoError):
    """Work on one request took longer than the time allowed for it (the app's guard)."""


class ClassRoomError(FacedemoError):
    """A class room cannot do what was asked: unknown or ended code, full, or not your entry."""


class UnknownClassError(ClassRoomError):
    """No running class has this join code (never started, ended, or idle too long)."""


class ClassFullError(ClassRoomError):
    """A limit of a class or of the server is reached: people per class, photos each, classes per server."""


class NotYourEntryError(ClassRoomError):
    """Someone tried to change a class entry that is not theirs (wrong or missing token)."""


class PhotoNotFoundError(FacedemoError):
    """A photo a pairs file names is not where it should be (under the root folder, or in the zip)."""
