"""Consent per purpose, built from every signal an event carries.

Precedence (DESIGN "Policy", policy section 4 "Customer-controlled settings"): suspension of
use → stored customer preferences → per-event CMP category preferences → IAB TCF string →
Google Consent Mode → Sec-GPC / DNT → the device's tracking setting (ATT, limit ad tracking)
→ a child's event → jurisdiction defaults → purpose defaults.

An explicit denial from any signal wins over every grant ("the customer's no always wins");
without a denial, the strongest explicit grant decides; without either, the defaults do.
A signal that cannot be read denies every purpose it speaks for (fail closed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from gateway.config.schema import PolicyFile
from gateway.policy.consent.tcf import TCFError, TCString, decode
from gateway.policy.consent.tracking import is_child, tracking_refusal

TCF_KEYS = ("tcf", "tcString", "tcfString", "gdpr_consent", "gdprConsent")
# TCF special feature 1, "Use precise geolocation data": the TCF's word on GPS location, for a
# source allowed to collect it (allow_categories: [location]).
TCF_SPECIAL_FEATURES = {"location": 1}
CONSENT_MODE_KEYS = ("googleConsentMode", "consentMode", "gcm")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What an unreadable TC string records: no consent to anything. A destination that needs its
# TCF vendor's consent (tcf_vendor_id) is then refused, as for a string without that vendor,
# rather than let through as if no string had been sent (fail closed).
NO_TCF_CONSENT = TCString(
    version=2, created=_EPOCH, last_updated=_EPOCH, cmp_id=0, cmp_version=0, consent_screen=0,
    consent_language="AA", vendor_list_version=0, policy_version=0, is_service_specific=False,
    use_non_standard_stacks=False, special_feature_optins=frozenset(),
    purpose_consents=frozenset(), purpose_legitimate_interests=frozenset(),
    purpose_one_treatment=False, publisher_country_code="AA", vendor_consents=frozenset(),
    vendor_legitimate_interests=frozenset(), publisher_restrictions=(),
)  # fmt: skip
CONSENT_MODE_PURPOSES = {
    "analytics_storage": "analytics",
    "ad_storage": "advertising",
    "ad_user_data": "advertising",
    "ad_personalization": "advertising",
}


# What consent depends on besides the event's consent context and stored choices: the
# visitor's country, Sec-GPC, DNT, the device's tracking refusal, a child-directed source.
Situation = tuple[str | None, bool, bool, str | None, bool]
SAID_CACHE_SIZE = 2_048
MAX_SAID_BYTES = 1_024
"""Consent contexts longer than this are resolved each time (as are those with a TC string:
one per visitor, and its decoded vendor sets are large)."""


@dataclass(frozen=True, slots=True)
class RequestSignals:
    """Consent signals that arrive as request headers, not in the event."""

    gpc: bool = False
    dnt: bool = False


# The basis of a purpose decision, as the ledger and the consent log state it: which kind of
# signal decided. A grant on an EXPLICIT basis is the subject's own prior consent (policy,
# "Matters concerning provision to third parties"); a default is not.
BASIS = {
    "preferences": "explicit_choice",
    "categoryPreferences": "cmp",
    "tcf": "tcf",
    "consent_mode": "consent_mode",
    "gpc": "gpc",
    "dnt": "dnt",
    "att": "device_tracking_setting",
    "child": "child",
    "suspension": "suspension",
    "default": "purpose_default",
}
EXPLICIT = frozenset({"explicit_choice", "cmp", "tcf", "consent_mode"})


def basis_of(signal: str) -> str:
    if signal.startswith("jurisdiction:"):
        return "jurisdiction_default"
    return BASIS.get(signal, "purpose_default")


@dataclass(frozen=True, slots=True)
class PurposeDecision:
    granted: bool
    signal: str
    detail: str = ""

    @property
    def basis(self) -> str:
        return basis_of(self.signal)

    @property
    def explicit(self) -> bool:
        """Granted by the subject's own signal, not by a default."""
        return self.granted and self.basis in EXPLICIT

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"granted": self.granted, "signal": self.signal, "basis": self.basis}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True, slots=True)
class Consent:
    purposes: Mapping[str, PurposeDecision]
    suspended_use: bool = False
    suspended_provision: bool = False
    advertising_id_refused: bool = False
    vendor_refusals: frozenset[str] = frozenset()
    tcf: TCString | None = None
    problems: tuple[str, ...] = ()
    child: bool = False
    """The event is a child's (a child-directed source, or the event says so)."""
    reviewed: frozenset[str] | None = None
    """The recipients (DestinationConfig.notice_key) the subject's stored grants were made
    for; None when no stored grant is relied on."""

    def granted(self, purpose: str) -> bool:
        decision = self.purposes.get(purpose)
        return decision is not None and decision.granted

    def explicitly_granted(self, purpose: str) -> bool:
        decision = self.purposes.get(purpose)
        return decision is not None and decision.explicit

    def stamp(self) -> dict[str, bool]:
        return {name: d.granted for name, d in self.purposes.items()}

    def basis(self) -> dict[str, str]:
        """Per purpose, the kind of signal that decided it (BASIS)."""
        return {name: d.basis for name, d in self.purposes.items()}


