"""The benefits service's nameko shell: one RPC per route, the registry subscription, deadlines, catch-up."""
from __future__ import annotations

import structlog
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from chassis import refusals
from chassis.caller import Caller
from chassis.clock import SYSTEM_CLOCK
from chassis.consumer import subscribe
from chassis.deadlines import Deadlines
from chassis.envelope import RecordedEvent
from chassis.nameko_deps import CallContext, EventStore, Inbox, WorkerLog
from chassis.report_facts import figures_rpc
from chassis.rpc import rpc
from contracts import benefits as contract
from contracts import instance
from contracts.registry import on_a_day
from services.benefits import handlers, projections, report, standards
from services.benefits.domain.errors import BenefitsError

log = structlog.get_logger("vetlife.benefits")
ROUTES = {route.name: route for route in contract.ROUTES}


# Every refusal becomes the ServiceError code the gateway maps to one HTTP status.
on_the_wire = refusals.on_the_wire(BenefitsError)


class Standards(DependencyProvider):
    """The standards table, read once when the service starts (a bad file stops the start)."""

    def setup(self):
        self.table = standards.load()
        years = standards.placeholders(self.table)
        if years:
            log.warning("benefits.placeholder_standards", years=years,
                        hint="replace the PLACEHOLDER figures in the standards table")

    def get_dependency(self, worker_ctx):
        return self.table


def _reply(schema, view: dict) -> dict:
    """Every declared field present (null when there is nothing yet), dumped for the wire."""
    return instance(schema).dump({name: None for name in schema._declared_fields} | view)


def _accepted(accepted: handlers.Accepted) -> dict:
    return instance(contract.CaseAccepted).dump(accepted.__dict__)


class BenefitsService:
    """优抚: entitlements, the card, offers, condolence visits and hardship relief."""

    name = "benefits"

    store = EventStore(upcast=contract.upcast)
    # Its part of the bureau's figures (chassis/report_facts.py, docs/figures.md).
    report_figures = figures_rpc(report.facts)
    inbox = Inbox()
    deadlines = Deadlines()
    standards_table = Standards()
    context = CallContext()
    log = WorkerLog()

    @property
    def benefits(self) -> handlers.Benefits:
        return handlers.Benefits(self.store, self.standards_table, clock=SYSTEM_CLOCK)

    def _body(self, operation: str, body: dict | None) -> dict:
        return instance(ROUTES[operation].request).load(body or {})

    def _query(self, operation: str, query: dict | None) -> dict:
        return instance(ROUTES[operation].query).load(query or {})

    # -- the registry's facts --------------------------------------------------------------------

    @subscribe("registry", handlers.REGISTRY_EVENT_TYPES)
    def on_registry_event(self, event: RecordedEvent) -> None:
        """Keep the facts benefits needs and open the offers they make, once per event and in
        each veteran's order."""
        with self.inbox.once(event) as cur:
            if cur is None:
                return
            opened = self.benefits.take_registry_event(cur, event)
            if opened:
                log.info("benefits.offers_opened", count=len(opened),
                         event_type=event.event_type)

    @subscribe("disputes", "HardshipReferred")
    def on_hardship_referred(self, event: RecordedEvent) -> None:
        """Hardship a petition, dispute or proxy case found: a relief offer on the station's
        list, once per referral."""
        with self.inbox.once(event) as cur:
            if cur is None:
                return
            if self.benefits.take_hardship_referral(cur, event):
                log.info("benefits.relief_offered", event_type=event.event_type)

    # -- card clocks a step could not count (a year's holidays not published then) ---------------

    @timer(interval=3600, eager=True)
    def set_card_clocks(self) -> None:
        try:
            count = self.benefits.set_card_clocks()
        except Exception as exc:  # noqa: BLE001 - the next hour tries again
            log.warning("benefits.card_clocks_not_set", error=type(exc).__name__)
            return
        if count:
            log.info("benefits.card_clocks_set", count=count)

    # -- catch-up for subscribers ----------------------------------------------------------------

    @rpc
    @on_the_wire
    def events_after(self, after: int, limit: int = 500, types: list | None = None) -> dict:
        """The log for catch-up: public forms of the events after `after`, and the head then."""
        limit = max(1, min(int(limit), 1000))
        head = self.store.head()
        events = [e for e in self.store.read_all(int(after), limit, types) if e.position <= head]
        return {"head": head, "events": [e.to_cloudevent(contract.SOURCE, contract.public_form(e))
                                         for e in events]}


def _command(name: str, method: str, has_id: str | None):
    """The RPC for a command route: validate the body, run the use case, answer CaseAccepted."""

    def rpc_method(self, params, body, query, caller):
        caller = Caller.from_dict(caller)
        body = self._body(name, body)
        use_case = getattr(self.benefits, method)
        args = (params[has_id], body, caller) if has_id else (body, caller)
        return _accepted(use_case(*args))

    rpc_method.__name__ = rpc_method.__qualname__ = name
    return rpc(on_the_wire(rpc_method))


