"""People and their encodings: distances and the one "same person?" rule (:mod:`.matching`), the face database, the notebook's API."""