@dataclass
class _Signal:
    name: str
    says: dict[str, bool] = field(default_factory=dict)
    detail: dict[str, str] = field(default_factory=dict)

    def deny(self, purpose: str, detail: str = "") -> None:
        self.says[purpose] = False
        if detail:
            self.detail[purpose] = detail

    def set(self, purpose: str, granted: bool, detail: str = "") -> None:
        if self.says.get(purpose) is False:
            return
        self.says[purpose] = granted
        if detail:
            self.detail[purpose] = detail


class ConsentResolver:
    def __init__(self, policy: PolicyFile, category_purposes: frozenset[str]) -> None:
        self.policy = policy
        self.purposes = tuple(policy.purposes) + tuple(sorted(category_purposes))
        self._categories = category_purposes
        self._cmp = {k.lower(): v for k, v in policy.cmp_categories.items()}
        self._by_country = {c: j for j in policy.jurisdictions for c in j.countries}
        self._by_name = {j.name: j for j in policy.jurisdictions}
        self._plain: dict[Situation, Consent] = {}
        self._said: dict[tuple[Situation, bytes], Consent] = {}

    def resolve(
        self,
        event: dict[str, Any],
        request: RequestSignals,
        stored: Mapping[str, Any] | None,
        child_directed: bool = False,
    ) -> Consent:
        stored = stored or {}
        consent_field = _consent_field(event)
        tracking = tracking_refusal(event) if self.policy.att_denies_advertising else None
        if not all(v is None or v == {} for v in stored.values()):
            return self._resolve(event, request, stored, consent_field, tracking, child_directed)
        # Without stored choices the answer depends on nothing but the request's signals,
        # the device's tracking setting, the visitor's country (the gateway's own geo) and
        # the event's consent context: it is computed once per combination. Most events
        # carry no consent context; a CMP's (categories, a Consent Mode state) repeats
        # across visitors, so it is remembered by its exact serialisation, bounded. A TC
        # string is a visitor's own (it holds the time of the choice): not remembered.
        situation = (_geo_country(event), request.gpc, request.dnt, tracking, child_directed)
        if not consent_field:
            cached = self._plain.get(situation)
            if cached is None:
                cached = self._plain[situation] = self._resolve(
                    event, request, stored, consent_field, tracking, child_directed
                )
            return cached
        said = None if _has_tcf(consent_field) else _serialised(consent_field)
        if said is None:
            return self._resolve(event, request, stored, consent_field, tracking, child_directed)
        key = (situation, said)
        cached = self._said.get(key)
        if cached is None:
            cached = self._resolve(event, request, stored, consent_field, tracking, child_directed)
            if len(self._said) >= SAID_CACHE_SIZE:
                self._said.clear()
            self._said[key] = cached
        return cached

    def _resolve(
        self,
        event: dict[str, Any],
        request: RequestSignals,
        stored: Mapping[str, Any],
        consent_field: Mapping[str, Any],
        tracking: str | None,
        child_directed: bool,
    ) -> Consent:
        problems: list[str] = []
        tcf, tcf_signal = self._tcf(consent_field, problems)
        child = child_directed or is_child(consent_field, self.policy.child_age)
        signals = [
            self._stored(stored),
            self._categories_signal(consent_field, problems),
            tcf_signal,
            self._consent_mode(consent_field, problems),
            self._privacy_headers(request, consent_field),
            _device_tracking(tracking),
            _child(child, child_directed),
        ]
        suspended_use = stored.get("suspend_use") is True
        decisions = {
            purpose: self._decide(purpose, signals, event, suspended_use)
            for purpose in self.purposes
        }
        vendors = stored.get("vendors")
        refusals = (
            frozenset(name for name, ok in vendors.items() if ok is False)
            if isinstance(vendors, dict)
            else frozenset()
        )
        return Consent(
            purposes=decisions,
            suspended_use=suspended_use,
            suspended_provision=stored.get("suspend_provision") is True,
            advertising_id_refused=stored.get("advertising_id") is False,
            vendor_refusals=refusals,
            tcf=tcf,
            problems=tuple(problems),
            child=child,
            reviewed=_reviewed(stored),
        )

    def _decide(
        self, purpose: str, signals: list[_Signal], event: dict[str, Any], suspended: bool
    ) -> PurposeDecision:
        if suspended:
            return PurposeDecision(False, "suspension", "use suspended on the subject's request")
        for signal in signals:
            if signal.says.get(purpose) is False:
                return PurposeDecision(False, signal.name, signal.detail.get(purpose, ""))
        for signal in signals:
            if signal.says.get(purpose) is True:
                return PurposeDecision(True, signal.name, signal.detail.get(purpose, ""))
        return self._default(purpose, event)

    def _default(self, purpose: str, event: dict[str, Any]) -> PurposeDecision:
        if purpose in self._categories:
            return PurposeDecision(
                False, "default", "collecting this category needs explicit consent"
            )
        country = _geo_country(event)
        jurisdiction = self._by_country.get(country) if country else None
        if country is None and self.policy.unknown_country != "home":
            jurisdiction = self._by_name.get(self.policy.unknown_country)
        if jurisdiction is not None and purpose in jurisdiction.opt_in:
            where = country or "unknown country"
            return PurposeDecision(
                False, f"jurisdiction:{jurisdiction.name}", f"{where} requires opt-in for {purpose}"
            )
        config = self.policy.purposes.get(purpose)
        granted = config is not None and config.default == "granted"
        return PurposeDecision(granted, "default")

    def _stored(self, stored: Mapping[str, Any]) -> _Signal:
        signal = _Signal("preferences")
        purposes = stored.get("purposes")
        if isinstance(purposes, dict):
            for name, value in purposes.items():
                if name in self.purposes and isinstance(value, bool):
                    signal.set(name, value, "stored customer preference")
        return signal

    def _categories_signal(self, consent: Mapping[str, Any], problems: list[str]) -> _Signal:
        signal = _Signal("categoryPreferences")
        prefs = consent.get("categoryPreferences")
        if prefs is None:
            return signal
        if not isinstance(prefs, dict):
            problems.append("context.consent.categoryPreferences is not an object: denied")
            for purpose in self.purposes:
                if purpose != "service":
                    signal.deny(purpose, "unreadable categoryPreferences")
            return signal
        for name, value in prefs.items():
            target = self._purpose_for(str(name))
            if target is None:
                continue
            if not isinstance(value, bool):
                problems.append(f"categoryPreferences.{name} is not true/false: denied")
                signal.deny(target, f"unreadable category {name}")
            else:
                signal.set(target, value, f"category {name}")
        return signal

    def _purpose_for(self, name: str) -> str | None:
        lowered = name.lower()
        if lowered in self.purposes:
            return lowered
        return self._cmp.get(lowered)

    def _tcf(
        self, consent: Mapping[str, Any], problems: list[str]
    ) -> tuple[TCString | None, _Signal]:
        signal = _Signal("tcf")
        raws = [consent[k] for k in TCF_KEYS if consent.get(k) not in (None, "")]
        if not raws:
            return None, signal
        try:
            tcf = _agreed([_decode_tcf(raw) for raw in raws])
        except TCFError as exc:
            problems.append(f"TCF string unreadable ({exc}): denied")
            for purpose in (*self.policy.tcf.purposes, *self._tcf_features()):
                signal.deny(purpose, "unreadable TCF string")
            return NO_TCF_CONSENT, signal
        for purpose, ids in self.policy.tcf.purposes.items():
            missing = [i for i in ids if i not in tcf.purpose_consents]
            detail = f"TCF purposes {ids}" + (f" missing {missing}" if missing else "")
            signal.set(purpose, not missing, detail)
        for purpose, feature in self._tcf_features().items():
            opted_in = feature in tcf.special_feature_optins
            detail = f"TCF special feature {feature}" + ("" if opted_in else " not opted in")
            signal.set(purpose, opted_in, detail)
        return tcf, signal

    def _tcf_features(self) -> dict[str, int]:
        """Category purposes a TCF string speaks for through its special features."""
        return {p: f for p, f in TCF_SPECIAL_FEATURES.items() if p in self._categories}

    def _consent_mode(self, consent: Mapping[str, Any], problems: list[str]) -> _Signal:
        signal = _Signal("consent_mode")
        # Every place a value may sit is read on its own: a denial in one is not
        # overwritten by a grant in another.
        places = [
            consent,
            *(consent[k] for k in CONSENT_MODE_KEYS if isinstance(consent.get(k), dict)),
        ]
        fields = [(k, place[k]) for place in places for k in CONSENT_MODE_PURPOSES if k in place]
        for key, value in fields:
            purpose = CONSENT_MODE_PURPOSES[key]
            # Identity for the booleans: `1 in (True,)` holds, and 1 is not a consent value.
            if value is True or value == "granted":
                signal.set(purpose, True, key)
            elif value is False or value == "denied":
                signal.deny(purpose, key)
            else:
                problems.append(f"consent mode {key} is neither granted nor denied: denied")
                signal.deny(purpose, f"unreadable {key}")
        return signal

    def _privacy_headers(self, request: RequestSignals, consent: Mapping[str, Any]) -> _Signal:
        if request.gpc or _truthy(consent.get("gpc")):
            signal = _Signal("gpc")
            signal.deny("advertising", "Global Privacy Control")
            return signal
        signal = _Signal("dnt")
        if request.dnt and self.policy.honor_dnt:
            signal.deny("advertising", "Do Not Track")
        return signal


