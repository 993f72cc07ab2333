"""GA4 Measurement Protocol destination: POST {url}?measurement_id=…&api_secret=… with a JSON
body {client_id, user_id?, timestamp_micros, user_properties?, events: [{name, params}]}.

`format` maps one projected Segment event onto one MP body, using only what the projection
kept: event names as in Segment's GA4 destination (overridable with `event_names`), e-commerce
properties onto GA4's params and items, other scalar properties passed through within GA4's
naming limits, scalar traits as user properties. Direct identifiers (email, phone, names,
email-like values) are never sent, even when the rule names them: Google's terms forbid
personally identifiable information in Analytics. `send` groups payloads by client (and
user) ID, at most 25 events per request, one request per group.

Not idempotent: the Measurement Protocol has no idempotency key, so a retried or replayed
batch is counted twice by GA4 (delivery is at-least-once). It also answers 2xx to malformed
bodies, so a wrong payload is lost silently: point `url` at /debug/mp/collect to validate.

The API secret comes from the environment only (`secret_env`, required). MP takes it in the
query string, so error messages never include the URL, and the CLI keeps httpx's request log
(which prints URLs) quiet unless the log level is DEBUG.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import orjson
from pydantic import Field, field_validator

from gateway.destinations.base import Outgoing, post
from gateway.destinations.vendor import (
    VendorConfig,
    number,
    parse_time,
)
from gateway.errors import RetryableDelivery

GA4_URL = "https://www.google-analytics.com/mp/collect"
HEADERS = {"content-type": "application/json"}
# The event fields `format` can put on the wire (the ledger's categories come from these).
READS = (
    "type", "event", "name", "timestamp", "userId", "anonymousId", "context.traits", "traits",
    "context.page", "properties",
)  # fmt: skip
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EVENT_NAME = re.compile(r"^[^\W\d_]\w{0,39}$")
MAX_EVENTS, MAX_PARAMS, MAX_ITEMS, MAX_USER_PROPERTIES = 25, 25, 200, 25
NAME_LIMIT, VALUE_LIMIT = 40, 100
USER_NAME_LIMIT, USER_VALUE_LIMIT = 24, 36
RESERVED_PREFIXES = ("firebase_", "ga_", "google_", "gtag")
# Google's terms forbid personally identifiable information in Analytics: these are never
# sent as params or user properties, even when the rule names them.
IDENTIFYING_KEYS = frozenset(
    {"email", "emailaddress", "phone", "phonenumber", "mobile", "tel", "telephone", "name",
     "fullname", "firstname", "lastname", "givenname", "familyname", "username", "birthday",
     "street", "postalcode", "zip", "zipcode"}
)  # fmt: skip
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
RESERVED_USER_PROPERTIES = frozenset(
    {"first_open_time", "first_visit_time", "last_deep_link_referrer", "user_id",
     "first_open_after_install"}
)  # fmt: skip

# Segment's GA4 destination: which Segment Spec event each GA4 recommended event comes from.
DEFAULT_EVENT_NAMES = {
    "Products Searched": "search",
    "Product List Viewed": "view_item_list",
    "Product Clicked": "select_item",
    "Product Viewed": "view_item",
    "Product Added": "add_to_cart",
    "Product Removed": "remove_from_cart",
    "Cart Viewed": "view_cart",
    "Checkout Started": "begin_checkout",
    "Payment Info Entered": "add_payment_info",
    "Order Completed": "purchase",
    "Order Refunded": "refund",
    "Promotion Viewed": "view_promotion",
    "Promotion Clicked": "select_promotion",
    "Product Added to Wishlist": "add_to_wishlist",
    "Signed Up": "sign_up",
    "Signed In": "login",
}
# GA4 item parameter ← Segment product property (first present wins), in GA4's order.
ITEM_FIELDS = (
    ("item_id", ("product_id", "sku")),
    ("item_name", ("name",)),
    ("item_category", ("category",)),
    ("item_brand", ("brand",)),
    ("item_variant", ("variant",)),
    ("price", ("price",)),
    ("quantity", ("quantity",)),
    ("coupon", ("coupon",)),
    ("index", ("position",)),
)
ITEM_KEYS = frozenset(key for _, keys in ITEM_FIELDS for key in keys)
# `value` first; else `total` (revenue with shipping and tax, as Segment's purchase sends it).
VALUE_KEYS = ("value", "total", "revenue")
COMMON_PARAMS = {"currency": "currency", "coupon": "coupon"}
PROMOTION_PARAMS = {
    "promotion_id": "promotion_id",
    "name": "promotion_name",
    "creative": "creative_name",
    "position": "creative_slot",
}
EVENT_PARAMS: dict[str, dict[str, str]] = {
    "purchase": {"order_id": "transaction_id"},
    "refund": {"order_id": "transaction_id"},
    "search": {"query": "search_term"},
    "sign_up": {"method": "method", "type": "method"},
    "login": {"method": "method", "type": "method"},
    "view_item_list": {"list_id": "item_list_id", "category": "item_list_name"},
    "view_promotion": PROMOTION_PARAMS,
    "select_promotion": PROMOTION_PARAMS,
}
PAGE_PARAMS = (("page_location", "url"), ("page_title", "title"), ("page_referrer", "referrer"))


class Ga4Config(VendorConfig):
    KIND = "ga4"
    CREDENTIAL = "the GA4 API secret"
    NEEDS = (("type",), ("anonymousId", "userId"))

    type: Literal["ga4"]
    """Google Analytics 4 Measurement Protocol."""
    measurement_id: str = Field(pattern=r"^G-[A-Z0-9]{4,20}$")
    """The GA4 data stream's measurement ID (G-...)."""
    url: str = GA4_URL
    """https://region1.google-analytics.com/mp/collect keeps collection in the EU."""
    event_names: dict[str, str] = {}
    """Segment event name → GA4 event name, over the defaults."""

    @field_validator("event_names")
    @classmethod
    def _event_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value.values():
            if not EVENT_NAME.match(name):
                raise ValueError(
                    f'"{name}" is not a GA4 event name (a letter, then letters, digits or '
                    "underscores, at most 40)"
                )
        return value


