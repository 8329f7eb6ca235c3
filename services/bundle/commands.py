"""The commands the bundle sends our own services for their matters: which RPC, with what, as whom.

Each adapter builds one outbox command from the bundle (what the veteran stated once, where they
are) and the references other matters got (the placement case a mode is chosen on). The
catalogue names adapters by key (`command: report_in`); the RPC conventions are the services'
own: a route's `method(params, body, query, caller)`, or the registry's file commands
`method(veteran_id, payload, actor=...)`. The bundle acts as an internal system actor: subject
`bundle`, the role the receiving service's rules expect of whoever does this step, district-wide.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from chassis.caller import Caller

ACTOR = "system:bundle"
# The facts placement's report-in takes as stated; the rest it takes from the registry.
REPORT_IN_FACTS = ("rank_class", "years_of_service", "age_at_discharge", "honours", "disability",
                   "martyr_child")


@dataclass(frozen=True)
class CommandContext:
    bundle_id: str
    veteran_id: str
    station: str
    township: str
    form: dict
    facts: dict
    references: dict[str, str | None] = field(default_factory=dict)
    today: date | None = None


@dataclass(frozen=True)
class Call:
    """One RPC: positional args and keyword args as the receiving method takes them."""

    args: list
    kwargs: dict


@dataclass(frozen=True)
class Adapter:
    service: str
    method: str
    convention: str  # "route": method(params, body, query, caller); "file": the registry's
    build: Callable[[CommandContext], Call]
    # Refusal codes that mean "not yet" rather than "no" (the service has not followed the
    # registry's event about this veteran yet): sent again after a wait, up to the attempts.
    retry_codes: tuple[str, ...] = ("not_found",)


def system_caller(role: str) -> dict:
    """The bundle as the caller of a route: reaches the whole district, acts in `role`."""
    return Caller(subject="bundle", roles=(role,), actor=ACTOR, district=True,
                  purpose="discharge bundle 军人退役一件事").as_dict()


def _route(params: dict, body: dict, role: str) -> Call:
    return Call([params, body, None, system_caller(role)], {})


def _report_in(c: CommandContext) -> Call:
    body = {"veteran_id": c.veteran_id, "discharge_approved_on": c.form["discharge_approved_on"],
            "service_station": c.station, "township": c.township}
    body.update({k: c.form[k] for k in REPORT_IN_FACTS if c.form.get(k) is not None})
    return _route({}, body, "placement_officer")


def _record_discharge(c: CommandContext) -> Call:
    payload = {"discharged_on": c.form.get("discharged_on") or c.form["discharge_approved_on"],
               "discharge_category": c.facts.get("discharge_category") or "discharged_soldier"}
    return Call([c.veteran_id, payload], {"actor": ACTOR})


def _apply_card(c: CommandContext) -> Call:
    return _route({}, {"veteran_id": c.veteran_id, "category": "veteran"}, "benefits_officer")


def _choose_placement_mode(c: CommandContext) -> Call:
    return _route({"case_id": c.references.get("reporting_in")},
                  {"mode": c.form["placement_mode"]}, "placement_officer")


def _apply_disability_pension(c: CommandContext) -> Call:
    disability = c.form.get("disability") or {}
    return _route({}, {"veteran_id": c.veteran_id, "kind": "disability_pension",
                       "nature": disability.get("nature"), "grade": disability.get("grade")},
                  "benefits_officer")


ADAPTERS: dict[str, Adapter] = {
    "report_in": Adapter("placement", "report_in", "route", _report_in),
    "record_discharge": Adapter("registry", "record_discharge", "file", _record_discharge),
    "apply_card": Adapter("benefits", "apply_card", "route", _apply_card),
    "choose_placement_mode": Adapter("placement", "choose_placement_mode", "route",
                                     _choose_placement_mode),
    "apply_disability_pension": Adapter("benefits", "apply_entitlement", "route",
                                        _apply_disability_pension),
}
# What an adapter needs from another matter before it can be built (the case a mode is chosen
# on): the catalogue's `after` must name these, checked when the catalogue is read.
NEEDS: dict[str, tuple[str, ...]] = {"choose_placement_mode": ("reporting_in",)}
