"""One event's journey from a parsed request to its outbox items: stamp, de-duplicate,
enrich, judge, route. The HTTP edge, `gateway explain` and `/admin/explain` all call it."""