def _reviewed(stored: Mapping[str, Any]) -> frozenset[str] | None:
    seen = stored.get("seen")
    if isinstance(seen, dict):
        return frozenset(str(r) for r in seen.get("recipients", []))
    return None


def _device_tracking(reason: str | None) -> _Signal:
    """Apple counts sharing device or user data with ad networks for targeted advertising or
    measurement as tracking: ATT not authorised, or limit-ad-tracking on, refuses the
    advertising purpose for the event, not only its advertising ID (policy section 4: the
    customer chooses whether advertising identifiers may be collected). An event that says
    nothing about tracking refuses nothing."""
    signal = _Signal("att")
    if reason is not None:
        signal.deny("advertising", reason)
    return signal


def _child(child: bool, child_directed: bool) -> _Signal:
    """A child's event gets no advertising (the policy's "sound upbringing of children";
    COPPA and the app stores' kids rules for child-directed services)."""
    signal = _Signal("child")
    if child:
        signal.deny("advertising", "child-directed source" if child_directed else "a child's event")
    return signal


def _decode_tcf(raw: Any) -> TCString:
    if not isinstance(raw, str):
        raise TCFError("not a string")
    return decode(raw)


def _agreed(strings: list[TCString]) -> TCString:
    """Several TC strings in one event (`tcf` and `gdpr_consent`): a purpose, vendor or
    special feature counts only where every one of them grants it."""
    first = strings[0]
    if len(strings) == 1:
        return first
    return dataclasses.replace(
        first,
        purpose_consents=frozenset.intersection(*(s.purpose_consents for s in strings)),
        vendor_consents=frozenset.intersection(*(s.vendor_consents for s in strings)),
        special_feature_optins=frozenset.intersection(*(s.special_feature_optins for s in strings)),
    )


def _truthy(value: Any) -> bool:
    """GPC as SDKs report it: true, 1, "1", "true"."""
    if value is True or (type(value) is int and value == 1):
        return True
    return isinstance(value, str) and value.strip().lower() in ("1", "true")


def _consent_field(event: dict[str, Any]) -> Mapping[str, Any]:
    context = event.get("context")
    consent = context.get("consent") if isinstance(context, dict) else None
    return consent if isinstance(consent, dict) else {}


def _has_tcf(consent: Mapping[str, Any]) -> bool:
    return any(consent.get(k) not in (None, "") for k in TCF_KEYS)


def _serialised(consent: Mapping[str, Any]) -> bytes | None:
    """The consent context's exact bytes (key order included), or None when too long or
    not serialisable as it stands."""
    try:
        said = orjson.dumps(consent)
    except orjson.JSONEncodeError:
        return None
    return said if len(said) <= MAX_SAID_BYTES else None


def _geo_country(event: dict[str, Any]) -> str | None:
    context = event.get("context")
    geo = context.get("geo") if isinstance(context, dict) else None
    country = geo.get("country") if isinstance(geo, dict) else None
    return country if isinstance(country, str) else None
