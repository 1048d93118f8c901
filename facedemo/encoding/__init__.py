"""A face → a unit encoding: the networks registry, the recipes that prepare a photo, the runtime and :class:`~.encoder.FaceEncoder`."""
