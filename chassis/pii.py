"""Masking of personal data (resident ID numbers, phones, addresses) before anything is logged."""
from __future__ import annotations

import re
from typing import Any

# An 18-character resident ID number or a mainland mobile/landline number anywhere in a string.
# Matched loosely on purpose: masking a harmless 18-digit string costs nothing, leaking costs much.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
# Phones as people type them: +86 or 0086 in front, spaces, dots or dashes between digits, the
# area code in brackets. Every digit of the match is taken, then re-shown masked.
_SEP = r"[ .\-\u00a0]?"
_MOBILE = re.compile(rf"(?<!\d)(?:(?:\+|00)86{_SEP})?1{_SEP}[3-9](?:{_SEP}\d){{9}}(?!\d)")
_LANDLINE = re.compile(
    rf"(?<!\d)(?:(?:\+|00)86{_SEP})?(?:\((0\d{{2,3}})\)|(0\d{{2,3}})){_SEP}"
    rf"(\d(?:{_SEP}\d){{6,7}})(?!\d)")

PERSONAL_KEYS = frozenset({"id_number", "phone", "address", "resident_id_number", "mobile"})


def mask_id_number(number: str) -> str:
    """The one way an ID number is shown masked (lists, logs): the first 4 and last 4 characters
    of an 18-character number; anything shorter or longer is hidden whole, so a malformed number
    never shows more than a well-formed one."""
    if len(number) != 18:
        return "*" * len(number)
    return number[:4] + "*" * 10 + number[-4:]


def mask_text(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _MOBILE.sub(_masked_mobile, text)
    return _LANDLINE.sub(_masked_landline, text)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _masked_mobile(match: re.Match) -> str:
    digits = _digits(match.group(0))[-11:]  # without the country code
    return digits[:3] + "****" + digits[-4:]


def _masked_landline(match: re.Match) -> str:
    area = match.group(1) or match.group(2)
    written_apart = match.group(1) is not None or not match.group(0).endswith(
        area + match.group(3))
    if not written_apart:
        # 01012345678: the area code's length is a guess (010 or 0101), so show only what every
        # area code has: three digits.
        area = area[:3]
    return area + "-****" + _digits(match.group(3))[-2:]


def mask(value: Any, key: str | None = None) -> Any:
    """Mask personal data in a log value, recursing into dicts and lists."""
    if key is not None and key.lower() in PERSONAL_KEYS and value not in (None, ""):
        return "***"
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    if isinstance(value, BaseException):
        return mask_text(repr(value))
    return value
