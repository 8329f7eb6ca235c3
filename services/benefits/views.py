"""A case as a read shows it: its state, its facts, its history (who did what, when) and its deadlines."""
from __future__ import annotations

from chassis.envelope import RecordedEvent
from contracts import benefits as contract
from services.benefits.domain.card import FILING, FILING_RUNS, HANDOUT, STEPS

# Per case, the reply fields that describe a person's situation: withheld from a leader, and a
# read that shows any of them is audited as a personal read (contracts/benefits.py ROUTES).
PERSONAL = {route.name: route.personal for route in contract.ROUTES}


def history(events: list[RecordedEvent]) -> list[dict]:
    return [{"version": e.stream_version, "event_type": e.event_type,
             "at": e.recorded_at.isoformat(), "actor": e.actor} for e in events]


def _loaded(events: list[RecordedEvent]):
    for e in events:
        yield e.event_type, contract.load_data(e)


def _finish(view: dict, events: list[RecordedEvent], deadlines: list[dict], personal: tuple,
            show_personal: bool) -> dict:
    view["version"] = events[-1].stream_version
    view["history"] = history(events)
    view["deadlines"] = deadlines
    view["withheld"] = [] if show_personal else sorted(personal)
    if not show_personal:
        for name in personal:
            view[name] = None
    return view


def relief_view(events, deadlines, show_personal: bool) -> dict:
    v: dict = {}
    for kind, d in _loaded(events):
        if kind == "ReliefApplied":
            v.update({k: d[k] for k in ("application_id", "veteran_id", "station", "township",
                                        "trigger", "amount_asked_fen", "circumstances",
                                        "applied_on", "handled_by")}, state="applied")
        elif kind == "ReliefReviewed":
            v.update(state="reviewed", reviewed_by=d["reviewed_by"], reviewed_on=d["reviewed_on"],
                     opinion=d["opinion"], recommended_fen=d["recommended_fen"],
                     review_notes=d["notes"], notice_from=d["notice_from"],
                     notice_to=d["notice_to"], objections=d["objections"])
        elif kind == "ReliefApproved":
            v.update(state="approved", decision="approve", decided_by=d["approved_by"],
                     decided_on=d["decided_on"], approved_fen=d["approved_fen"],
                     cap_fen=d["cap_fen"], cap_basis=d["cap_basis"], special=d["special"],
                     special_reason=d["special_reason"])
        elif kind == "ReliefRejected":
            v.update(state="rejected", decision="reject", decided_by=d["rejected_by"],
                     decided_on=d["decided_on"], rejection_reason=d["reason"])
        elif kind == "ReliefDisbursed":
            v.update(state="disbursed", paid_fen=d["paid_fen"], paid_on=d["paid_on"],
                     reference=d["reference"], disbursed_by=d["disbursed_by"])
        elif kind == "ReliefClosed":
            v.update(state="closed", closed_on=d["closed_on"], closing_note=d["note"])
    return _finish(v, events, deadlines, PERSONAL["get_relief"], show_personal)


def entitlement_view(events, deadlines, show_personal: bool) -> dict:
    v: dict = {}
    for kind, d in _loaded(events):
        if kind == "EntitlementApplied":
            # A new application on the stream shows afresh; the history keeps the earlier one.
            v = {k: d[k] for k in ("entitlement_id", "veteran_id", "station", "township", "kind",
                                   "nature", "grade", "tie", "relation", "living_category",
                                   "mental_disorder", "honour", "monthly_pay_fen", "applied_on",
                                   "handled_by", "offer_id")}
            v.update(state="applied", periodic=d["kind"] in contract.PERIODIC_KINDS,
                     confirmation_overdue=False)
        elif kind == "EntitlementReviewed":
            v.update(state="reviewed", reviewed_by=d["reviewed_by"], reviewed_on=d["reviewed_on"],
                     opinion=d["opinion"], review_notes=d["notes"])
        elif kind == "EntitlementApproved":
            v.update(state="active" if v["periodic"] else "approved", decision="approve",
                     decided_by=d["approved_by"], decided_on=d["decided_on"],
                     amount_fen=d["amount_fen"], amount_basis=d["basis"],
                     standards_year=d["standards_year"], effective_from=d["effective_from"],
                     confirmed_year=d["decided_on"].year if v["periodic"] else None,
                     confirmation_due_on=d["confirmation_due_on"])
        elif kind == "EntitlementRejected":
            v.update(state="rejected", decision="reject", decided_by=d["rejected_by"],
                     decided_on=d["decided_on"], rejection_reason=d["reason"])
        elif kind == "EntitlementConfirmed":
            v.update(confirmed_year=d["year"], amount_fen=d["amount_fen"],
                     amount_basis=d["basis"], confirmation_due_on=d["next_due_on"],
                     confirmation_overdue=False)
        elif kind == "EntitlementConfirmationOverdue":
            v.update(confirmation_overdue=True)
        elif kind == "EntitlementSuspended":
            v.update(state="suspended", suspension_reason=d["reason"],
                     suspended_on=d["suspended_on"], confirmation_due_on=None,
                     confirmation_overdue=False)
        elif kind == "EntitlementResumed":
            v.update(state="active", suspension_reason=None,
                     confirmation_due_on=d["confirmation_due_on"])
        elif kind == "EntitlementEnded":
            v.update(state="ended", end_reason=d["reason"], ended_on=d["ended_on"],
                     end_note=d["note"], funeral_aid_months=d["funeral_aid_months"],
                     funeral_aid_fen=d["funeral_aid_fen"], recover_fen=d["recover_fen"],
                     confirmation_due_on=None, confirmation_overdue=False)
        elif kind == "EntitlementPaid":
            v.update(state="paid", paid_fen=d["paid_fen"], paid_on=d["paid_on"],
                     reference=d["reference"])
    v["priority"] = bool(v.get("periodic")) and v["state"] == "active"
    return _finish(v, events, deadlines, PERSONAL["get_entitlement"], show_personal)


