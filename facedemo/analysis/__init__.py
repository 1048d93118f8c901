"""What the lessons compute from encodings: metrics, calibration, confidence, the classifier head, triplet loss, projection, the naive baseline, architectures."""
