"""Checks shared by the registry's decisions: every problem collected, so a clerk fixes all at once."""

from datetime import date, datetime

from .errors import InvalidVeteranData
from .vocabulary import DISCHARGE_CATEGORIES, LANDLINE, LIFE_STAGES, MOBILE, PHONE_PROBLEM, DischargeCategory


class _Problems:
    """Collects every problem with a command, so the clerk can fix them all in one go."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, field_name: str, problem: str) -> None:
        self.fields.setdefault(field_name, []).append(problem)

    def raise_if_any(self) -> None:
        # Field names only: the values may be personal data.
        if self.fields:
            raise InvalidVeteranData(
                f"invalid veteran data in: {', '.join(self.fields)}", self.fields
            )


def _required_text(problems: _Problems, field_name: str, value: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        problems.add(field_name, "is required")
    return text


def _optional_text(value: str | None) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _normalised_phone(problems: _Problems, phone: str | None) -> str | None:
    if phone is None:
        return None
    number = "".join(phone.split()) if isinstance(phone, str) else ""
    if MOBILE.fullmatch(number) or LANDLINE.fullmatch(number):
        return number
    problems.add("phone", PHONE_PROBLEM)
    return None


def _check_category(problems: _Problems, category: str) -> None:
    if category not in DISCHARGE_CATEGORIES:
        problems.add(
            "discharge_category", f"must be one of: {', '.join(c.value for c in DischargeCategory)}"
        )


def _is_past_date(problems: _Problems, field_name: str, value: date, today: date) -> bool:
    """True if value is a date not after today; otherwise notes the problem."""
    # A datetime is a date subclass that cannot be compared with a date, so it is refused.
    if not isinstance(value, date) or isinstance(value, datetime):
        problems.add(field_name, "must be a date")
        return False
    if value > today:
        problems.add(field_name, "must not be in the future")
        return False
    return True


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # Someone born on 29 February comes of age on 1 March in a common year.
        return date(day.year + years, 3, 1)


def _later_stage(current: str, candidate: str) -> str:
    # Life stages only move forward: correcting a discharge must not undo later stages.
    return max(current, candidate, key=LIFE_STAGES.index)


def _check_effective_on(problems: _Problems, value: date | None, today: date,
                        birth_date: date | None) -> None:
    """An effective date is a past or present day of the person's life (None: today)."""
    if value is None:
        return
    if _is_past_date(problems, "effective_on", value, today) and birth_date and value < birth_date:
        problems.add("effective_on", "must not be before the birth date")


def _redates(effective_on: date | None, today: date) -> bool:
    """A change stated for a past day is recorded even when the file already shows its values:
    it says since when they hold (docs/history.md), which the file in effect on that day may not."""
    return effective_on is not None and effective_on < today
