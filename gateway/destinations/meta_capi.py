"""Meta Conversions API destination: POST {url}/{api_version}/{pixel_id}/events?access_token=…
with {"data": [server events], "test_event_code"?}.

`format` maps one projected Segment event onto one server event: the event name (Segment
Spec e-commerce names onto Meta's standard events, others unchanged), `event_time` in unix
seconds, `event_id` = messageId (Meta deduplicates a browser pixel event and a server event
by event_name + event_id), `user_data` and `custom_data`.

`user_data`: em, ph, fn, ln, ct, st, zp, country and external_id are SHA-256 hex digests of
the values normalised as Meta's customer information parameters require (email and phone via
gateway.route.transforms.sha256_value; a value already hashed, e.g. by a `sha256` transform,
is left alone). `client_ip_address` is `context.ip` exactly as the policy left it: the full
address never leaves the gateway, so Meta receives the truncated one (/24, /48 by default)
and matches less well on it; the policy wins over match quality. `client_user_agent`, `fbp`
and `fbc` are passed as they are, and only when the rule names them.

The access token comes from the environment only (`secret_env`, required); errors never
include the URL that carries it. `api_version` is pinned in the config: the Conversions API
does not upgrade a retired version, it refuses it (a fatal 4xx), so keep it current.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
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
from gateway.route.transforms import HEX64, sha256_value

GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v26.0"
HEADERS = {"content-type": "application/json"}
ActionSource = Literal[
    "website", "app", "email", "phone_call", "chat", "physical_store", "system_generated",
    "business_messaging", "other",
]  # fmt: skip

DEFAULT_EVENT_NAMES = {
    "Order Completed": "Purchase",
    "Product Added": "AddToCart",
    "Product Viewed": "ViewContent",
    "Checkout Started": "InitiateCheckout",
    "Payment Info Entered": "AddPaymentInfo",
    "Products Searched": "Search",
    "Signed Up": "CompleteRegistration",
    "Product Added to Wishlist": "AddToWishlist",
}
# Standard events about one product: without value/total/revenue, it is worth price × quantity.
PRODUCT_EVENTS = frozenset({"AddToCart", "ViewContent", "AddToWishlist"})
VALUE_KEYS = ("value", "total", "revenue")
# The event fields `format` can put on the wire: the ledger's categories come from these (a
# rule may name an advertising ID; Meta's user_data carries none).
READS = (
    "type", "event", "timestamp", "messageId", "userId", "anonymousId", "context.page.url",
    "context.traits", "traits", "context.ip", "context.userAgent", "context.fbp",
    "context.fbc", "properties",
)  # fmt: skip
# user_data key ← trait keys (first present wins; `address.*` looked up in traits.address).
TRAIT_KEYS = {
    "fn": ("firstName", "first_name"),
    "ln": ("lastName", "last_name"),
    "ct": ("address.city", "city"),
    "st": ("address.state", "state"),
    "zp": ("address.postalCode", "address.postal_code", "postalCode", "postal_code", "zip"),
    "country": ("address.country", "country"),
}
NOT_WORD = re.compile(r"[\W_]+")


class MetaCapiConfig(VendorConfig):
    KIND = "meta_capi"
    CREDENTIAL = "the Conversions API access token"
    NEEDS = (("type",), ("timestamp",))

    type: Literal["meta_capi"]
    """Meta Conversions API."""
    pixel_id: str = Field(pattern=r"^\d{5,20}$")
    """The Meta pixel (dataset) ID."""
    api_version: str = Field(API_VERSION, pattern=r"^v\d{1,3}\.\d{1,2}$")
    """Graph API version; Meta refuses retired versions, keep it current."""
    url: str = GRAPH_URL
    """Graph API base URL."""
    action_source: ActionSource = "website"
    """Where the conversions happen: "website"; "app" for a destination fed by app sources."""
    test_event_code: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    """Sends to Events Manager's test view instead of live data."""
    event_names: dict[str, str] = {}
    """Segment event name → Meta event name, over the defaults."""

    @field_validator("pixel_id", mode="before")
    @classmethod
    def _pixel_id(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class MetaCapiDestination:
    def __init__(
        self,
        config: MetaCapiConfig,
        client: httpx.AsyncClient,
        access_token: str,
        home_calling_code: str,
    ) -> None:
        self.config = config
        self.max_batch = 100  # Meta takes up to 1000 events per request
        self._client = client
        self._calling_code = home_calling_code
        self._names = {**DEFAULT_EVENT_NAMES, **config.event_names}
        url = f"{config.url.rstrip('/')}/{config.api_version}/{config.pixel_id}/events"
        self._url = str(httpx.URL(url).copy_merge_params({"access_token": access_token}))

    def format(self, event: dict[str, Any]) -> dict[str, Any]:
        name = self.event_name(event)
        out: dict[str, Any] = {"event_name": name}
        moment = parse_time(event.get("timestamp"))
        if moment is not None:
            out["event_time"] = int(moment.timestamp())
        if _text(event.get("messageId")):
            out["event_id"] = event["messageId"]
        out["action_source"] = self.config.action_source
        url = _text(_object(_object(event.get("context")).get("page")).get("url"))
        if url:
            out["event_source_url"] = url
        out["user_data"] = self.user_data(event)
        custom = custom_data(_object(event.get("properties")), name)
        if custom:
            out["custom_data"] = custom
        return out

    def event_name(self, event: dict[str, Any]) -> str:
        kind = event.get("type")
        if kind == "page":
            return "PageView"
        if kind not in (None, "track"):
            return str(kind)
        name = _text(event.get("event")) or ""
        return self._names.get(name.strip(), name)

    def user_data(self, event: dict[str, Any]) -> dict[str, Any]:
        context = _object(event.get("context"))
        traits = dict(_object(context.get("traits")))
        if event.get("type") == "identify":
            traits.update(_object(event.get("traits")))
        out: dict[str, Any] = {}
        for key, path in (("em", "email"), ("ph", "phone")):
            if traits.get(path) not in (None, ""):
                out[key] = sha256_value(traits[path], path, self._calling_code)
        for key, names in TRAIT_KEYS.items():
            value = _first(traits, names)
            digest = hashed(key, value, traits)
            if digest:
                out[key] = digest
        subject = _text(event.get("userId")) or _text(event.get("anonymousId"))
        if subject:
            out["external_id"] = [hashed("external_id", subject, traits)]
        if _text(context.get("ip")):
            out["client_ip_address"] = context["ip"]
        if _text(context.get("userAgent")):
            out["client_user_agent"] = context["userAgent"]
        properties = _object(event.get("properties"))
        for key in ("fbp", "fbc"):
            value = _text(properties.get(key)) or _text(context.get(key))
            if value:
                out[key] = value
        return out

    async def send(self, items: Sequence[Outgoing]) -> None:
        body: dict[str, Any] = {"data": [item.payload for item in items]}
        if self.config.test_event_code:
            body["test_event_code"] = self.config.test_event_code
        await post(self._client, self._url, orjson.dumps(body), HEADERS, transient=is_transient)

    async def aclose(self) -> None:
        return None


def hashed(key: str, value: Any, traits: dict[str, Any]) -> str | None:
    """SHA-256 of a customer information parameter normalised as Meta asks: lower case,
    without spaces or punctuation; 2-letter country codes; US zip codes to 5 digits."""
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        return None
    text = str(value).strip().lower()
    if HEX64.match(text):
        return text
    text = re.sub(r"\s", "", text) if key == "external_id" else NOT_WORD.sub("", text)
    if key == "country" and not re.fullmatch(r"[a-z]{2}", text):
        return None  # Meta matches ISO 3166-1 alpha-2 codes only
    if key == "zp" and str(_first(traits, TRAIT_KEYS["country"])).lower() in ("us", "usa"):
        text = text[:5]
    # Not sha256_value: its phone rule would rewrite a numeric ID or zip code.
    return hashlib.sha256(text.encode()).hexdigest() if text else None


def custom_data(properties: dict[str, Any], name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if _text(properties.get("currency")):
        out["currency"] = properties["currency"]
    value = next((v for k in VALUE_KEYS if (v := number(properties.get(k))) is not None), None)
    products = properties.get("products")
    if isinstance(products, list):
        contents = [content(p) for p in products if isinstance(p, dict)]
    elif "product_id" in properties or "sku" in properties:
        contents = [content(properties)]
        if value is None and name in PRODUCT_EVENTS:
            value = _product_value(properties)
    else:
        contents = []
    if value is not None:
        out["value"] = value
    if _scalar(properties.get("order_id")) is not None:
        out["order_id"] = str(properties["order_id"])
    if name == "Search" and _text(properties.get("query")):
        out["search_string"] = properties["query"]
    contents = [c for c in contents if "id" in c]
    if contents:
        out["content_ids"] = [c["id"] for c in contents]
        out["contents"] = contents
        out["content_type"] = "product"
    if isinstance(products, list) and contents:
        out["num_items"] = sum(int(c.get("quantity", 1)) for c in contents)
    return out


def content(product: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ident = _scalar(product.get("product_id"))
    ident = ident if ident is not None else _scalar(product.get("sku"))
    if ident is not None:
        out["id"] = str(ident)
    quantity = number(product.get("quantity"))
    if quantity is not None and quantity == int(quantity):
        out["quantity"] = int(quantity)
    price = number(product.get("price"))
    if price is not None:
        out["item_price"] = price
    return out


def _product_value(product: dict[str, Any]) -> int | float | None:
    price = number(product.get("price"))
    quantity = number(product.get("quantity"))
    if price is None:
        return None
    return price * quantity if quantity is not None else price


def _first(traits: dict[str, Any], names: Sequence[str]) -> Any:
    for name in names:
        head, _, rest = name.partition(".")
        value = _object(traits.get(head)).get(rest) if rest else traits.get(head)
        if value not in (None, ""):
            return value
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _scalar(value: Any) -> str | int | float | None:
    if isinstance(value, bool):
        return None
    return value if isinstance(value, str | int | float) and value != "" else None


# Graph API error codes for throttling and passing faults (app/user/page rate limits,
# temporary service errors), retried like a 429 even though Meta answers 400.
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613})


def is_transient(response: httpx.Response) -> bool:
    """Meta marks errors worth retrying with `error.is_transient` or a throttling code."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return False
    if not isinstance(error, dict):
        return False
    return error.get("is_transient") is True or error.get("code") in TRANSIENT_CODES
