"""Writes the detection corpus (`forbidden.json`, `ordinary.json`) from the templates.

Run `python -m tests.policy.corpus.build` after changing a template; the JSON files are the
data the tests and `python -m tests.policy.corpus.measure` read. A payload's split is its
template's: `held` templates are shapes kept out of the development loop.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.policy.corpus import forbidden_shapes as fs
from tests.policy.corpus import ordinary_shapes as os_

HERE = Path(__file__).parent
FORBIDDEN_VARIANTS = 4
ORDINARY_VARIANTS = 8


def envelope(n: int, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    mobile = n % 2 == 1
    context: dict[str, Any] = {
        "library": {"name": "analytics-ios", "version": "4.1.8"} if mobile else
                   {"name": "analytics.js", "version": "next-1.70.0"},
        "locale": "ja-JP", "timezone": "Asia/Tokyo", "ip": "203.0.113.0",
    }  # fmt: skip
    if mobile:
        context["app"] = {"name": "Challenge", "version": "3.2.1", "build": "3021",
                          "namespace": "jp.example.challenge"}  # fmt: skip
        context["device"] = {"manufacturer": "Apple", "model": "iPhone15,3", "type": "ios"}
        context["os"] = {"name": "iOS", "version": "17.4.1"}
        context["screen"] = {"width": 430, "height": 932, "density": 3}
        context["network"] = {"wifi": True, "carrier": "docomo", "cellular": False}
    else:
        context["page"] = {"path": "/lesson", "referrer": "https://www.google.com/", "search": "",
                           "title": "レッスン | Example",
                           "url": "https://www.example.jp/lesson"}  # fmt: skip
        context["userAgent"] = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                                "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")  # fmt: skip
    return {
        "type": "track", "event": name, "properties": properties, "context": context,
        "messageId": f"msg-{n:06d}-7d3c-4c4e-9a63-1f2e3d4c5b6a",
        "anonymousId": "23adfd82-aa0f-45a7-a756-24f2a7a4c895", "userId": f"u{1000 + n}",
        "timestamp": "2026-05-01T09:30:12.345Z",
    }  # fmt: skip


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def forbidden() -> list[dict[str, Any]]:
    out = []
    for family, templates in fs.FAMILIES.items():
        for template in templates:
            for k in range(FORBIDDEN_VARIANTS):
                n = len(out)
                props, canaries, extra = template(fs.Vary(k))
                event = envelope(n, "Item Synced", props)
                _merge(event, extra)
                out.append({"id": f"{template.__name__}/{k}", "family": family,
                            "split": "held" if template.__name__ in fs.HELD_OUT else "dev",
                            "event": event, "canaries": canaries})  # fmt: skip
    return out


def ordinary() -> list[dict[str, Any]]:
    out = []
    for template in os_.TEMPLATES:
        for k in range(ORDINARY_VARIANTS):
            name, props = template(os_.Vary(k))
            event = envelope(len(out), name, props)
            if k == 3:  # the user's own traits are ordinary personal data, not contacts
                event["context"]["traits"] = {
                    "email": "parent.k@example.jp", "phone": "090-8765-4321", "name": "Kenji Ito",
                }  # fmt: skip
            out.append({"id": f"{template.__name__}/{k}", "family": "ordinary",
                        "split": "held" if template.__name__ in os_.HELD_OUT else "dev",
                        "event": event})  # fmt: skip
    return out


def main() -> None:
    for name, rows in (("forbidden.json", forbidden()), ("ordinary.json", ordinary())):
        text = json.dumps(rows, ensure_ascii=False, indent=0)
        (HERE / name).write_text(text + "\n", encoding="utf-8")
        print(name, len(rows))


if __name__ == "__main__":
    main()
