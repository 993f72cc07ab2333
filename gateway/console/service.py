"""What the console and its API do, without HTTP: list destinations with their live status,
change them, preview an event, send a test event, read the live debugger, work the dead
letters. The JSON API (api.py) and the pages (pages.py) both call these."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import httpx

from gateway.config.loader import Config
from gateway.console import violations
from gateway.console.editor import Editor, Operation, listed, version_of, write
from gateway.destinations.base import Destination, Outgoing
from gateway.destinations.ga4 import GA4_URL, Ga4Config
from gateway.destinations.registry import (
    DESTINATION_TYPES,
    HttpClients,
    build_destinations,
    read_config,
)
from gateway.errors import BadRequest, ConfigError, DeliveryError, NotFound, StoreUnavailable
from gateway.intake.explain import Question, SourceLookup, explain_event
from gateway.intake.intake import Intake
from gateway.observability.debugger import Debugger
from gateway.observability.metrics import Metrics
from gateway.route.projection import Projection
from gateway.store.types import DeadLetter, Store

Reload = Callable[[], Awaitable[dict[str, Any]]]
GA4_VALIDATION_URL = "https://www.google-analytics.com/debug/mp/collect"
TEST_EVENT = "Gateway Test Event"
ANSWER_CHARS = 4000


class Pools(Protocol):
    """The long-lived resources the console uses: the delivery HTTP pools."""

    http: HttpClients


class Running(Protocol):
    """What the console uses of the running gateway (a reload swaps it whole)."""

    config: Config
    intake: Intake
    sources: SourceLookup

    @property
    def store(self) -> Store: ...

    @property
    def metrics(self) -> Metrics: ...

    @property
    def debugger(self) -> Debugger: ...

    @property
    def destinations(self) -> Mapping[str, Destination]: ...

    @property
    def resources(self) -> Pools: ...


class Console:
    """One per app: the editor's lock and the reload of every worker."""

    def __init__(self, reload: Reload) -> None:
        self.editor = Editor()
        self.reload = reload


# ------------------------------------------------------------------ destinations
def _sample(metrics: Metrics, name: str, labels: dict[str, str]) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def destinations(runtime: Running) -> dict[str, Any]:
    """Each destination as its file has it, with this process's live status."""
    directory = runtime.config.directory
    version = version_of(directory)
    items = listed(directory)
    names = [str(item.get("name")) for _, item in items]
    stats = await runtime.store.outbox.stats(names)
    out = []
    for filename, item in items:
        name = str(item.get("name"))
        out.append({"file": filename, "config": item, "status": _status(runtime, name, stats)})
    return {"version": version, "destinations": out}


def _status(runtime: Running, name: str, stats: Mapping[str, Any]) -> dict[str, Any]:
    metrics = runtime.metrics
    queue = stats.get(name)

    def count(outcome: str) -> int:
        labels = {"destination": name, "outcome": outcome}
        return int(_sample(metrics, "gateway_deliveries_total", labels) or 0)

    breaker = _sample(metrics, "gateway_breaker_open", {"destination": name})
    failure = metrics.last_failure.get(name)
    return {
        "running": name in runtime.destinations,
        "queue_depth": queue.pending if queue else 0,
        "oldest_age_seconds": round(queue.oldest_age_seconds, 3) if queue else 0.0,
        "dead_letters": queue.dead_letters if queue else 0,
        "delivered": count("delivered"),
        "retried": count("retry"),
        "failed": count("fatal"),
        "circuit": "unknown" if breaker is None else ("open" if breaker else "closed"),
        "last_error": {"code": failure[0], "at": failure[1]} if failure else None,
    }


async def change(
    console: Console,
    runtime: Running,
    who: str,
    operation: Operation,
    name: str,
    body: dict[str, Any] | None,
    expected: str,
) -> dict[str, Any]:
    """Check, log, write and reload; raises Stale (412), ConfigError (422), NotFound."""
    directory = runtime.config.directory

    def load(candidate: Path) -> Config:
        """`gateway check`'s loading, then the adapters built as a reload builds them (a
        secret_env that is not set is refused here, not after the file is written)."""
        config = read_config(candidate)
        build_destinations(config, runtime.resources.http)
        return config

    async with console.editor.locked(directory):
        prepared = console.editor.prepare(directory, operation, name, body, expected, load)
        await runtime.store.log_admin_action(
            {
                "action": f"destination.{operation}",
                "token": who,
                "at": time.time(),
                "destination": name,
                "file": prepared.file.name,
                "version_before": prepared.version_before,
                "version_after": prepared.version_after,
                "diff": prepared.diff(),
            }
        )
        write(prepared)
    reloaded = await console.reload()
    return {"version": prepared.version_after, "reload": reloaded}


