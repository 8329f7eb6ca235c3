"""The disputes service's nameko shell: one RPC per route, its deadline runner, errors for the wire."""
from __future__ import annotations

import uuid

import structlog
from nameko.extensions import DependencyProvider

from chassis import refusals
from chassis.caller import Caller
from chassis.deadlines import Deadlines
from chassis.nameko_deps import CallContext, EventStore, WorkerLog
from chassis.report_facts import figures_rpc
from chassis.rpc import rpc
from contracts import disputes as contract
from contracts import instance
from contracts.registry import on_a_day
from services.disputes import handlers, report
from services.disputes.domain import model
from services.disputes.domain.clocks import ClockRules
from services.disputes.domain.errors import CaseNotFound, DisputesError
from services.disputes.domain.vocabulary import CaseKind

log = structlog.get_logger("vetlife.disputes")


# Every refusal becomes the ServiceError code the gateway maps to one HTTP status.
on_the_wire = refusals.on_the_wire(DisputesError)


class Rules(DependencyProvider):
    """The clocks' lengths from the service's CLOCKS configuration (defaults: the law), read
    once at start: a wrong value stops the service rather than run a wrong clock."""

    def setup(self):
        self.rules = ClockRules.from_config(self.container.config.get("CLOCKS"))

    def get_dependency(self, worker_ctx):
        return self.rules


def _case_id(params: dict, name: str) -> str:
    """A case id from the path: only a canonical UUID names a case, anything else is none."""
    value = params.get(name, "")
    try:
        if str(uuid.UUID(value)) == value:
            return value
    except ValueError:
        pass
    raise CaseNotFound("no case with this id")


# Each command on an existing case, by route name: its kind, path parameter, request, domain
# command, and decision (case, command, context) -> Decision. The RPCs are made from this table.
CASE_COMMANDS = {
    "decide_intake": (CaseKind.PETITION, contract.DecideIntakeRequest, model.DecideIntake,
                      lambda p, c, x: p.decide_intake(c, x.today, x.rules)),
    "assign_handler": (CaseKind.PETITION, contract.AssignHandlerRequest, model.AssignHandler,
                       lambda p, c, x: p.assign_handler(c, x.today)),
    "record_petition_mediation": (CaseKind.PETITION, contract.PetitionMediationRequest,
                                  model.RecordPetitionMediation,
                                  lambda p, c, x: p.record_mediation(c, x.today)),
    "request_extension": (CaseKind.PETITION, contract.RequestExtensionRequest,
                          model.RequestExtension,
                          lambda p, c, x: p.request_extension(c, x.caller.subject, x.today,
                                                              x.rules)),
    "decide_extension": (CaseKind.PETITION, contract.DecideExtensionRequest,
                         model.DecideExtension,
                         lambda p, c, x: p.decide_extension(c, x.caller.subject, x.today)),
    "issue_opinion": (CaseKind.PETITION, contract.IssueOpinionRequest, model.IssueOpinion,
                      lambda p, c, x: p.issue_opinion(c, x.today, x.rules)),
    "request_review": (CaseKind.PETITION, contract.RequestReviewRequest, model.RequestReview,
                       lambda p, c, x: p.request_review(c, x.today, x.rules)),
    "answer_review": (CaseKind.PETITION, contract.AnswerReviewRequest, model.AnswerReview,
                      lambda p, c, x: p.answer_review(c, x.today, x.rules)),
    "record_escalation": (CaseKind.PETITION, contract.RecordEscalationRequest,
                          model.RecordEscalation,
                          lambda p, c, x: p.record_escalation(c, x.today)),
    "record_mediation": (CaseKind.DISPUTE, contract.RecordMediationRequest,
                         model.RecordMediation, lambda d, c, x: d.record_mediation(c, x.today)),
    "refer_legal_aid": (CaseKind.DISPUTE, contract.ReferLegalAidRequest, model.ReferLegalAid,
                        lambda d, c, x: d.refer_legal_aid(c, x.today, x.rules)),
    "decide_legal_aid": (CaseKind.DISPUTE, contract.DecideLegalAidRequest, model.DecideLegalAid,
                         lambda d, c, x: d.decide_legal_aid(c, x.today, x.rules)),
    "assign_lawyer": (CaseKind.DISPUTE, contract.AssignLawyerRequest, model.AssignLawyer,
                      lambda d, c, x: d.assign_lawyer(c, x.today)),
    "resolve_dispute": (CaseKind.DISPUTE, contract.ResolveDisputeRequest, model.ResolveDispute,
                        lambda d, c, x: d.resolve(c, x.today)),
    "record_proxy_step": (CaseKind.PROXY_CASE, contract.RecordProxyStepRequest,
                          model.RecordProxyStep, lambda x_, c, x: x_.record_step(c, x.today)),
    "close_proxy_case": (CaseKind.PROXY_CASE, contract.CloseProxyCaseRequest,
                         model.CloseProxyCase, lambda x_, c, x: x_.close(c, x.today)),
}
PATH_PARAMETER = {CaseKind.PETITION: "petition_id", CaseKind.DISPUTE: "dispute_id",
                  CaseKind.PROXY_CASE: "proxy_case_id"}


