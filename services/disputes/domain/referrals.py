"""Hardship found in a petition, dispute or proxy case: a referral benefits can act on (帮扶援助)."""

from datetime import date

from .clocks import Decision
from .commands import ReferHardship
from .errors import Problems, one_of, optional_text
from .events import HardshipReferred
from .vocabulary import CaseKind, HardshipTrigger, values


def refer_hardship(cmd: ReferHardship, referral_id: str, source: CaseKind, case, today: date
                   ) -> Decision:
    """A referral on the case's own stream; benefits reads `HardshipReferred` from the bus.

    It names the veteran (the case's, or the one given when the case names none): relief is
    paid to a person on file, so a referral without one could not be acted on.
    """
    problems = Problems()
    one_of(problems, "trigger", cmd.trigger, values(HardshipTrigger))
    veteran_id = case.veteran_id or cmd.veteran_id
    if case.veteran_id and cmd.veteran_id and cmd.veteran_id != case.veteran_id:
        problems.add("veteran_id", "the case names another veteran")
    if not veteran_id:
        problems.add("veteran_id", "the case names no veteran: say whose hardship it is")
    problems.raise_if_any()
    case_id = {CaseKind.PETITION: "petition_id", CaseKind.DISPUTE: "dispute_id",
               CaseKind.PROXY_CASE: "proxy_case_id"}[source]
    return Decision([HardshipReferred(referral_id, source.value, getattr(case, case_id),
                                      veteran_id, case.service_station, cmd.trigger,
                                      optional_text(cmd.note), today)])