def _case_read(name: str, reply, param: str):
    def rpc_method(self, params, body, query, caller):
        view = getattr(self.benefits, name)(params[param], Caller.from_dict(caller))
        return _reply(reply, view)

    rpc_method.__name__ = rpc_method.__qualname__ = name
    return rpc(on_the_wire(rpc_method))


def _list(name: str, projection: str, query_fn, reply, with_today: bool = False):
    def rpc_method(self, params, body, query, caller):
        caller = Caller.from_dict(caller)
        params_ = self._query(name, query)
        benefits = self.benefits
        extra = {"today": benefits.today()} if with_today else {}
        return instance(reply).dump(benefits.listing(projection, query_fn, caller, **extra,
                                                     **params_))

    rpc_method.__name__ = rpc_method.__qualname__ = name
    return rpc(on_the_wire(rpc_method))


COMMANDS = {
    # route name: (use case, the path parameter naming the case, if any)
    "apply_relief": ("apply_relief", None),
    "review_relief": ("review_relief", "application_id"),
    "decide_relief": ("decide_relief", "application_id"),
    "disburse_relief": ("disburse_relief", "application_id"),
    "close_relief": ("close_relief", "application_id"),
    "apply_entitlement": ("apply_entitlement", None),
    "review_entitlement": ("review_entitlement", "entitlement_id"),
    "decide_entitlement": ("decide_entitlement", "entitlement_id"),
    "confirm_entitlement": ("confirm_entitlement", "entitlement_id"),
    "suspend_entitlement": ("suspend_entitlement", "entitlement_id"),
    "resume_entitlement": ("resume_entitlement", "entitlement_id"),
    "end_entitlement": ("end_entitlement", "entitlement_id"),
    "pay_entitlement": ("pay_entitlement", "entitlement_id"),
    "apply_card": ("apply_card", None),
    "record_card_step": ("record_card_step", "card_id"),
    "refuse_card": ("refuse_card", "card_id"),
    "answer_offer": ("answer_offer", "offer_id"),
    "open_campaign": ("open_campaign", None),
    "close_campaign": ("close_campaign", "campaign_id"),
    "record_visit": ("record_visit", None),
    "withdraw_visit": ("withdraw_visit", "visit_id"),
    "record_social_care": ("record_social_care", None),
}
CASE_READS = {
    "get_relief": (contract.ReliefApplicationReply, "application_id"),
    "get_entitlement": (contract.EntitlementReply, "entitlement_id"),
    "get_card": (contract.CardReply, "card_id"),
    "get_offer": (contract.OfferReply, "offer_id"),
    "get_campaign": (contract.CampaignReply, "campaign_id"),
    "get_visit": (contract.VisitReply, "visit_id"),
}
LISTS = {
    "list_entitlements": ("entitlement_list", projections.list_entitlements,
                          contract.EntitlementList, False),
    "list_cards": ("card_list", projections.list_cards, contract.CardList, False),
    "list_offers": ("offer_list", projections.list_offers, contract.OfferList, True),
    "priority_beneficiaries": ("entitlement_list", projections.priority_beneficiaries,
                               contract.PriorityBeneficiaryList, False),
}

for _name, (_method, _param) in COMMANDS.items():
    setattr(BenefitsService, _name, _command(_name, _method, _param))
for _name, (_reply_schema, _param) in CASE_READS.items():
    setattr(BenefitsService, _name, _case_read(_name, _reply_schema, _param))
for _name, (_projection, _fn, _reply_schema, _today) in LISTS.items():
    setattr(BenefitsService, _name, _list(_name, _projection, _fn, _reply_schema, _today))


@rpc
@on_the_wire
def list_relief(self, params, body, query, caller):
    listed = self.benefits.list_relief(Caller.from_dict(caller),
                                       **self._query("list_relief", query))
    return instance(contract.ReliefList).dump(listed)


@rpc
@on_the_wire
def list_campaigns(self, params, body, query, caller):
    benefits = self.benefits
    benefits.catch_up("visit_list")
    with benefits.db.transaction() as cur:
        return instance(contract.CampaignList).dump(
            projections.list_campaigns(cur, **self._query("list_campaigns", query)))


@rpc
@on_the_wire
def veteran_benefits(self, params, body, query, caller, as_of=None, effective_on=None):
    # With `as_of` / `effective_on` (the overview on a day): as it stood then.
    view = self.benefits.veteran_benefits(params["veteran_id"], Caller.from_dict(caller),
                                          on_a_day(as_of, effective_on))
    return instance(contract.VeteranBenefitsReply).dump(view)


@rpc
@on_the_wire
def benefits_figures(self, params, body, query, caller):
    period = self._query("benefits_figures", query)
    benefits = self.benefits
    today = benefits.today()
    return instance(contract.BenefitsFiguresReply).dump(benefits.figures(
        period.get("from_", today.replace(month=1, day=1)), period.get("to", today)))


for _fn in (list_relief, list_campaigns, veteran_benefits, benefits_figures):
    setattr(BenefitsService, _fn.__name__, _fn)
