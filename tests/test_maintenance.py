"""Retention: provision records, consent-log entries and dead letters older than their
configured periods are purged; newer ones stay."""

from __future__ import annotations

import time
from pathlib import Path

from gateway.destinations.registry import read_config
from gateway.maintenance import DAY, purge_once
from gateway.runtime import Gateway
from gateway.store.types import ConsentChange, ProvisionRecord
from tests.support.configs import write_config


def record(at: float, key: str) -> ProvisionRecord:
    return ProvisionRecord(
        delivered_at=at, destination="hook", country="JP", purposes=("analytics",),
        categories=("browsing_history",), subject_key="a_1", subject_keys=("a_1",),
        message_id=key, idempotency_key=key, policy_version="v1",
    )  # fmt: skip


async def test_retention_purges_only_what_is_past_its_period(tmp_path: Path) -> None:
    config = read_config(
        write_config(
            tmp_path / "c", gateway={"retention": {"ledger_days": 30, "consent_log_days": 10}}
        )
    )
    gateway = Gateway(config, run_worker=False)
    runtime = await gateway.start()
    try:
        now = time.time()
        store = runtime.store
        await store.outbox.delivered([], [record(now - 31 * DAY, "old"), record(now - DAY, "new")])
        for at in (now - 11 * DAY, now - DAY):
            change = ConsentChange(at, "a_1", {}, {"advertising": False}, "api", "v1")
            await store.preferences.put(["a_1"], {"advertising_id": False}, change)
        purged = await purge_once(runtime, now)
        assert purged == {"ledger": 1, "consent_log": 1, "dead_letters": 0, "dedupe": 0}
        assert [r.message_id for r in await store.ledger.query()] == ["new"]
        assert len(await store.preferences.consent_log(["a_1"])) == 1
    finally:
        await gateway.stop()
