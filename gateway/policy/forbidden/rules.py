"""Which detector decided a removal, read from its rule (for the trace and `gateway explain`).

A recogniser's rule starts with its registered name (`location.polyline:encoded_path`); a rule
that wraps one (`decoded:`, `embedded:`, `ndjson:`, `url_param:`) names the recogniser that
decided inside. The key-and-shape walk's rules name their detector by their first word:
`known_path` (the configured paths), `key_name` / `key_context` (key names, `keys.py`),
`value:<shape>` (value shapes, `shapes/`; embedded, encoded or too deep: `texts.py`),
`url_param` (URL parameters, `urls.py`).
"""

from __future__ import annotations

WALK_DETECTORS = {
    "known_path": "paths",
    "key_name": "keys",
    "key_context": "keys",
    "value": "shapes",
    "url_param": "urls",
}
# What the walk's text scanner (`texts.py`) decides of a string as a whole.
TEXT_RULES = {
    "value:embedded_json": "texts",
    "value:encoded_text": "texts",
    "value:too_deep": "texts",
}
AD_ID_DETECTOR = "consent.adid"  # an advertising ID the customer or device refused


def detector_of(rule: str, category: str) -> str:
    """The detector that decided: a registered recogniser's name, or the walk's part."""
    for part in rule.split(":"):
        family, dot, name = part.partition(".")
        if dot and family.isidentifier() and name.isidentifier():
            return part
    if category == "advertising_id":
        return AD_ID_DETECTOR
    if rule in TEXT_RULES:
        return TEXT_RULES[rule]
    return WALK_DETECTORS.get(rule.partition(":")[0], "walk")