_STEP_NAMES = {step.event.event_type: step.name for step in STEPS}


def card_view(events, deadlines, show_personal: bool) -> dict:
    v: dict = {}
    for kind, d in _loaded(events):
        if kind == "CardApplied":
            v = {k: d[k] for k in ("card_id", "veteran_id", "station", "township", "category",
                                   "applied_on", "handled_by", "offer_id")}
            v.update(state="applied", steps=[], filing_overdue=False, handout_overdue=False)
        elif kind in _STEP_NAMES:
            step = next(s for s in STEPS if s.name == _STEP_NAMES[kind])
            v["state"] = step.makes
            v["steps"].append({"step": step.name, "done_on": d["done_on"],
                               "recorded_by": d["recorded_by"]})
            if kind == "CardCountyChecked":
                v["filing_due_on"] = d["filing_due_on"]
            if kind == "CardMade":
                v["handout_due_on"] = d["handout_due_on"]
        elif kind == "CardRefused":
            v.update(state="refused", refused_at=d["at_state"], refused_on=d["done_on"],
                     refusal_reason=d["reason"], refusal_note=d["note"])
        elif kind == "CardFilingOverdue":
            v["filing_overdue"] = True
        elif kind == "CardHandoutOverdue":
            v["handout_overdue"] = True
        elif kind == "CardClockSet":
            v["filing_due_on" if d["clock"] == FILING else "handout_due_on"] = d["due_on"]
    waiting = []
    if v.get("state") in FILING_RUNS and v.get("filing_due_on") is None:
        waiting.append(FILING)
    if v.get("state") == "made" and v.get("handout_due_on") is None:
        waiting.append(HANDOUT)
    v["clocks_waiting_for_calendar"] = waiting
    return _finish(v, events, deadlines, PERSONAL["get_card"], show_personal)


def offer_view(events, deadlines, show_personal: bool) -> dict:
    v: dict = {}
    for kind, d in _loaded(events):
        if kind == "OfferOpened":
            v = {k: d[k] for k in ("offer_id", "veteran_id", "station", "township", "kind",
                                   "rule", "article", "explanation", "source_event_type",
                                   "opened_on", "answer_due_on", "relief_trigger")}
            v.update(state="open", unanswered=False)
        elif kind == "OfferConfirmed":
            v.update(state="confirmed", answered_by=d["answered_by"],
                     answered_on=d["answered_on"], case_id=d["case_id"])
        elif kind == "OfferDeclined":
            v.update(state="declined", answered_by=d["answered_by"],
                     answered_on=d["answered_on"], decline_reason=d["reason"])
        elif kind == "OfferUnanswered":
            v["unanswered"] = True
    return _finish(v, events, deadlines, PERSONAL["get_offer"], show_personal)


def campaign_view(events, totals: dict) -> dict:
    v: dict = {}
    for kind, d in _loaded(events):
        if kind == "CampaignOpened":
            v = {k: d[k] for k in ("campaign_id", "name", "kind", "starts_on", "ends_on",
                                   "budget_fen", "opened_by")}
            v["state"] = "open"
        elif kind == "CampaignClosed":
            v.update(state="closed", closed_on=d["closed_on"])
    spent = totals["amount_fen"] + totals["goods_value_fen"]
    v.update(totals, spent_fen=spent, remaining_fen=v["budget_fen"] - spent,
             over_budget=spent > v["budget_fen"])
    return _finish(v, events, [], (), True)


def visit_view(events, show_personal: bool) -> dict:
    v: dict = {}
    for kind, d in _loaded(events):
        if kind == "VisitRecorded":
            v = {k: d[k] for k in ("visit_id", "campaign_id", "veteran_id", "station", "township",
                                   "visited_on", "visitors", "amount_fen", "goods",
                                   "goods_value_fen", "hardship_found", "notes", "recorded_by")}
            v["state"] = "recorded"
        elif kind == "VisitWithdrawn":
            v.update(state="withdrawn", withdrawn_on=d["withdrawn_on"],
                     withdrawal_reason=d["reason"])
    return _finish(v, events, [], PERSONAL["get_visit"], show_personal)
