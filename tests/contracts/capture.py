"""What the SDK contract tests compare: a recorded request's method, path, query, credentials and the
names of every JSON field it sends, and the SDK modules themselves (a missing one is a skip that says so).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from tests.fakes.server import Recorded

# Headers that carry a credential or pin an API version; both sides use the same key, so values compare.
AUTH_HEADERS = ("authorization", "x-goog-api-key", "xi-api-key", "x-runway-version")
_UPPER = re.compile(r"_([a-z0-9])")


def sdk(name: str) -> ModuleType:
    """The SDK module, or a skip naming the missing install."""
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.skip(f"not installed: {name} (pip install -e '.[test]')")


def camel(name: str) -> str:
    """A protobuf field's JSON name (lowerCamelCase) from either of its spellings."""
    return _UPPER.sub(lambda m: m.group(1).upper(), name)


def field_names(value: Any, *, proto: bool = False, prefix: str = "") -> frozenset[str]:
    """Every key path in a JSON value, e.g. `response_format.json_schema.name` (list items as `[]`).

    With `proto`, a name's snake_case and lowerCamelCase spellings count as one: Google's APIs read
    both (protobuf's JSON mapping), and google-genai sends some nested fields one way, some the other.
    """
    names: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}{camel(key) if proto else key}"
            names.add(path)
            names |= field_names(item, proto=proto, prefix=f"{path}.")
    elif isinstance(value, list):
        for item in value:
            names |= field_names(item, proto=proto, prefix=f"{prefix.rstrip('.')}[].")
    return frozenset(names)


@dataclass(frozen=True)
class Shape:
    """What must agree between the SDK's request and the adapter's for the same operation."""

    method: str
    path: str
    query: frozenset[str]
    auth: tuple[tuple[str, str], ...]
    fields: frozenset[str]


def shape(request: Recorded, *, proto: bool = False) -> Shape:
    """The request's method, path, query parameter names, credential headers and JSON field names."""
    body = request.json() if request.body else None
    return Shape(
        method=request.method,
        path=request.path,
        query=frozenset(request.query),
        auth=tuple((name, request.headers[name]) for name in AUTH_HEADERS if name in request.headers),
        fields=field_names(body, proto=proto),
    )
