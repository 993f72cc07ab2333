"""Consent signals: what an event, its request and the stored preferences say about each
purpose (`resolver.py`), the IAB TCF string (`tcf.py`), the device's tracking setting
(`tracking.py`) and the advertising ID it governs (`adid.py`)."""
