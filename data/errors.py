"""The one-line form of an exception, for the one-line messages every user-caused failure gives."""

from __future__ import annotations


def first_line(error: BaseException, limit: int = 200) -> str:
    """``"TypeName: first line of the message"`` (just the type name for an empty message), cut at ``limit``
    characters: what a one-line error quotes of an exception it wraps."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {line}"[:limit] if line else type(error).__name__
