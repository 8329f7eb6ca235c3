"""Social care services 社会化服务 for priority beneficiaries: each service received, its own stream."""

from dataclasses import dataclass
from datetime import date

from .case import Actor, Case, Clocks, VeteranFacts, not_after, one_of, text
from .errors import Problems
from .events import Event, SocialCareProvided
from .vocabulary import SOCIAL_CARE_SERVICES

PROVIDED = "provided"


@dataclass(frozen=True)
class RecordSocialCare:
    veteran: VeteranFacts
    service: str
    provided_on: date
    provider: str
    actor: Actor


def record_social_care(cmd: RecordSocialCare, care_id: str, today: date) -> list[Event]:
    problems = Problems()
    service = one_of(problems, "service", cmd.service, SOCIAL_CARE_SERVICES)
    not_after(problems, "provided_on", cmd.provided_on, today)
    provider = text(problems, "provider", cmd.provider)
    problems.raise_if_any()
    return [SocialCareProvided(
        care_id=care_id, veteran_id=cmd.veteran.veteran_id, station=cmd.veteran.station,
        township=cmd.veteran.township, service=service, provided_on=cmd.provided_on,
        provider=provider, recorded_by=cmd.actor.subject)]


class SocialCare(Case):
    what = "social care service"

    def _on_SocialCareProvided(self, e: SocialCareProvided) -> None:
        self.state, self.veteran_id, self.station = PROVIDED, e.veteran_id, e.station

    def clocks(self, events: list[Event]) -> Clocks:
        return Clocks()