def body_name(body: Any, name: str | None) -> tuple[str, dict[str, Any]]:
    """The destination object of a request and its name (the path's, when given)."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a destination object")
    given = body.get("name")
    if name is None:
        if not isinstance(given, str) or not given:
            raise BadRequest('the destination needs a "name"')
        return given, body
    if given is not None and given != name:
        raise BadRequest("the body names another destination (to rename: add, then remove)")
    return name, {"name": name, **{k: v for k, v in body.items() if k != "name"}}


async def changes(runtime: Running, limit: int) -> list[dict[str, Any]]:
    """The change log: who changed which destination, when, and the diff (newest first)."""
    entries = await runtime.store.admin_log(limit * 4)
    return [e for e in entries if str(e.get("action", "")).startswith("destination.")][:limit]


# ------------------------------------------------------------------ preview
async def preview(runtime: Running, raw: bytes, write_key: str | None) -> dict[str, Any]:
    """The explain trace of an event: the edge's own code path with an outbox that keeps
    nothing."""
    return await explain_event(runtime.intake, runtime.sources, Question(raw, {}, write_key))


# ------------------------------------------------------------------ test event
def test_event() -> dict[str, Any]:
    message_id = "gateway-test-" + secrets.token_hex(8)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "type": "track",
        "event": TEST_EVENT,
        "messageId": message_id,
        "anonymousId": "gateway-test",
        "timestamp": now,
        "properties": {"gateway_test": True},
        "context": {"page": {"path": "/gateway-test"}, "library": {"name": "gateway-console"}},
    }


async def send_test(runtime: Running, name: str) -> dict[str, Any]:
    """A synthetic event, marked as a test (its messageId, name and `gateway_test`), through
    the destination's own adapter: projected by its fields, formatted, sent. GA4 goes to its
    validation endpoint; Meta uses `test_event_code` when configured. Returns the vendor's
    answer (status and the start of its body)."""
    config = next((d for d in runtime.config.destinations if d.name == name), None)
    if config is None:
        raise NotFound(f'no destination named "{name}"')
    if isinstance(config, Ga4Config) and config.url == GA4_URL:
        config = config.model_copy(update={"url": GA4_VALIDATION_URL})
    event = test_event()
    projected = Projection(config.fields).apply(event)
    projected.update({k: event[k] for k in ("messageId", "type")})
    answers: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        answers.append(response)

    clients = HttpClients.create(runtime.config.gateway.delivery.timeout_seconds, 2)
    for client in (clients.public, clients.private):
        client.event_hooks = {"response": [keep]}
    result: dict[str, Any] = {"destination": name, "messageId": event["messageId"]}
    adapter: Destination | None = None
    try:
        adapter = DESTINATION_TYPES[config.type].build(config, clients, runtime.config)
        await adapter.send([Outgoing("test_" + event["messageId"], adapter.format(projected))])
        result["sent"] = True
    except DeliveryError as exc:
        result.update(sent=False, error=str(exc))
    except ConfigError as exc:  # its secret is not set
        result.update(sent=False, error="; ".join(exc.problems))
    except Exception as exc:  # a fault of the adapter: its type only (no payload in it)
        result.update(sent=False, error=type(exc).__name__)
    finally:
        if adapter is not None:
            await adapter.aclose()
        await clients.aclose()
    if answers:
        last = answers[-1]
        result["status"] = last.status_code
        result["answer"] = last.text[:ANSWER_CHARS]
    return result


# ------------------------------------------------------------------ live debugger
async def recent(runtime: Running, source: str | None, limit: int) -> dict[str, Any]:
    console = runtime.config.gateway.console
    if not console.debugger:
        return {"enabled": False, "events": []}
    events = await runtime.debugger.recent(console.debugger_seconds, source, limit)
    return {"enabled": True, "events": events}


async def plan_violations(runtime: Running, source: str | None) -> dict[str, Any]:
    """The tracking plans' findings in the debugger's window (its events and seconds)."""
    console = runtime.config.gateway.console
    if not console.debugger:
        return {"enabled": False, "violations": []}
    debugger = runtime.debugger
    entries = await debugger.recent(console.debugger_seconds, source, console.debugger_events)
    return {"enabled": True, "violations": violations.summarise(entries)}


async def seen_paths(runtime: Running) -> list[str]:
    """Paths seen in the debugger's recent events (completion in the editor)."""
    console = runtime.config.gateway.console
    if not console.debugger:
        return []
    try:
        entries = await runtime.debugger.recent(console.debugger_seconds, None, 100)
    except StoreUnavailable:  # completion is a help: the editor works without it
        return []
    paths: dict[str, None] = {}
    for entry in entries:
        _walk(entry.get("event"), "", paths)
    return sorted(paths)


def _walk(value: Any, prefix: str, out: dict[str, None]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _walk(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif prefix:
        out[prefix] = None


# ------------------------------------------------------------------ dead letters
def dead_letter_row(entry: DeadLetter, now: float, payload: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": entry.ref,
        "destination": entry.item.destination,
        "messageId": entry.item.message_id,
        "reason": "gave_up" if entry.reason.startswith("gave up") else "fatal",
        "detail": entry.reason,
        "attempts": entry.attempts,
        "age_seconds": round(now - entry.item.created_at, 3),
        "dead_at": entry.dead_at,
    }
    if payload:
        row["payload"] = entry.item.payload
    return row


async def dead_letters(runtime: Running, destination: str | None, limit: int) -> list[Any]:
    entries = await runtime.store.dead_letters.entries(destination, limit)
    now = time.time()
    return [dead_letter_row(e, now) for e in entries]


async def dead_letter(runtime: Running, ref: str) -> dict[str, Any]:
    for entry in await runtime.store.dead_letters.entries(None, 1_000_000):
        if entry.ref == ref:
            return dead_letter_row(entry, time.time(), payload=True)
    raise NotFound(f'no dead letter "{ref}"')


async def act_on_dead_letters(
    runtime: Running, action: str, destination: str | None, ids: list[str] | None
) -> int:
    if not destination and not ids:
        raise BadRequest("name a destination or ids (nothing was done)")
    store = runtime.store.dead_letters
    act = store.replay if action == "replay" else store.drop
    return await act(destination, ids)