def _command(command_type, data: dict):
    """The domain command from a loaded body (lists as tuples: commands are frozen)."""
    return command_type(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class DisputesService:
    """信访 · 矛盾纠纷 · 权益维护代办: petitions on their statutory clocks, disputes, proxy cases."""

    name = "disputes"

    store = EventStore(upcast=contract.upcast)
    # Its part of the bureau's figures (chassis/report_facts.py, docs/figures.md).
    report_figures = figures_rpc(report.facts)
    deadlines = Deadlines()
    rules = Rules()
    context = CallContext()
    log = WorkerLog()

    def _ctx(self, caller: dict) -> handlers.Context:
        # One clock for the service: the deadline runner's, so "today" and the firing agree.
        return handlers.Context(self.deadlines.runner.clock, self.rules,
                                handlers.ChassisWorkingDays(), Caller.from_dict(caller),
                                self.context["correlation_id"])

    # -- opening cases ----------------------------------------------------------------------------

    @rpc
    @on_the_wire
    def lodge_petition(self, params, body, query, caller) -> dict:
        data = instance(contract.LodgePetitionRequest).load(body)
        cmd = _command(model.LodgePetition, data)
        reply = handlers.lodge_petition(self.store, cmd, body, self._ctx(caller))
        return instance(contract.PetitionLodgedReply).dump(reply)

    @rpc
    @on_the_wire
    def open_dispute(self, params, body, query, caller) -> dict:
        cmd = _command(model.OpenDispute, instance(contract.OpenDisputeRequest).load(body))
        done = handlers.open_dispute(self.store, cmd, body, self._ctx(caller))
        return instance(contract.CaseCommandAccepted).dump(done.reply())

    @rpc
    @on_the_wire
    def open_proxy_case(self, params, body, query, caller) -> dict:
        cmd = _command(model.OpenProxyCase, instance(contract.OpenProxyCaseRequest).load(body))
        done = handlers.open_proxy_case(self.store, cmd, body, self._ctx(caller))
        return instance(contract.CaseCommandAccepted).dump(done.reply())

    @rpc
    @on_the_wire
    def refer_hardship(self, params, body, query, caller) -> dict:
        data = instance(contract.ReferHardshipRequest).load(body)
        source, source_id = CaseKind(data.pop("source")), data.pop("source_id")
        reply = handlers.refer_hardship(self.store, model.ReferHardship(**data), source,
                                        source_id, body, self._ctx(caller))
        return instance(contract.HardshipReferralAccepted).dump(reply)

    def _change(self, name: str, params: dict, body: dict, caller: dict) -> dict:
        kind, request, command_type, decide = CASE_COMMANDS[name]
        case_id = _case_id(params, PATH_PARAMETER[kind])
        cmd = _command(command_type, instance(request).load(body))
        ctx = self._ctx(caller)
        done = handlers.change_case(self.store, kind, case_id, name, body,
                                    lambda case: decide(case, cmd, ctx), ctx)
        return instance(contract.CaseCommandAccepted).dump(done.reply())

    # -- reads ------------------------------------------------------------------------------------

    @rpc
    @on_the_wire
    def get_petition(self, params, body, query, caller) -> dict:
        reply = handlers.petition_reply(self.store, _case_id(params, "petition_id"),
                                        self._ctx(caller))
        return instance(contract.PetitionReply).dump(reply)

    @rpc
    @on_the_wire
    def get_dispute(self, params, body, query, caller) -> dict:
        reply = handlers.dispute_reply(self.store, _case_id(params, "dispute_id"),
                                       self._ctx(caller))
        return instance(contract.DisputeReply).dump(reply)

    @rpc
    @on_the_wire
    def get_proxy_case(self, params, body, query, caller) -> dict:
        reply = handlers.proxy_case_reply(self.store, _case_id(params, "proxy_case_id"),
                                          self._ctx(caller))
        return instance(contract.ProxyCaseReply).dump(reply)

    @rpc
    @on_the_wire
    def list_petitions(self, params, body, query, caller, as_of=None, effective_on=None) -> dict:
        """The list now; with `as_of` / `effective_on` one veteran's petitions as they stood on
        that day (the overview on a day, docs/history.md)."""
        loaded = instance(contract.ListPetitionsQuery).load(query or {})
        day = on_a_day(as_of, effective_on)
        if day is None:
            reply = handlers.petition_list(self.store, loaded, self._ctx(caller))
        else:
            reply = handlers.petitions_on(self.store, loaded, self._ctx(caller), day)
        return instance(contract.PetitionListReply).dump(reply)

    @rpc
    @on_the_wire
    def list_proxy_cases(self, params, body, query, caller, as_of=None,
                         effective_on=None) -> dict:
        loaded = instance(contract.ListProxyCasesQuery).load(query or {})
        day = on_a_day(as_of, effective_on)
        if day is None:
            reply = handlers.proxy_case_list(self.store, loaded, self._ctx(caller))
        else:
            reply = handlers.proxy_cases_on(self.store, loaded, self._ctx(caller), day)
        return instance(contract.ProxyCaseListReply).dump(reply)

    @rpc
    @on_the_wire
    def disputes_figures(self, params, body, query, caller) -> dict:
        loaded = instance(contract.FiguresQuery).load(query or {})
        reply = handlers.figures(self.store, loaded, self._ctx(caller))
        return instance(contract.FiguresReply).dump(reply)

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


def _case_command_rpc(name: str):
    """The RPC for one command on an existing case: every one takes the route's arguments."""

    def method(self, params, body, query, caller):
        return self._change(name, params, body, caller)

    method.__name__ = method.__qualname__ = name
    return rpc(on_the_wire(method))


for _name in CASE_COMMANDS:
    setattr(DisputesService, _name, _case_command_rpc(_name))
