"""The marketing console (/console) and its JSON API (/admin/api)."""
