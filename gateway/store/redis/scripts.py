"""Lua scripts: each runs atomically on the server, so a request's payloads, its dedupe
markers and its stream entries are written all or not at all."""

# KEYS: n dedupe keys, then one stream key per item.
# ARGV: now, window, n, then n message ids (one per dedupe key), then per item: message id, data.
ENQUEUE = """
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local skipped = {}
local duplicates = {}
for i = 1, n do
  local ok = redis.call('SET', KEYS[i], '1', 'NX', 'EX', window)
  if not ok then
    -- Rewritten as it was (same value and TTL): this write replicates, so a WAIT after a
    -- retry also covers the first attempt's writes, which replicas receive in order.
    redis.call('SET', KEYS[i], '1', 'XX', 'KEEPTTL')
    skipped[ARGV[3 + i]] = true
    table.insert(duplicates, ARGV[3 + i])
  end
end
local base = 3 + n
local items = #KEYS - n
for j = 1, items do
  local message_id = ARGV[base + 2 * j - 1]
  if not skipped[message_id] then
    redis.call('XADD', KEYS[n + j], '*', 'd', ARGV[base + 2 * j])
  end
end
return duplicates
"""

# KEYS: retry zset, stream, born zset. ARGV: now, limit. Moves due retries back into the
# stream (and out of the oldest-age index, which covers only entries waiting for a retry).
PROMOTE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'd', member)
  redis.call('ZREM', KEYS[1], member)
  local ok, item = pcall(cjson.decode, member)
  if ok and type(item) == 'table' and item.idempotency_key then
    redis.call('ZREM', KEYS[3], item.idempotency_key)
  end
end
return #due
"""

# A retry or a dead letter, only by the worker that still holds the entry: once its lease
# ran out and another worker took the entry over (XAUTOCLAIM), the late one's verdict would
# queue a second copy of a message the new holder may already have delivered.
# KEYS: stream, target (retry zset or dead stream), born zset.
# ARGV: group, entry id, consumer, 'retry' or 'dead', data, due time, idempotency key, created.
# If the group itself is gone (Redis restarted without its data: NOGROUP), nobody can hold
# the entry and the payload exists only in this worker, so the verdict is recorded.
SETTLE = """
local ok, held = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if ok and #held == 0 then
  return 0
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if ARGV[4] == 'retry' then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
  redis.call('ZADD', KEYS[3], ARGV[8], ARGV[7])
else
  redis.call('XADD', KEYS[2], '*', 'd', ARGV[5])
end
return 1
"""

# GCRA (generic cell rate algorithm), for one bucket or several in order. KEYS: buckets
# (one hash tag). ARGV: rate (/s), burst, cost per bucket (cost: tokens taken; 0 only
# checks that one is there; above burst it passes on a full bucket, in debt). Returns
# seconds to wait as a string, for the first bucket that must wait (those before it stay
# taken, the rest are not looked at); "0" when all were allowed. Time is the server's,
# so nodes whose clocks disagree still share one bucket fairly (scripts replicate their
# effects, so TIME is allowed here).
GCRA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
for i = 1, #KEYS do
  local interval = 1 / tonumber(ARGV[3 * i - 2])
  local burst = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i])
  local need = math.min(math.max(cost, 1), burst)
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local allow_at = tat - (burst - need) * interval
  if now < allow_at then
    return string.format('%.6f', allow_at - now)
  end
  if cost > 0 then
    local new_tat = tat + cost * interval
    redis.call('SET', KEYS[i], string.format('%.6f', new_tat), 'PX',
               math.ceil((new_tat - now) * 1000) + 1000)
  end
end
return "0"
"""

# KEYS: dead-letter stream, outbox stream. ARGV: dead entry id, data. 1 when moved.
REPLAY = """
if redis.call('XDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('XADD', KEYS[2], '*', 'd', ARGV[2])
  return 1
end
return 0
"""
