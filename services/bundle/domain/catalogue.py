"""The catalogue of matters a discharge bundle fans out into, and whether each one applies to a veteran.

The catalogue is configuration (services/bundle/catalogue.yaml, read by the application layer):
provinces list 11 to 15 matters and differ in which. This module only says what a catalogue
line means and checks that one is usable; it decides applicability from facts, never from
anything it reads itself.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import CatalogueInvalid

# Our own services, reached by commands through the outbox; their events complete the matter.
INTERNAL_DEPARTMENTS = ("registry", "placement", "benefits", "employment")
# Other departments' systems: told by an event on bundle.events, answering over HTTP.
EXTERNAL_DEPARTMENTS = ("public_security", "hr_social_security", "medical_insurance",
                        "party_organisation", "armed_forces")
DEPARTMENTS = INTERNAL_DEPARTMENTS + EXTERNAL_DEPARTMENTS

# How each department is named to a veteran (notifications, the portal).
DEPARTMENT_NAMES = {
    "registry": "退役军人事务局（档案）",
    "placement": "退役军人事务局（安置）",
    "benefits": "退役军人事务局（优抚）",
    "employment": "退役军人事务局（就业创业）",
    "public_security": "公安机关",
    "hr_social_security": "人力资源和社会保障局",
    "medical_insurance": "医疗保障局",
    "party_organisation": "党委组织部",
    "armed_forces": "人民武装部",
}

# A matter's steps as the owning service's events report them (catalogue `events:`).
STEPS = ("acknowledged", "in_progress", "done", "refused")
UNITS = ("working_days", "days")


@dataclass(frozen=True)
class Term:
    """How long the department has for a matter: the bureau's promise for the one-stop item.

    Statutory clocks (a card's filing within 30 working days) stay with the service that owns
    the case; this one says when the bundle calls the matter overdue.
    """

    count: int
    unit: str = "working_days"

    def __post_init__(self):
        if self.unit not in UNITS:
            raise CatalogueInvalid(f"a term is counted in {' or '.join(UNITS)}, not {self.unit}")
        if not 1 <= self.count <= 366:
            raise CatalogueInvalid(f"a term of {self.count} {self.unit} is not plausible")


@dataclass(frozen=True)
class EventRule:
    """An owning service's event type and what it means for the matter: its step, and the values
    it must carry to be about this matter (an entitlement event of the disability kind)."""

    step: str
    when: Mapping[str, object] = field(default_factory=dict)

    def matches(self, data: Mapping[str, object]) -> bool:
        return all(data.get(name) == value for name, value in self.when.items())


# Applicability rules: name -> what it checks. The reasons are shown with the bundle.
RULES = {
    "always": "every discharged soldier",
    "party_member": "party members only (the registry's record, or the veteran's statement)",
    "disabled": "disabled veterans only (the disability the veteran states, as at reporting in)",
    "self_employed": "self-employment 自主就业 only (the placement mode chosen or stated)",
}


@dataclass(frozen=True)
class MatterSpec:
    """One line of the catalogue."""

    key: str
    title: str
    department: str
    term: Term
    applies: str = "always"
    # Internal matters: the adapter that sends the command (services/bundle/commands.py), or
    # None when the owning service does the work on its own from what it already follows
    # (the subsidy follows the placement mode chosen).
    command: str | None = None
    # Internal matters: the owning service's event types and the step each one means.
    events: Mapping[str, EventRule] = field(default_factory=dict)
    # Internal matters: the event field naming the owning service's case (its id becomes the
    # matter's reference; later events must name the same case).
    reference_field: str | None = None
    # Matters that must be done before this one's command is sent (the card needs the file to
    # show the discharge); the term runs from the request all the same.
    after: tuple[str, ...] = ()
    # The owning service's answer to the command completes the matter (a file that already
    # holds the discharge appends nothing, so there is no event to wait for).
    done_on_reply: bool = False
    # Refusal codes from the owning service that mean "already done or under way there": the
    # matter is acknowledged and its events complete it.
    already_codes: tuple[str, ...] = ()
    # What the veteran is told to do when the matter is refused without a next step (an internal
    # service's refusal) or runs late.
    next_step: str = "请联系所在退役军人服务站，工作人员会协助您处理。"

    @property
    def internal(self) -> bool:
        return self.department in INTERNAL_DEPARTMENTS

    @property
    def department_name(self) -> str:
        return DEPARTMENT_NAMES[self.department]


@dataclass(frozen=True)
class Catalogue:
    matters: tuple[MatterSpec, ...]

    def __post_init__(self):
        problems = []
        keys = [m.key for m in self.matters]
        if not keys:
            problems.append("the catalogue lists no matter")
        problems += [f"matter {k} is listed twice" for k in sorted(set(keys))
                     if keys.count(k) > 1]
        for m in self.matters:
            if not m.key.replace("_", "").isalnum() or not m.key.islower():
                problems.append(f"matter key {m.key!r}: lower-case letters, digits and _ only")
            if m.department not in DEPARTMENTS:
                problems.append(f"{m.key}: unknown department {m.department!r}")
            if m.applies not in RULES:
                problems.append(f"{m.key}: unknown applicability rule {m.applies!r}")
            if not m.internal and (m.command or m.events or m.done_on_reply):
                problems.append(f"{m.key}: an external department's matter has no command or "
                                "events; the department answers it")
            if m.internal and not (m.events or m.done_on_reply):
                problems.append(f"{m.key}: an internal matter needs the events that complete it "
                                "(or done_on_reply)")
            if m.done_on_reply and not m.command:
                problems.append(f"{m.key}: done_on_reply needs a command")
            problems += [f"{m.key}: event {t} means {r.step!r}, not one of {', '.join(STEPS)}"
                         for t, r in m.events.items() if r.step not in STEPS]
            problems += [f"{m.key}: comes after {a!r}, which is not in the catalogue"
                         for a in m.after if a not in keys or a == m.key]
            if m.after and not m.command:
                problems.append(f"{m.key}: `after` delays a command, and it has none")
        if problems:
            raise CatalogueInvalid("; ".join(problems))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.matters)

    def get(self, key: str) -> MatterSpec | None:
        return next((m for m in self.matters if m.key == key), None)

    def listening_to(self, event_type: str) -> tuple[MatterSpec, ...]:
        """The internal matters an owning service's event type moves."""
        return tuple(m for m in self.matters if event_type in m.events)


# -- applicability ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Facts:
    """What the bundle knows of a veteran when the bundle is submitted: the registry's and
    placement's published facts, and what the veteran states on the form (told once)."""

    discharge_category: str | None = None
    party_member: bool = False
    disabled: bool = False
    placement_mode: str | None = None


@dataclass(frozen=True)
class Applicability:
    applies: bool
    reason_code: str | None = None
    reason: str | None = None


def applicability(spec: MatterSpec, facts: Facts) -> Applicability:
    """Whether the matter applies to this veteran, and if not, why (shown with the bundle)."""
    if spec.applies == "always":
        return Applicability(True)
    if spec.applies == "party_member":
        if facts.party_member:
            return Applicability(True)
        return Applicability(False, "not_party_member",
                             "no party membership on file or stated: nothing to transfer")
    if spec.applies == "disabled":
        if facts.disabled:
            return Applicability(True)
        return Applicability(False, "not_disabled",
                             "no disability stated: there is no disability pension to transfer")
    if spec.applies == "self_employed":
        if facts.placement_mode == "self_employment":
            return Applicability(True)
        if facts.placement_mode is None:
            return Applicability(False, "no_placement_mode",
                                 "no placement mode chosen or stated yet: this is for "
                                 "self-employment 自主就业; once chosen, ask for it again")
        return Applicability(False, "not_self_employed",
                             f"the placement mode is {facts.placement_mode}: this is for "
                             "self-employment 自主就业 only")
    raise CatalogueInvalid(f"unknown applicability rule {spec.applies!r}")
