"""Forbidden data found by what a value is: recognisers on one protocol (`recogniser.py`),
one module per family under `detectors/`, one table of them (`registry.py`) and one walk
that calls them (`sweep.py`). `categories.Scrubber` runs this walk after its own."""
