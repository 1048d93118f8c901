"""A labelled photo folder encoded in one go with a disk cache (:mod:`.labelled`); photo ids and the album (:mod:`.album`)."""
