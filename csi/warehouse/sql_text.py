"""SQL text built from our own values (declarations, vocabularies), never from data: data always
travels as bound parameters."""

from __future__ import annotations


def literal(text: str) -> str:
    """A SQL string literal of our own text (declarations, reason vocabulary), never of data."""
    return "'" + text.replace("'", "''") + "'"
