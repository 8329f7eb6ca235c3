"""Checks shared by the employment decisions: collect every problem, then refuse once."""
from __future__ import annotations

import unicodedata
from datetime import date

from .errors import InvalidEmploymentData
from .vocabulary import MAX_TAG_LENGTH


class Problems:
    """Every problem with a command, by field, so the refusal lists them all at once."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, problem: str) -> None:
        self.fields.setdefault(field, []).append(problem)

    def raise_if_any(self, message: str = "the request is not valid") -> None:
        if self.fields:
            raise InvalidEmploymentData(message, self.fields)


def required_text(problems: Problems, field: str, value: str | None, max_length: int = 100) -> str:
    text = (value or "").strip()
    if not text:
        problems.add(field, "is required")
    elif len(text) > max_length:
        problems.add(field, f"must be at most {max_length} characters")
    return text


def optional_text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def not_in_future(problems: Problems, field: str, value: date, today: date) -> None:
    if value > today:
        problems.add(field, "must not be in the future")


def tag(value: str) -> str:
    """A requirement or skill as matching compares them: NFKC (full-width letters and digits to
    half-width, so ＣＩ and C1 are one licence), spaces trimmed, letters in one case."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def tags(problems: Problems, field: str, values, max_count: int) -> tuple[str, ...]:
    """Distinct tags in their first spelling order; blanks dropped."""
    seen: dict[str, None] = {}
    for value in values or ():
        text = tag(value)
        if len(text) > MAX_TAG_LENGTH:
            problems.add(field, f"each must be at most {MAX_TAG_LENGTH} characters")
        elif text:
            seen.setdefault(text)
    if len(seen) > max_count:
        problems.add(field, f"must list at most {max_count}")
    return tuple(seen)


def fen(problems: Problems, field: str, value: int | None, maximum: int,
        minimum: int = 0) -> None:
    """Money is integer fen: a float or an amount out of range is refused."""
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        problems.add(field, "must be a whole number of fen")
    elif value < minimum or value > maximum:
        problems.add(field, f"must be between {minimum} and {maximum} fen")
