"""The registry's words: discharge categories, life stages, survivor ties and the limits the rules use."""

import re
from enum import StrEnum


class DischargeCategory(StrEnum):
    """How a veteran left the forces; decides placement and benefits later on."""

    DISCHARGED_SOLDIER = "discharged_soldier"  # 退役士兵
    TRANSFERRED_OFFICER = "transferred_officer"  # 转业干部
    TRANSFERRED_NCO = "transferred_nco"  # 转业士官
    RETIRED_OFFICER = "retired_officer"  # 退休干部
    DEMOBILISED = "demobilised"  # 复员干部


class LifeStage(StrEnum):
    """The five life stages the bureau serves, in the order a veteran lives them."""

    ENLISTMENT = "enlistment"  # 入伍
    SERVICE = "service"  # 服役
    DISCHARGE = "discharge"  # 退役
    EMPLOYMENT = "employment"  # 就业
    PREFERENTIAL = "preferential"  # 优待


class SurvivorTie(StrEnum):
    """Which of the three survivor families (三属) a veteran's family belongs to."""

    MARTYR = "martyr"  # 烈士遗属
    DIED_ON_DUTY = "died_on_duty"  # 因公牺牲军人遗属
    DIED_OF_ILLNESS = "died_of_illness"  # 病故军人遗属


# Plain strings, because that is how the values travel in events and messages.
DISCHARGE_CATEGORIES = frozenset(c.value for c in DischargeCategory)
LIFE_STAGES = tuple(s.value for s in LifeStage)
SURVIVOR_TIES = frozenset(t.value for t in SurvivorTie)
SEXES = frozenset({"male", "female"})

# The Military Service Law conscripts at 18 (volunteers at 17), but older files include
# cadets and art-troupe members who joined at 16; anything younger is a data-entry error.
MIN_ENLISTMENT_AGE = 16
# The Party constitution admits members from the age of 18.
MIN_PARTY_AGE = 18

MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")
PHONE_PROBLEM = (
    "must be a mainland mobile number (11 digits starting 13-19) "
    "or a landline with its area code, like 0579-82345678"
)
