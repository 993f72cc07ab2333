"""enrich → policy → route for the events of one request. No I/O: stored preferences are
looked up by the intake and passed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway.config.loader import Config
from gateway.config.schema import SourceConfig
from gateway.enrich.enricher import Enricher
from gateway.plans.apply import PlanBook
from gateway.policy.consent.resolver import RequestSignals
from gateway.policy.engine import Decision, PolicyEngine, merge_preferences
from gateway.policy.identifiers import SubjectKeys, advertising_id
from gateway.route.router import Formatter, Router, Verdict, idempotency_keys
from gateway.store.types import OutboxItem, Provenance


class Outcome:
    """What happened to one event. Not a dataclass, so that mypyc compiles its `__init__`
    (see route.router.Verdict)."""

    __slots__ = ("decision", "drop_code", "dropped", "subject_keys", "verdicts")

    def __init__(
        self,
        decision: Decision,
        verdicts: list[Verdict],
        subject_keys: tuple[str, ...],
        dropped: str | None = None,
        drop_code: str | None = None,
    ) -> None:
        self.decision = decision
        self.verdicts = verdicts
        self.subject_keys = subject_keys
        self.dropped = dropped
        """The sentence when the event goes nowhere; `drop_code` is its fixed reason."""
        self.drop_code = drop_code

    def trace(self) -> dict[str, Any]:
        trace = self.decision.trace()
        trace["dropped"] = self.dropped
        trace["drop_code"] = self.drop_code
        trace["destinations"] = [v.as_dict() for v in self.verdicts]
        return trace


class Pipeline:
    def __init__(
        self,
        config: Config,
        enricher: Enricher,
        keys: SubjectKeys,
        formatters: Mapping[str, Formatter],
        reads: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.config = config
        self.enricher = enricher
        self.keys = keys
        self.engine = PolicyEngine(config.policy, config.sources)
        self.router = Router(config.destinations, formatters, config.policy, reads)
        self.plans = PlanBook(config.plans, config.sources)
        self._countries = {d.name: d.country for d in config.destinations}
        self._purposes = {d.name: tuple(d.purposes) for d in config.destinations}

    def message_id(self, client_id: str) -> str:
        """The messageId the gateway keeps (dedupe, outbox, ledger, debugger) and forwards:
        the client's, unless the policy would remove or change it as a value (an ID that
        holds coordinates, say). Then a keyed digest of it: a resend is still a duplicate,
        and the value itself is kept nowhere."""
        if self.engine.keeps("messageId", client_id):
            return client_id
        return "gw-" + self.keys.digest("message", client_id)

    def prepare(self, event: dict[str, Any]) -> tuple[str, ...]:
        """Enrich (UA, geo, IP truncation) and return the subject keys to look up."""
        keys = self.keys.for_event(event)
        self.enricher.enrich(event)
        return keys

    def process(
        self,
        event: dict[str, Any],
        subject_keys: tuple[str, ...],
        source: SourceConfig,
        signals: RequestSignals,
        stored: Mapping[str, Mapping[str, Any]],
    ) -> Outcome:
        held = [stored[k] for k in subject_keys if k in stored] if stored else []
        preferences = merge_preferences(held) if held else None  # None: nothing stored
        decision = self.engine.evaluate(event, source, signals, preferences)
        if (
            subject_keys
            and self.keys.is_advertising(subject_keys[-1])  # for_event puts it last
            and advertising_id(event) is None
        ):
            # The ad ID was refused: its key served the preference lookup only.
            subject_keys = subject_keys[:-1]
        if decision.consent.suspended_use:
            dropped = "use suspended for this subject"
            return Outcome(decision, [], subject_keys, dropped, "suspended_use")
        verdicts = self.router.route(event, decision.consent, decision.for_purposes)
        return Outcome(decision, verdicts, subject_keys)

    def outbox_items(self, outcome: Outcome, source: SourceConfig, now: float) -> list[OutboxItem]:
        sent = [v for v in outcome.verdicts if v.send and v.payload is not None]
        if not sent:
            return []
        message_id = str(outcome.decision.event.get("messageId"))
        consent = outcome.decision.consent
        stamp, basis = consent.stamp(), consent.basis()
        keys = idempotency_keys(message_id, [verdict.destination for verdict in sent])
        return [
            OutboxItem(
                destination=verdict.destination,
                idempotency_key=key,
                message_id=message_id,
                source_id=source.id,
                subject_keys=outcome.subject_keys,
                payload=verdict.payload,
                meta=Provenance(
                    policy_version=self.config.policy.version,
                    consent=stamp,
                    basis=basis,
                    purposes=list(self._purposes[verdict.destination]),
                    categories=list(verdict.categories),
                    country=self._countries[verdict.destination],
                ),
                created_at=now,
            )
            for verdict, key in zip(sent, keys, strict=True)
            if verdict.payload is not None  # for the type checker: filtered above
        ]


def unique_keys(groups: Sequence[tuple[str, ...]]) -> list[str]:
    return list(dict.fromkeys(key for group in groups for key in group))
