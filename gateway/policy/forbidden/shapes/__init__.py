"""Key-and-shape detectors the walk calls as it goes: a string's shape (`values.py`, which
dispatches to `coordinates.py`, `contacts.py`, `messages.py`, `media.py`) and a dict's
(`records.py`). They read key roles from `keys.py`; what a value is, whatever its key, is
judged by the recognisers in `detectors/`."""
