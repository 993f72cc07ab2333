"""Destination adapters; their types, config models and builders are listed in `registry.py`."""
