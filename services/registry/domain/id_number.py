"""The resident ID number (居民身份证号码, GB 11643-1999): parsing and checking."""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError
from stdnum.util import isdigits

from .errors import InvalidIdNumber

LENGTH = 18
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


@dataclass(frozen=True, repr=False)
class ResidentIdNumber:
    """A checked resident ID number and what it tells about its holder."""

    number: str
    area_code: str
    birth_date: date
    sex: str
    # An area code missing from the database is kept for staff to review, not rejected:
    # codes are created, merged and retired over the decades.
    area_code_known: bool

    # No part of the number, so it can never reach a log through an f-string or a repr. Masking
    # for display is chassis.pii.mask_id_number's job, outside the domain.
    def __repr__(self) -> str:
        return f"ResidentIdNumber(area_code_known={self.area_code_known})"

    def __str__(self) -> str:
        return "<resident ID number>"


def parse_id_number(raw: str, today: date) -> ResidentIdNumber:
    """Check a resident ID number as typed and return it parsed; raise InvalidIdNumber if not.

    Uses python-stdnum's parts rather than ``cn.ric.validate``, which rejects a number whose
    area code is younger than its holder (Jindong's 330703 dates from 2000).
    """
    if not isinstance(raw, str):
        raise _invalid("it must be text")
    number = ric.compact("".join(raw.split()))
    if len(number) != LENGTH:
        raise _invalid(f"it must be {LENGTH} characters long, not {len(number)}")
    if not isdigits(number[:-1]) or number[-1] not in "0123456789X":
        raise _invalid("only digits are allowed, except a final X")
    if number[-1] != ric.calc_check_digit(number):
        raise _invalid("check character does not match (ISO 7064 MOD 11-2)")
    try:
        birth_date = ric.get_birth_date(number)
    except ValidationError:
        raise _invalid("the birth date part is not a real date") from None
    if birth_date < EARLIEST_BIRTH_DATE:
        raise _invalid("the birth date part is before 1900")
    if birth_date > today:
        raise _invalid("the birth date part is in the future")
    area_code = number[:6]
    return ResidentIdNumber(
        number=number,
        area_code=area_code,
        birth_date=birth_date,
        sex="male" if int(number[16]) % 2 else "female",
        area_code_known=_is_known_area_code(area_code),
    )


# A few thousand codes exist and the database does not change while we run; the lookup walks
# python-stdnum's tables (a quarter of a millisecond), which an import of many rows felt.
@lru_cache(maxsize=8192)
def _is_known_area_code(area_code: str) -> bool:
    # Known only if every level (province, then county) is in the database.
    return all(props for _, props in numdb.get("cn/loc").info(area_code))


def _invalid(reason: str) -> InvalidIdNumber:
    # The reason never contains the number itself: error texts end up in logs and responses.
    return InvalidIdNumber(f"resident ID number is invalid: {reason}", {"id_number": [reason]})
