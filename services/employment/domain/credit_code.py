"""The unified social credit code (统一社会信用代码, GB 32100-2015), checked with python-stdnum."""
from __future__ import annotations

from dataclasses import dataclass

from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc

from .errors import InvalidEmploymentData

# The second character under the market regulator (authority 9): 1 enterprise, 2 individual
# business (个体工商户), 3 farmers' cooperative.
_MARKET_REGULATOR = "9"
_INDIVIDUAL_BUSINESS = "2"


@dataclass(frozen=True)
class CreditCode:
    value: str
    authority: str    # the registering authority (9: market regulation)
    entity_type: str
    region: str       # the administrative division code, e.g. 330703 for Jindong

    @property
    def individual_business(self) -> bool:
        """个体工商户: its name and code often name a person, so they are not published."""
        return self.authority == _MARKET_REGULATOR and self.entity_type == _INDIVIDUAL_BUSINESS


def parse_credit_code(text: str) -> CreditCode:
    """The code in its standard form, or InvalidEmploymentData saying what is wrong with it."""
    try:
        value = uscc.validate(text or "")
    except stdnum_errors.InvalidLength:
        problem = "must be 18 characters"
    except stdnum_errors.InvalidFormat:
        problem = ("must be 8 digits then 10 digits or capital letters other than I, O, Z, S "
                   "and V")
    except stdnum_errors.InvalidChecksum:
        problem = "has a wrong check character (a typing error?)"
    else:
        return CreditCode(value, value[0], value[1], value[2:8])
    raise InvalidEmploymentData("the unified social credit code is not valid",
                                {"credit_code": [problem]})