class Ga4Destination:
    def __init__(self, config: Ga4Config, client: httpx.AsyncClient, api_secret: str) -> None:
        self.config = config
        self.max_batch = 100
        self._client = client
        self._names = {**DEFAULT_EVENT_NAMES, **config.event_names}
        params = {"measurement_id": config.measurement_id, "api_secret": api_secret}
        self._url = str(httpx.URL(config.url).copy_merge_params(params))

    def format(self, event: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        client_id = _text(event.get("anonymousId")) or _text(event.get("userId"))
        if client_id:
            body["client_id"] = client_id
        if _text(event.get("userId")):
            body["user_id"] = _text(event.get("userId"))
        micros = timestamp_micros(event.get("timestamp"))
        if micros is not None:
            body["timestamp_micros"] = micros
        properties = user_properties(event)
        if properties:
            body["user_properties"] = properties
        name = self.event_name(event)
        body["events"] = [{"name": name, "params": event_params(event, name)}]
        return body

    def event_name(self, event: dict[str, Any]) -> str:
        kind = event.get("type")
        if kind == "page":
            return "page_view"
        if kind == "screen":
            return "screen_view"
        if kind not in (None, "track"):
            return snake_case(str(kind))
        name = _text(event.get("event")) or ""
        return self._names.get(name.strip()) or snake_case(name)

    async def send(self, items: Sequence[Outgoing]) -> None:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for item in items:
            key = (str(item.payload.get("client_id", "")), str(item.payload.get("user_id", "")))
            groups.setdefault(key, []).append(item.payload)
        bodies = [
            merge(group[i : i + MAX_EVENTS])
            for group in groups.values()
            for i in range(0, len(group), MAX_EVENTS)
        ]
        results = await asyncio.gather(
            *(post(self._client, self._url, orjson.dumps(body), HEADERS) for body in bodies),
            return_exceptions=True,
        )
        raise_worst(results)

    async def aclose(self) -> None:
        return None


def raise_worst(results: Iterable[object]) -> None:
    """Requests go out together; when some fail, a retryable failure wins over a fatal one
    (the batch is tried again rather than dead-lettering payloads that only met a hiccup)."""
    errors = [r for r in results if isinstance(r, BaseException)]
    if not errors:
        return
    raise next((e for e in errors if isinstance(e, RetryableDelivery)), errors[0])


def merge(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """One MP body for payloads of one client: each event keeps its own timestamp."""
    if len(payloads) == 1:
        return payloads[0]
    first = payloads[0]
    body: dict[str, Any] = {k: first[k] for k in ("client_id", "user_id") if k in first}
    properties: dict[str, Any] = {}
    events = []
    for payload in payloads:
        properties.update(payload.get("user_properties", {}))
        for event in payload.get("events", []):
            stamped = dict(event)
            if "timestamp_micros" in payload:
                stamped["timestamp_micros"] = payload["timestamp_micros"]
            events.append(stamped)
    if properties:
        body["user_properties"] = dict(list(properties.items())[:MAX_USER_PROPERTIES])
    body["events"] = events
    return body


# ---------------------------------------------------------------- format helpers
def snake_case(name: str) -> str:
    """A GA4 event name from a Segment one: snake_case, starting with a letter, ≤ 40 chars."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    text = re.sub(r"\W+", "_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    if not text or not text[0].isalpha():
        text = f"event_{text}".rstrip("_")
    return text[:NAME_LIMIT].rstrip("_")


def param_name(name: str, limit: int = NAME_LIMIT) -> str | None:
    """A property name as a GA4 parameter name (case kept), or None when GA4 reserves it."""
    text = re.sub(r"\W", "_", name.strip())[:limit]
    if not text or not text[0].isalpha() or text.lower().startswith(RESERVED_PREFIXES):
        return None
    return text


def identifying(key: str, value: Any) -> bool:
    """A direct identifier by key name (email, phone, name …) or an email address value."""
    folded = re.sub(r"[\W_]", "", key).lower()
    return folded in IDENTIFYING_KEYS or (isinstance(value, str) and bool(EMAIL.search(value)))


def timestamp_micros(value: Any) -> int | None:
    moment = parse_time(value)
    if moment is None:
        return None
    return (moment - EPOCH) // timedelta(microseconds=1)


def user_properties(event: dict[str, Any]) -> dict[str, Any]:
    """Scalar traits (context.traits; an identify's own traits win) as {name: {value}}."""
    traits = dict(_object(_object(event.get("context")).get("traits")))
    if event.get("type") == "identify":
        traits.update(_object(event.get("traits")))
    out: dict[str, Any] = {}
    for key, value in traits.items():
        name = param_name(str(key), USER_NAME_LIMIT)
        scalar = _scalar(value, USER_VALUE_LIMIT)
        if identifying(str(key), value):
            continue
        if name and name not in RESERVED_USER_PROPERTIES and scalar is not None:
            out[name] = {"value": scalar}
        if len(out) == MAX_USER_PROPERTIES:
            break
    return out


def event_params(event: dict[str, Any], name: str) -> dict[str, Any]:
    properties = _object(event.get("properties"))
    params: dict[str, Any] = {}
    used: set[str] = set()
    products = properties.get("products")
    if isinstance(products, list):
        params["items"] = [i for i in map(item, products[:MAX_ITEMS]) if i]
        used.add("products")
    elif "product_id" in properties or "sku" in properties:
        # A single-product event (Product Viewed, Added, …): the properties are the product.
        params["items"] = [item(properties)]
        used |= ITEM_KEYS
    for key in VALUE_KEYS:
        amount = number(properties.get(key))
        if amount is not None:
            params["value"] = amount
            used.add(key)
            break
    for source, target in {**COMMON_PARAMS, **EVENT_PARAMS.get(name, {})}.items():
        scalar = _scalar(properties.get(source))
        if source not in used and target not in params and scalar is not None:
            params[target] = scalar
            used.add(source)
    if name == "page_view":
        params.update(page_params(event, properties))
        used |= {"url", "title", "referrer"}
    elif name == "screen_view" and _text(event.get("name")):
        params["screen_name"] = _scalar(event.get("name"))
    params["engagement_time_msec"] = 1
    for key, value in properties.items():
        param, scalar = param_name(str(key)), _scalar(value)
        if len(params) >= MAX_PARAMS:
            break
        if key in used or not param or param in params or scalar is None:
            continue
        if not identifying(str(key), value):
            params[param] = scalar
    return params


def page_params(event: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """page_location/title/referrer from context.page, else from the page's properties."""
    page = _object(_object(event.get("context")).get("page"))
    out = {}
    for param, key in PAGE_PARAMS:
        value = _text(page.get(key)) or _text(properties.get(key))
        if value:
            out[param] = value[:VALUE_LIMIT] if param == "page_title" else value
    return out


def item(product: Any) -> dict[str, Any]:
    product = _object(product)
    out: dict[str, Any] = {}
    for param, keys in ITEM_FIELDS:
        for key in keys:
            scalar = _scalar(product.get(key))
            if scalar is not None:
                out[param] = str(scalar) if param == "item_id" else scalar
                break
    return out


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _scalar(value: Any, limit: int = VALUE_LIMIT) -> Any:
    """A value GA4 takes as a parameter: strings (cut to its limit), numbers, booleans."""
    if isinstance(value, str):
        return value[:limit] if value else None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool | int | float):
        return value
    return None
