"""`gateway.config` must be imported before `gateway.destinations`: the config loader imports
the adapters' config models, and the adapters import the config schema, so importing an
adapter module first fails on the circular import."""

import gateway.config  # noqa: F401
