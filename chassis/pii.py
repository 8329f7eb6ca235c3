"""Masking of personal data (resident ID numbers, phones, addresses) before anything is logged."""
from __future__ import annotations

import re
from typing import Any

# An 18-character resident ID number or a mainland mobile/landline number anywhere in a string.
# Matched loosely on purpose: masking a harmless 18-digit string costs nothing, leaking costs much.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-?(\d{7,8})(?!\d)")

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
    text = _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _LANDLINE.sub(lambda m: m.group(1) + "-****" + m.group(2)[-2:], text)


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
