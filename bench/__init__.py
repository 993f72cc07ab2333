"""`make bench`: the gateway's speed against a bare Starlette endpoint, in one run.

`python -m bench` measures ingest under wrk (bare endpoint, gateway on SQLite and, when the
backend exists, on Redis; single events and batches of 50; 1 and 2 uvicorn processes), the
policy stage in-process on 1/8/32 KiB events, and the delivery worker draining a preloaded
outbox into a loopback receiver. `python -m bench.profile [--batch]` shows where the ingest
CPU goes. Results are also written to bench/results/<timestamp>.json (git-ignored).
"""
