"""Post quotas: the posts a unit offers for placements, each position offered to one case at a time."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from . import events as ev
from .commands import RegisterPostQuota
from .errors import InvalidPlacementData, PostUnavailable
from .vocabulary import PostKind

POST_KINDS = frozenset(k.value for k in PostKind)
MAX_POSITIONS = 1000


def register_post_quota(cmd: RegisterPostQuota, post_id: str) -> list[ev.Event]:
    problems: dict[str, list[str]] = {}
    for name in ("unit", "title"):
        if not getattr(cmd, name).strip():
            problems[name] = ["is required"]
    if cmd.post_kind not in POST_KINDS:
        problems["post_kind"] = ["must be one of " + ", ".join(sorted(POST_KINDS))]
    if not 1 <= cmd.positions <= MAX_POSITIONS:
        problems["positions"] = [f"must be 1 to {MAX_POSITIONS}"]
    if not 2000 <= cmd.year <= 2100:
        problems["year"] = ["must be a year from 2000 to 2100"]
    if problems:
        raise InvalidPlacementData("the post quota is not valid", problems)
    return [ev.PostQuotaRegistered(post_id=post_id, unit=cmd.unit.strip(),
                                   post_kind=cmd.post_kind, title=cmd.title.strip(),
                                   year=cmd.year, positions=cmd.positions)]


@dataclass
class PostQuota:
    post_id: str
    unit: str
    post_kind: str
    title: str
    year: int
    positions: int
    version: int = 0
    # case id -> "offered" | "filled": the positions taken, one case each.
    holders: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_events(cls, events: Iterable[ev.Event]) -> PostQuota:
        quota = None
        for event in events:
            if isinstance(event, ev.PostQuotaRegistered):
                quota = cls(event.post_id, event.unit, event.post_kind, event.title, event.year,
                            event.positions)
            elif isinstance(event, ev.PostHeld):
                quota.holders[event.case_id] = "offered"
            elif isinstance(event, ev.PostFilled):
                quota.holders[event.case_id] = "filled"
            elif isinstance(event, ev.PostReleased):
                quota.holders.pop(event.case_id, None)
            quota.version += 1
        if quota is None:
            raise ValueError("a post quota starts with PostQuotaRegistered")
        return quota

    @property
    def free(self) -> int:
        return self.positions - len(self.holders)

    def hold(self, case_id: str) -> list[ev.Event]:
        """Offer one position to `case_id`: refused when every position is offered or filled."""
        if case_id in self.holders:
            raise PostUnavailable("this post is already offered to this case")
        if self.free <= 0:
            raise PostUnavailable(f"every position of this post ({self.positions}) is offered "
                                  "or filled", {"post_id": ["no free position"]})
        return [ev.PostHeld(post_id=self.post_id, case_id=case_id)]

    def fill(self, case_id: str) -> list[ev.Event]:
        if self.holders.get(case_id) != "offered":
            raise PostUnavailable("this post is not offered to this case")
        return [ev.PostFilled(post_id=self.post_id, case_id=case_id)]

    def release(self, case_id: str, reason: str) -> list[ev.Event]:
        if case_id not in self.holders:
            return []
        return [ev.PostReleased(post_id=self.post_id, case_id=case_id, reason=reason)]
