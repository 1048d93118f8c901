"""Finding faces: :class:`~.faces.Face` and :class:`~.faces.FaceDetector` (every face, largest first) over the numpy MTCNN (:mod:`.mtcnn_lite`)."""
