"""The privacy office's and operators' HTTP endpoints, behind admin bearer tokens."""
