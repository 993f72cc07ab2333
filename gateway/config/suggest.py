"""The nearest known key for an unknown one, so `gateway check` can say what was meant:
`unknown key "contry" (did you mean "country"?)`."""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel


def nearest(unknown: str, known: Iterable[str]) -> str | None:
    """The closest of `known`, if close enough to be a typo."""
    found = difflib.get_close_matches(unknown, sorted(set(known)), n=1, cutoff=0.75)
    return found[0] if found else None


def did_you_mean(unknown: str, known: Iterable[str]) -> str:
    """` (did you mean "x"?)`, or nothing when no known key is close."""
    match = nearest(unknown, known)
    return f' (did you mean "{match}"?)' if match else ""


def keys_at(model: type[BaseModel], loc: Sequence[int | str]) -> set[str]:
    """The keys the models allow in the mapping at `loc` (a pydantic error location, union
    tags included), across every union member that could be meant."""
    candidates: list[Any] = [model]
    for part in loc:
        candidates = [step for c in candidates for step in _step(c, part)]
    return {name for c in candidates for name in _fields(c)}


def _members(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or isinstance(annotation, types.UnionType):
        return [m for a in get_args(annotation) for m in _members(a)]
    return [annotation]


def _step(annotation: Any, part: int | str) -> list[Any]:
    out: list[Any] = []
    for member in _members(annotation):
        origin = get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            field = member.model_fields.get(str(part))
            # A part that is no field is a union tag (e.g. "redis"): stay on this model.
            out += _members(field.annotation) if field is not None else [member]
        elif origin in (list, tuple, set, frozenset) and isinstance(part, int):
            out += _members(get_args(member)[0])
        elif origin is dict and isinstance(part, str):
            out += _members(get_args(member)[1])
    return out


def _fields(annotation: Any) -> list[str]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []
