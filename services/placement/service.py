"""Placement's nameko shell: an RPC per route, the registry subscription, the clocks; errors put on the wire."""
from __future__ import annotations

import functools
import uuid

import structlog
from nameko.extensions import DependencyProvider

from chassis import refusals
from chassis.caller import Caller
from chassis.clock import SYSTEM_CLOCK
from chassis.consumer import subscribe
from chassis.deadlines import Deadlines, deadlines_for
from chassis.envelope import Metadata, RecordedEvent
from chassis.nameko_deps import CallContext, EventStore, Inbox, WorkerLog
from chassis.on_a_day import clocks_on
from chassis.projection import ProjectionRunner
from chassis.report_facts import figures_rpc
from chassis.rpc import rpc
from contracts import access, instance
from contracts import placement as contract
from contracts.registry import on_a_day
from services.placement import handlers, queries, registry_facts, report
from services.placement.domain.case import desk_statuses
from services.placement.domain.commands import AmendFacts, RegisterPostQuota, ReportIn
from services.placement.domain.errors import CaseNotFound, PlacementError
from services.placement.domain.facts import Disability, Honour
from services.placement.projections import PROJECTIONS
from services.placement.standards import StandardsInvalid, load_standards

log = structlog.get_logger("vetlife.placement")


# Every refusal becomes the ServiceError code the gateway maps to one HTTP status.
on_the_wire = refusals.on_the_wire(PlacementError, unavailable={
    StandardsInvalid: "placement's standards table cannot be read"})


class StandardsTable(DependencyProvider):
    """The yearly standards (PLACEMENT_STANDARDS in the config, else the shipped table), read
    when the worker needs them: a corrected file takes effect without a restart."""

    def get_dependency(self, worker_ctx):
        return functools.partial(load_standards, self.container.config.get("PLACEMENT_STANDARDS"))


def _uuid(value: str, what: str = "placement case") -> str:
    """Only a canonical UUID names a case: anything else is one that does not exist."""
    try:
        canonical = str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise CaseNotFound(f"no {what} with this id") from None
    if canonical != value:
        raise CaseNotFound(f"no {what} with this id")
    return canonical


def _granted(caller: Caller):
    """Whether the caller's roles run an operation (contracts/access.py, the gateway's rule)."""
    return lambda operation: bool(access.grants(operation, caller.roles))


def _honours(values) -> tuple[Honour, ...] | None:
    return None if values is None else tuple(Honour(**h) for h in values)


def _disability(value) -> Disability | None:
    return None if value is None else Disability(**value)


# The steps that change one case and nothing else: name -> the decision, from the request's
# data, today and the standards table. The RPC methods below are made from this table.
SIMPLE_STEPS = {
    "record_late_reason": lambda d, today, std: lambda c: c.record_late_reason(d["reason"], today),
    "choose_placement_mode": lambda d, today, std: lambda c: c.choose_mode(d["mode"], today, std),
    "score_placement_case": lambda d, today, std: lambda c: c.score(d["points"], today),
    "issue_referral_letter": lambda d, today, std: lambda c: c.issue_referral_letter(
        d["letter_number"], d["issued_on"], today),
    "record_on_post": lambda d, today, std: lambda c: c.record_on_post(d["on_post_on"], today),
    "record_contract": lambda d, today, std: lambda c: c.record_contract(
        d["signed_on"], d.get("term_years"), d["open_ended"], today),
    "pay_subsidy": lambda d, today, std: lambda c: c.pay_subsidy(d["paid_on"], d["reference"],
                                                                 today),
    "hand_over_to_employment": lambda d, today, std: lambda c: c.hand_over_to_employment(today),
    "assign_transfer": lambda d, today, std: lambda c: c.assign_transfer(
        d["method"], d["planned_kind"], today),
    "record_placement": lambda d, today, std: lambda c: c.record_placement(
        d["post_kind"], d["unit"], d["placed_on"], today),
    "close_placement_case": lambda d, today, std: lambda c: c.close(today),
    "amend_placement_facts": lambda d, today, std: lambda c: c.amend_facts(AmendFacts(
        **{k: v for k, v in d.items() if k not in ("honours", "disability")},
        honours=_honours(d.get("honours")), disability=_disability(d.get("disability")),
        no_disability="disability" in d and d["disability"] is None)),
}
ROUTES = {route.name: route for route in contract.ROUTES}


class PlacementService:
    """安置: reporting in, placement cases, post quotas and placement rates."""

    name = "placement"

    store = EventStore(upcast=contract.upcast)
    # Its part of the bureau's figures (chassis/report_facts.py, docs/figures.md).
    report_figures = figures_rpc(report.facts)
    inbox = Inbox()
    deadlines = Deadlines()
    standards = StandardsTable()
    context = CallContext()
    log = WorkerLog()
    # "Today" for every decision; the deadline runner keeps its own (Deadlines(clock=...)).
    clock = SYSTEM_CLOCK

    # -- plumbing ---------------------------------------------------------------------------------

    def _meta(self, caller: Caller) -> Metadata:
        return Metadata(correlation_id=caller.correlation_id or self.context["correlation_id"],
                        causation_id=caller.command_id, actor=caller.actor)

    def _command(self, caller: Caller) -> dict:
        """What every case step passes to the handler: who, their reach, If-Match, the key."""
        return {"command_id": caller.command_id, "expected_version": caller.expected_version,
                "reach": caller.reaches}

    def _project(self) -> None:
        # Caught up when read, as the registry's list is: commands stay one commit each.
        for projection in PROJECTIONS.values():
            try:
                ProjectionRunner(self.store, projection).catch_up()
            except Exception as exc:  # noqa: BLE001 - the next read catches up
                log.warning("placement.projection_lagging", projection=projection.name,
                            error=type(exc).__name__)

    @staticmethod
    def _load(route: str, payload) -> dict:
        schema = ROUTES[route].request
        return instance(schema).load(payload or {}) if schema is not None else {}

    @staticmethod
    def _accepted(accepted: handlers.Accepted) -> dict:
        return instance(contract.PlacementCaseAccepted).dump(accepted)

    # -- reporting in and reading cases -----------------------------------------------------------

    @rpc
    @on_the_wire
    def report_in(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = self._load("report_in", body)
        cmd = ReportIn(**{**data, "honours": _honours(data.get("honours")),
                          "disability": _disability(data.get("disability"))})
        accepted = handlers.report_in(self.store, cmd, self._meta(caller), self.clock,
                                      caller.command_id, caller.reaches)
        return self._accepted(accepted)

    def _case(self, case_id: str, caller: Caller, recorded=None):
        """The case, if the caller reaches it; one out of reach is answered as none at all."""
        if recorded is None:
            recorded = self.store.read_stream(_uuid(case_id))
        case = handlers.case_from(recorded)
        if not caller.reaches(case.veteran_id, case.service_station):
            raise CaseNotFound("no placement case with this id")
        return case

    @rpc
    @on_the_wire
    def get_placement_case(self, params, body, query, caller, as_of=None,
                           effective_on=None) -> dict:
        """The case now, or as it stood on a day (`as_of`, `effective_on`: docs/history.md):
        its events up to that day, folded as a command folds them."""
        caller = Caller.from_dict(caller)
        case_id = _uuid(params["case_id"])
        day = on_a_day(as_of, effective_on)
        recorded = self.store.read_stream(case_id)
        if day is not None:
            recorded = day.events(recorded)
        case = self._case(case_id, caller, recorded)
        if day is None:
            deadlines, today = deadlines_for(self.store.db, case_id, self.clock), self.clock.today()
        else:
            # The clocks' rows hold their state now, not then: the clocks on the day are
            # replayed from the case's own events up to it.
            deadlines = clocks_on(handlers.clock_steps(recorded), day.instant(self.clock.now()))
            today = day.day
        view = queries.case_view(case, recorded, deadlines, self.standards(), today)
        # What the caller may do next (a page shows only these steps' forms); a case as it
        # stood on a day takes no step.
        view["next_steps"] = [] if day is not None else case.next_steps(_granted(caller))
        return instance(contract.PlacementCaseReply).dump(view)

    @rpc
    @on_the_wire
    def placement_eligibility(self, params, body, query, caller, as_of=None,
                              effective_on=None) -> dict:
        caller = Caller.from_dict(caller)
        veteran_id = _uuid(params["veteran_id"], "placement case for this veteran")
        day = on_a_day(as_of, effective_on)
        case_id = handlers.case_of_veteran(self.store, veteran_id)
        if case_id is None:
            raise CaseNotFound("this veteran has not reported in: no placement case yet")
        recorded = None if day is None else day.events(self.store.read_stream(case_id))
        if recorded == []:
            raise CaseNotFound("this veteran had not reported in on that day")
        return instance(contract.PlacementEligibilityReply).dump(
            queries.eligibility_view(self._case(case_id, caller, recorded)))

    @rpc
    @on_the_wire
    def list_placement_cases(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        filters = instance(contract.ListCasesQuery).load(query or {})
        self._project()
        with self.store.db.transaction() as cur:
            result = queries.list_cases(
                cur, self.clock, **filters,
                within_stations=None if caller.district else list(caller.stations),
                own_veteran=None if caller.district else caller.veteran_id,
                mine=desk_statuses(_granted(caller)))
        return instance(contract.PlacementCaseList).dump(result)

    # -- the steps of a case ----------------------------------------------------------------------

    def _step(self, name: str, params, body, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = self._load(name, body)
        today = self.clock.today()
        decide = SIMPLE_STEPS[name](data, today, self.standards())
        accepted = handlers.change_case(self.store, _uuid(params["case_id"]), name, decide,
                                        self._meta(caller), self.clock, arguments=data,
                                        **self._command(caller))
        return self._accepted(accepted)

    @rpc
    @on_the_wire
    def offer_post(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = self._load("offer_post", body)
        return self._accepted(handlers.offer_post(
            self.store, _uuid(params["case_id"]), _uuid(data["post_id"], "post"),
            self._meta(caller), self.clock, **self._command(caller)))

    @rpc
    @on_the_wire
    def accept_post(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        return self._accepted(handlers.accept_post(
            self.store, _uuid(params["case_id"]), self._meta(caller), self.clock,
            **self._command(caller)))

    @rpc
    @on_the_wire
    def decline_post(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = self._load("decline_post", body)
        return self._accepted(handlers.decline_post(
            self.store, _uuid(params["case_id"]), data.get("good_reason"), self._meta(caller),
            self.clock, **self._command(caller)))

    @rpc
    @on_the_wire
    def forfeit_for_prosecution(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = self._load("forfeit_for_prosecution", body)
        return self._accepted(handlers.forfeit_for_prosecution(
            self.store, _uuid(params["case_id"]), data.get("detail"), self._meta(caller),
            self.clock, **self._command(caller)))

    @rpc
    @on_the_wire
    def receive_spouse(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = self._load("receive_spouse", body)
        return self._accepted(handlers.receive_spouse(
            self.store, _uuid(params["case_id"]), data["spouse_name"], data.get("employed_as"),
            self._meta(caller), self.clock, **self._command(caller)))

    # -- post quotas and rates --------------------------------------------------------------------

    @rpc
    @on_the_wire
    def register_post_quota(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = self._load("register_post_quota", body)
        quota = handlers.register_post(self.store, RegisterPostQuota(**data), self._meta(caller),
                                       caller.command_id)
        offered = sum(1 for state in quota.holders.values() if state == "offered")
        return instance(contract.PostQuotaReply).dump({
            "post_id": quota.post_id, "version": quota.version, "unit": quota.unit,
            "post_kind": quota.post_kind, "title": quota.title, "year": quota.year,
            "positions": quota.positions, "offered": offered,
            "filled": len(quota.holders) - offered, "free": quota.free})

    @rpc
    @on_the_wire
    def list_post_quotas(self, params, body, query, caller) -> dict:
        filters = instance(contract.ListPostsQuery).load(query or {})
        self._project()
        with self.store.db.transaction() as cur:
            return instance(contract.PostQuotaListReply).dump(queries.list_posts(cur, **filters))

    @rpc
    @on_the_wire
    def placement_rates(self, params, body, query, caller) -> dict:
        period = instance(contract.RatesQuery).load(query or {})
        # Left out: the year so far; a `from` alone runs to today (or to itself, if later); a
        # `to` alone from the first of its year.
        today = self.clock.today()
        end = period.get("to") or max(today, period.get("from_", today))
        start = period.get("from_") or end.replace(month=1, day=1)
        self._project()
        with self.store.db.transaction() as cur:
            return instance(contract.PlacementRatesReply).dump(queries.rates(cur, start, end))

    # -- the registry's facts, and the log for others -----------------------------------------------

    @subscribe("registry", registry_facts.EVENT_TYPES)
    def on_registry_event(self, event: RecordedEvent) -> None:
        with self.inbox.once(event) as cur:
            if cur is None:
                return  # a repeat, or one that waits for an earlier event of its veteran
            registry_facts.record(cur, event)

    @rpc
    @on_the_wire
    def events_after(self, after: int, limit: int = 500, types: list | None = None) -> dict:
        """The log for catch-up: public forms of the events after `after`, and the head then."""
        limit = max(1, min(int(limit), 1000))
        head = self.store.head()
        events = [e for e in self.store.read_all(int(after), limit, types) if e.position <= head]
        return {
            "head": head,
            "events": [e.to_cloudevent(contract.SOURCE, contract.public_form(e)) for e in events],
        }


def _step_rpc(name: str):
    def method(self, params, body, query, caller):
        return self._step(name, params, body, caller)

    method.__name__ = method.__qualname__ = name
    return rpc(on_the_wire(method))


for _name in SIMPLE_STEPS:
    setattr(PlacementService, _name, _step_rpc(_name))
