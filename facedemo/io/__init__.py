"""Reading what users hand in: photo bytes or paths → RGB arrays (:mod:`.images`), labelled folders (:mod:`.folders`)."""
