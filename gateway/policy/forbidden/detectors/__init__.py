"""One module per family of forbidden data, each on the protocol of `recogniser.py`."""
