"""Durations computed by the database, the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement, SQLColumnExpression


def seconds_between(
    start: SQLColumnExpression[Any], end: SQLColumnExpression[Any], sqlite: bool
) -> ColumnElement[Any]:
    """`end - start` in seconds, in SQL (SQLite keeps timestamps as text, PostgreSQL as timestamptz)."""
    if sqlite:
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)
