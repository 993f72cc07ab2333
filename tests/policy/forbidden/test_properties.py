"""Properties: a forbidden value made by any of the corpus's encoders and embedded at any
depth (in dicts and lists under innocent keys, in JSON text, base64, percent-encoding and URL
parameters) never survives the scrub; the ordinary payloads around it are kept."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.forbidden.detectors.identifiers import IpTruncator
from gateway.policy.forbidden.walk import Scrubber
from tests.policy.corpus import encoders as enc
from tests.policy.corpus import forbidden_shapes as fs

SCRUBBER = Scrubber(ips=IpTruncator(24, 48))
INNOCENT = ["note", "payload", "data", "value", "extra", "meta", "blob", "x", "item", "v"]
lat = st.floats(min_value=-85, max_value=85).filter(lambda v: abs(v) > 1.5)
lng = st.floats(min_value=-179, max_value=179).filter(lambda v: abs(v) > 1.5)


def _trace(a: float, b: float) -> list[tuple[float, float]]:
    a, b = round(a, 5), round(b, 5)
    return [(a, b), (a + 0.0013, b + 0.0021), (a + 0.0026, b + 0.0042)]


ENCODERS = {
    "polyline": lambda a, b, n: enc.polyline(_trace(a, b)),
    "polyline6": lambda a, b, n: enc.polyline(_trace(a, b), 6),
    "wkt": lambda a, b, n: f"POINT({round(b, 6)} {round(a, 6)})",
    "wkb": lambda a, b, n: enc.wkb_point_hex(a, b, srid=bool(n % 2)),
    "quadkey": lambda a, b, n: enc.quadkey(a, b, 15 + n % 5),
    "h3": lambda a, b, n: ["8928308280fffff", "872830828ffffff", "8a2f5aadc167fff"][n % 3],
    "mgrs": lambda a, b, n: ["54SUE8503143741", "18TWL8395407362", "30UXC9924911648"][n % 3],
    "python_bytes": lambda a, b, n: repr(fs.MEDIA[n % len(fs.MEDIA)]),
    "go_bytes": lambda a, b, n: "[]byte{" + ", ".join(f"0x{x:02x}" for x in fs.MEDIA[n % 7]) + "}",
    "node_buffer": lambda a, b, n: (
        "<Buffer " + " ".join(f"{x:02x}" for x in fs.MEDIA[n % 7][:40]) + ">"
    ),
    "csv_contacts": lambda a, b, n: (
        "name,tel\n"
        + "\n".join(f"{p[0]} {p[1]},{p[2]}" for p in (fs.PEOPLE[n % 6], fs.PEOPLE2[n % 6]))
    ),
    "mime": lambda a, b, n: (
        f"From: a@example.jp\nTo: b@example.jp\nSubject: x\n\n{fs.TEXTS[n % 6]}"
    ),
}
STRUCTURED = {
    "slack": lambda a, b, n: {"type": "message", "channel": "C024BE91L", "user": "U2147483697",
                              "text": fs.TEXTS[n % 6]},
    "people": lambda a, b, n: [{"n": f"{p[0]} {p[1]}", "t": p[2]}
                               for p in (fs.PEOPLE[n % 6], fs.PEOPLE2[n % 6])],
    "bing": lambda a, b, n: "https://www.bing.com/maps?cp="
    + f"{round(a, 6):.6f}~{round(b, 6):.6f}&lvl=16",
    "binary_string": lambda a, b, n: quote(fs.MEDIA[n % 7].decode("latin-1"), safe=""),
}  # fmt: skip
ENCODERS.update(STRUCTURED)
WRAPS = ["dict", "list", "json", "base64", "percent", "url"]


def _text_of(value: Any) -> str:
    """The canary inside a structured value: its message text or first phone number."""
    if isinstance(value, dict):
        return str(value["text"])
    return str(value[0]["t"])


def wrap(value: Any, how: str, key: str) -> Any:
    if how == "dict":
        return {key: value, "kept": "yes"}
    if how == "list":
        return ["kept", value]
    if how == "json":
        return json.dumps({key: value})
    text = value if isinstance(value, str) else json.dumps(value)
    if how == "base64":
        return base64.b64encode(text.encode()).decode()
    if how == "percent":
        return quote(text, safe="")
    return f"https://www.example.com/p?ref=home&{key}={quote(text, safe='')}"


@settings(max_examples=300, deadline=None)
@given(
    encoder=st.sampled_from(sorted(ENCODERS)),
    point=st.tuples(lat, lng),
    n=st.integers(0, 20),
    wraps=st.lists(st.sampled_from(WRAPS), max_size=5),
    keys=st.lists(st.sampled_from(INNOCENT), min_size=6, max_size=6),
)
def test_an_encoded_value_never_survives_at_any_depth(
    encoder: str, point: tuple[float, float], n: int, wraps: list[str], keys: list[str]
) -> None:
    value: Any = ENCODERS[encoder](point[0], point[1], n)
    needles = [value if isinstance(value, str) else _text_of(value)]
    for how, key in zip(wraps, keys, strict=False):
        value = wrap(value, how, key)
        if isinstance(value, str):
            needles.append(value)
    event = {"type": "track", "event": "Synced", "properties": {keys[-1]: value, "plan": "pro"}}
    SCRUBBER.scrub(event)
    dump = orjson.dumps(event).decode()
    for needle in needles:
        assert json.dumps(needle)[1:-1] not in dump, (encoder, wraps)
    assert event["properties"]["plan"] == "pro"
