"""The one table of categories (gateway/config/categories.py): everything that names a
category reads it, so a category added there reaches the config, the detectors, the ledger
and the pages, and none of them names a category it does not list."""

from __future__ import annotations

from gateway.config.categories import BY_NAME, CATEGORIES, FORBIDDEN
from gateway.config.schema import PolicyFile
from gateway.policy.forbidden import registry, vocabulary
from gateway.policy.forbidden.walk import FORBIDDEN_CATEGORIES
from gateway.privacy.texts import CATEGORIES as PAGE_CATEGORIES
from gateway.privacy.texts import PURPOSES
from gateway.route.datacategories import CATEGORY_PREFIXES


def test_names_are_unique_and_each_has_both_languages() -> None:
    assert len(BY_NAME) == len(CATEGORIES)
    assert all(c.en and c.ja for c in CATEGORIES)


def test_the_policy_and_config_forbid_exactly_the_tables_forbidden_categories() -> None:
    assert FORBIDDEN == ("location", "contacts", "message_content", "media")
    assert FORBIDDEN_CATEGORIES == vocabulary.CATEGORIES == FORBIDDEN
    assert PolicyFile().forbidden_categories == list(FORBIDDEN)
    schema = PolicyFile.model_json_schema()["properties"]["forbidden_categories"]
    assert schema["items"]["enum"] == list(FORBIDDEN)


def test_every_detector_decides_a_category_of_the_table() -> None:
    judges = (*registry.STRINGS, *registry.RECORDS, *registry.COLLECTIONS)
    assert {j.category for j in judges} <= set(FORBIDDEN)
    names = {vocabulary.LOCATION, vocabulary.CONTACTS, vocabulary.MESSAGE_CONTENT}
    assert names | {vocabulary.MEDIA} <= set(FORBIDDEN)


def test_the_ledger_and_the_pages_read_the_table() -> None:
    assert set(CATEGORY_PREFIXES.values()) <= set(BY_NAME)
    for language in ("en", "ja"):
        assert PAGE_CATEGORIES[language].keys() == BY_NAME.keys()
        assert all(PURPOSES[language][name] for name in FORBIDDEN)
