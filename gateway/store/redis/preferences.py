"""Customer preferences and the consent log on Redis, one hash slot per subject key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from redis import exceptions as redis_errors
from redis.asyncio.cluster import RedisCluster

from gateway.store.types import ConsentChange

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore


class RedisPreferences:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    def _key(self, subject_key: str, part: str) -> str:
        return "{" + f"{self._s.prefix}:p:{subject_key}" + "}:" + part

    async def get_many(self, subject_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not subject_keys:
            return {}
        keys = [self._key(key, "state") for key in subject_keys]
        client = self._s.client
        if isinstance(client, RedisCluster):
            # One slot per subject key: the cluster client reads each node's share apart.
            rows = await self._s.call(client.mget_nonatomic(keys))
        else:
            # One command: a pipeline of GETs costs redis-py a response read (and its
            # timeout) per key, most of the Redis client's time on a batch.
            rows = await self._s.call(client.mget(keys))
        return {k: orjson.loads(v) for k, v in zip(subject_keys, rows, strict=True) if v}

    async def put(
        self, subject_keys: Sequence[str], state: dict[str, Any], change: ConsentChange
    ) -> None:
        # Each subject key has its own hash slot, so on a cluster these are separate writes;
        # the log entry goes last, after every state it describes is stored. Its WAIT
        # (min_replicas) covers the writes before it on one master; on a cluster only those
        # of its own shard (the gateway changes preferences through `change`).
        async with self._s.pipe(transaction=False) as pipe:
            for key in subject_keys:
                pipe.set(self._key(key, "state"), orjson.dumps(state))
            await self._s.call(pipe.execute())
        await self._s.call(self._s.client.sadd(self._s.key("clog", "subjects"), change.subject_key))
        log_key = self._key(change.subject_key, "log")
        async with self._s.replicated("consent", log_key) as client:
            await self._s.call(client.rpush(log_key, orjson.dumps(change.as_dict())))

    async def change(
        self,
        subject_keys: Sequence[str],
        apply: Callable[[dict[str, Any]], dict[str, Any]],
        log: Callable[[str, dict[str, Any], dict[str, Any]], ConsentChange | None],
    ) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        out = {}
        for key in subject_keys:
            # The log index first: the consent write's WAIT then covers it on one master.
            await self._s.call(self._s.client.sadd(self._s.key("clog", "subjects"), key))
            async with self._s.replicated("consent", self._key(key, "state")) as client:
                out[key] = await self._s.call(self._change_one(client, key, apply, log))
        return out

    async def _change_one(
        self,
        client: Any,
        key: str,
        apply: Callable[[dict[str, Any]], dict[str, Any]],
        log: Callable[[str, dict[str, Any], dict[str, Any]], ConsentChange | None],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """WATCH, read, MULTI write: the state and its log share a hash slot, so this is one
        transaction even on a cluster; a concurrent change makes it start over."""
        state_key, log_key = self._key(key, "state"), self._key(key, "log")
        async with self._s.pipe(transaction=True, client=client) as pipe:
            while True:
                try:
                    await pipe.watch(state_key)
                    raw = await pipe.get(state_key)
                    before = orjson.loads(raw) if raw else {}
                    after = apply(before)
                    entry = log(key, before, after)
                    pipe.multi()
                    pipe.set(state_key, orjson.dumps(after))
                    if entry is not None:
                        pipe.rpush(log_key, orjson.dumps(entry.as_dict()))
                    await pipe.execute()
                    break
                except redis_errors.WatchError:
                    continue
        return before, after

    async def delete(self, subject_keys: Sequence[str]) -> int:
        removed = 0
        for key in subject_keys:
            removed += int(await self._s.call(self._s.client.delete(self._key(key, "state"))))
        return removed

    async def consent_log(self, subject_keys: Sequence[str]) -> list[ConsentChange]:
        changes: list[ConsentChange] = []
        for key in subject_keys:
            rows = await self._s.call(self._s.client.lrange(self._key(key, "log"), 0, -1))
            for row in rows:
                raw = orjson.loads(row)
                changes.append(
                    ConsentChange(
                        raw["at"], raw["subject_key"], raw["before"], raw["after"],
                        raw["source"], raw["policy_version"], raw.get("basis", {}),
                        raw.get("notice_version", ""),
                    )
                )  # fmt: skip
        changes.sort(key=lambda c: c.at)
        return changes

    async def purge_log(self, before: float) -> int:
        removed = 0
        subjects = await self._s.call(self._s.client.smembers(self._s.key("clog", "subjects")))
        for subject in subjects:
            key = self._key(subject.decode(), "log")
            while True:
                head = await self._s.call(self._s.client.lindex(key, 0))
                if head is None or orjson.loads(head)["at"] >= before:
                    break
                await self._s.call(self._s.client.lpop(key))
                removed += 1
        return removed
