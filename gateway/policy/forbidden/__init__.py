"""Forbidden data found by what a value is: recognisers on one protocol (`recogniser.py`),
one module per family under `detectors/`, one table of them (`registry.py`) and one walk
that calls them (`sweep.py`). `walk.Scrubber` is the one walk: it
judges keys and shapes (`keys.py`, `vocabulary.py`, `shapes/`) and calls the sweep's
recognisers on every value as it goes."""
