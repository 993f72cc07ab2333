"""The built-in policy: mirrors ../shared/policy/privacy-policy.txt when policy.yaml is absent.

- Purposes (section "Purpose of use" of "Handling of customer information on the website
  and app"): (1) providing services → `service`, (2) verifying effectiveness / analysis →
  `analytics`, (3) advertisements → `advertising`. The policy follows APPI's opt-out model,
  so all three are granted unless the customer refuses.
- Visitors from the EU/EEA, the UK and Switzerland: analytics and advertising need an
  explicit grant (GDPR/ePrivacy opt-in); no default grants them.
- Transfers: home JP; the foreign countries the policy lists (Philippines, Australia,
  Canada, United States, Korea, Taiwan).
- Forbidden categories: GPS location, address-book contacts, message content, photos/videos.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.config.schema import Jurisdiction, PolicyFile, PurposeConfig

# Subtrees the policy always removes (unless a source allows the category): the Segment
# Spec's own place for a device position.
FORBIDDEN_PATHS: Mapping[str, str] = {"context.location": "location"}

EEA_UK_CH = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",  # EU 27
    "IS", "LI", "NO",  # EEA
    "GB", "CH",
)  # fmt: skip

# Category names used by common consent-management platforms, mapped to our purposes.
CMP_CATEGORIES = {
    "c0001": "service",  # OneTrust: strictly necessary
    "c0002": "analytics",  # OneTrust: performance
    "c0003": "service",  # OneTrust: functional
    "c0004": "advertising",  # OneTrust: targeting
    "c0005": "advertising",  # OneTrust: social media
    "necessary": "service",
    "functional": "service",
    "preferences": "service",
    "statistics": "analytics",
    "performance": "analytics",
    "measurement": "analytics",
    "marketing": "advertising",
    "targeting": "advertising",
    "ads": "advertising",
}


def default_jurisdictions() -> list[Jurisdiction]:
    return [
        Jurisdiction(
            name="eea-uk-ch", countries=list(EEA_UK_CH), opt_in=["analytics", "advertising"]
        )
    ]


def builtin_policy() -> PolicyFile:
    return PolicyFile(
        purposes={
            "service": PurposeConfig(
                description="Providing the services you use and keeping you logged in",
                description_ja="サービスの提供・利便性の向上",
            ),
            "analytics": PurposeConfig(
                description="Measuring and improving our services",
                description_ja="サービスの効果検証・改善・新サービスの開発",
            ),
            "advertising": PurposeConfig(
                description="Advertising and information about products based on your browsing",
                description_ja="商品・サービスの広告・ご案内",
            ),
        },
        jurisdictions=default_jurisdictions(),
        cmp_categories=CMP_CATEGORIES,
    )
