"""The employment service's nameko shell: one RPC per route, placement's handover, errors for the wire."""
from __future__ import annotations

import uuid
from datetime import date

import structlog
from nameko.dependency_providers import Config

from chassis import refusals
from chassis.caller import Caller
from chassis.consumer import subscribe
from chassis.envelope import Metadata, RecordedEvent
from chassis.nameko_deps import CallContext, EventStore, Inbox, WorkerLog
from chassis.projection import ProjectionRunner
from chassis.report_facts import figures_rpc
from chassis.rpc import rpc
from chassis.wire import ServiceError
from contracts import employment as contract
from contracts import instance
from contracts.registry import on_a_day
from services.employment import handlers, queries, report
from services.employment.domain import commands as cmds
from services.employment.domain import job_seekers as seekers
from services.employment.domain.errors import EmploymentError, NotFound
from services.employment.domain.postings import close_posting
from services.employment.projections import EmploymentViews

log = structlog.get_logger("vetlife.employment")


# Every refusal becomes the ServiceError code the gateway maps to one HTTP status.
on_the_wire = refusals.on_the_wire(EmploymentError)


def _uuid(value: str, what: str) -> str:
    """A path id that is not a uuid names nothing: the same answer as an unknown one."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"no {what} with this id") from None


def _ids(data: dict, *names: str) -> dict:
    """UUIDs the contract loaded, as the strings the streams are named by."""
    return {k: (str(v) if k in names and v is not None else v) for k, v in data.items()}


def _loan_terms(config: dict, year: int) -> seekers.LoanTerms | None:
    for row in config.get("LOAN_TERMS") or ():
        if int(row["year"]) == year:
            return seekers.LoanTerms(int(row["year"]), int(row["cap_per_person_fen"]),
                                     int(row["subsidy_percent"]), int(row["max_term_months"]))
    return None


class EmploymentService:
    """就业创业: employers, postings, job fairs, job seekers and the matching between them."""

    name = "employment"

    store = EventStore(upcast=contract.upcast)
    # Its part of the bureau's figures (chassis/report_facts.py, docs/figures.md).
    report_figures = figures_rpc(report.facts)
    inbox = Inbox()
    context = CallContext()
    config = Config()
    log = WorkerLog()

    # -- plumbing -------------------------------------------------------------------------------

    def _meta(self, caller: Caller) -> Metadata:
        return Metadata(correlation_id=caller.correlation_id or self.context["correlation_id"],
                        causation_id=caller.command_id, actor=caller.actor or "staff")

    def _caught_up(self):
        """The read models, caught up before they are read: commands stay one commit each, and
        a client finds what it just recorded. A failure loses nothing; the next read catches up."""
        try:
            ProjectionRunner(self.store, EmploymentViews()).catch_up()
        except Exception as exc:  # noqa: BLE001
            log.warning("employment.projection_lagging", error=type(exc).__name__)
        return self.store.db.transaction()

    @staticmethod
    def _load(schema, body) -> dict:
        return instance(schema).load(body or {})

    def _within_reach(self, caller: Caller):
        return lambda seeker: caller.reaches(seeker.veteran_id, seeker.service_station)

    def _seeker_command(self, params, caller: dict, name: str, cmd, decide,
                        record_id: str | None = None) -> dict:
        caller = Caller.from_dict(caller)
        veteran_id = _uuid(params["veteran_id"], "job seeker")
        accepted = handlers.change_seeker(
            self.store, veteran_id, name, cmd, decide, self._meta(caller), caller.command_id,
            caller.expected_version, self._within_reach(caller), record_id)
        return self._seeker_reply(accepted)

    @staticmethod
    def _seeker_reply(accepted: handlers.Accepted) -> dict:
        return instance(contract.JobSeekerAccepted).dump({
            "veteran_id": accepted.stream_id, "version": accepted.version,
            "replayed": accepted.replayed, "record_id": accepted.record_id})

    # -- employers, postings, fairs ---------------------------------------------------------------

    @rpc
    @on_the_wire
    def register_employer(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        cmd = cmds.RegisterEmployer(**self._load(contract.RegisterEmployerRequest, body))
        accepted = handlers.register_employer(self.store, cmd, self._meta(caller),
                                              caller.command_id, handlers.shanghai_today())
        return instance(contract.EmployerAccepted).dump({
            "employer_id": accepted.stream_id, "version": accepted.version,
            "replayed": accepted.replayed})

    @rpc
    @on_the_wire
    def publish_posting(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = _ids(self._load(contract.PublishPostingRequest, body), "employer_id")
        cmd = cmds.PublishPosting(**{**data, "requirements": tuple(data["requirements"])})
        accepted = handlers.publish_posting(self.store, cmd, self._meta(caller),
                                            caller.command_id, handlers.shanghai_today())
        return instance(contract.PostingAccepted).dump({
            "posting_id": accepted.stream_id, "version": accepted.version,
            "replayed": accepted.replayed})

    @rpc
    @on_the_wire
    def close_posting(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        posting_id = _uuid(params["posting_id"], "posting")
        cmd = cmds.ClosePosting(**self._load(contract.ClosePostingRequest, body))
        today = handlers.shanghai_today()
        accepted = handlers.change_posting(
            self.store, posting_id, "close_posting", cmd,
            lambda posting: close_posting(posting, cmd, today), self._meta(caller),
            caller.command_id, caller.expected_version)
        return instance(contract.PostingAccepted).dump({
            "posting_id": accepted.stream_id, "version": accepted.version,
            "replayed": accepted.replayed})

    @rpc
    @on_the_wire
    def record_job_fair(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = self._load(contract.RecordJobFairRequest, body)
        cmd = cmds.RecordJobFair(**{**data, "employer_ids": tuple(
            str(e) for e in data["employer_ids"])})
        accepted = handlers.record_job_fair(self.store, cmd, self._meta(caller),
                                            caller.command_id, handlers.shanghai_today())
        return instance(contract.JobFairAccepted).dump({
            "fair_id": accepted.stream_id, "version": accepted.version,
            "replayed": accepted.replayed})

    # -- job seekers ----------------------------------------------------------------------------

    @rpc
    @on_the_wire
    def register_job_seeker(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        data = _ids(self._load(contract.RegisterJobSeekerRequest, body), "veteran_id")
        if not caller.district and data["service_station"] not in caller.stations:
            raise ServiceError("forbidden",
                               "you may register job seekers of your own service stations only")
        stated = cmds.StateJobIntention(
            kinds=tuple(data.pop("kinds")), townships=tuple(data.pop("townships")),
            min_pay_fen=data.pop("min_pay_fen", None), skills=tuple(data.pop("skills")))
        cmd = cmds.RegisterJobSeeker(**data, source="direct")
        accepted = handlers.register_seeker(self.store, cmd, stated, self._meta(caller),
                                            caller.command_id, handlers.shanghai_today())
        return self._seeker_reply(accepted)

    @rpc
    @on_the_wire
    def get_job_seeker(self, params, body, query, caller, as_of=None, effective_on=None) -> dict:
        """The job seeker now; with `as_of` / `effective_on` as they stood on that day (the
        overview on a day, docs/history.md)."""
        caller = Caller.from_dict(caller)
        seeker = handlers.load_seeker(self.store, _uuid(params["veteran_id"], "job seeker"),
                                      on_a_day(as_of, effective_on))
        if not caller.reaches(seeker.veteran_id, seeker.service_station):
            raise NotFound("no job seeker with this veteran id")
        return instance(contract.JobSeekerReply).dump({
            **{k: getattr(seeker, k) for k in ("veteran_id", "version", "township",
                                               "service_station", "source", "registered_on",
                                               "status")},
            "intention": seeker.intention.__dict__,
            "intentions": [e.__dict__ for e in seeker.intentions],
            "hires": [e.__dict__ for e in seeker.hires],
            "trainings": [e.__dict__ for e in seeker.trainings],
            "loans": [{**e.__dict__, "yearly_interest_subsidy_fen":
                       seekers.yearly_interest_subsidy_fen(e.amount_fen, e.annual_rate_bp,
                                                           e.subsidy_percent)}
                      for e in seeker.loans],
            "awards": [e.__dict__ for e in seeker.awards],
        })

    @rpc
    @on_the_wire
    def state_job_intention(self, params, body, query, caller) -> dict:
        data = self._load(contract.StateJobIntentionRequest, body)
        cmd = cmds.StateJobIntention(kinds=tuple(data["kinds"]),
                                     townships=tuple(data["townships"]),
                                     min_pay_fen=data.get("min_pay_fen"),
                                     skills=tuple(data["skills"]))
        return self._seeker_command(params, caller, "state_job_intention", cmd,
                                    lambda s: seekers.state_job_intention(s, cmd))

    @rpc
    @on_the_wire
    def record_employment_intention(self, params, body, query, caller) -> dict:
        data = _ids(self._load(contract.RecordEmploymentIntentionRequest, body),
                    "employer_id", "posting_id", "fair_id")
        cmd = cmds.RecordEmploymentIntention(**data)
        record_id = handlers.id_for(Caller.from_dict(caller).command_id, "intention")
        employer_known = handlers.employer_exists(self.store, cmd.employer_id)
        posting = handlers.find_posting(self.store, cmd.posting_id)
        fair_known = cmd.fair_id is not None and handlers.fair_exists(self.store, cmd.fair_id)
        today = handlers.shanghai_today()
        return self._seeker_command(
            params, caller, "record_employment_intention", cmd,
            lambda s: seekers.record_employment_intention(s, cmd, record_id, employer_known,
                                                          posting, fair_known, today),
            record_id)

    @rpc
    @on_the_wire
    def record_hire(self, params, body, query, caller) -> dict:
        data = _ids(self._load(contract.RecordHireRequest, body), "employer_id", "posting_id")
        cmd = cmds.RecordHire(**data)
        record_id = handlers.id_for(Caller.from_dict(caller).command_id, "hire")
        employer_known = handlers.employer_exists(self.store, cmd.employer_id)
        posting = handlers.find_posting(self.store, cmd.posting_id)
        places_left = None
        if posting is not None:
            with self._caught_up() as cur:
                places_left = queries.places_left(cur, posting.posting_id)
        today = handlers.shanghai_today()
        return self._seeker_command(
            params, caller, "record_hire", cmd,
            lambda s: seekers.record_hire(s, cmd, record_id, employer_known, posting,
                                          places_left, today),
            record_id)

    @rpc
    @on_the_wire
    def enrol_training(self, params, body, query, caller) -> dict:
        cmd = cmds.EnrolTraining(**self._load(contract.EnrolTrainingRequest, body))
        record_id = handlers.id_for(Caller.from_dict(caller).command_id, "training")
        today = handlers.shanghai_today()
        return self._seeker_command(params, caller, "enrol_training", cmd,
                                    lambda s: seekers.enrol_training(s, cmd, record_id, today),
                                    record_id)

    @rpc
    @on_the_wire
    def grant_startup_loan(self, params, body, query, caller) -> dict:
        cmd = cmds.GrantStartupLoan(**self._load(contract.GrantStartupLoanRequest, body))
        record_id = handlers.id_for(Caller.from_dict(caller).command_id, "loan")
        terms = _loan_terms(self.config, cmd.granted_on.year)
        today = handlers.shanghai_today()
        return self._seeker_command(
            params, caller, "grant_startup_loan", cmd,
            lambda s: seekers.grant_startup_loan(s, cmd, record_id, terms, today), record_id)

    @rpc
    @on_the_wire
    def grant_contest_award(self, params, body, query, caller) -> dict:
        cmd = cmds.GrantContestAward(**self._load(contract.GrantContestAwardRequest, body))
        record_id = handlers.id_for(Caller.from_dict(caller).command_id, "award")
        today = handlers.shanghai_today()
        return self._seeker_command(
            params, caller, "grant_contest_award", cmd,
            lambda s: seekers.grant_contest_award(s, cmd, record_id, today), record_id)

    # -- matching and figures ---------------------------------------------------------------------

    @rpc
    @on_the_wire
    def match_postings(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        veteran_id = _uuid(params["veteran_id"], "job seeker")
        limit = self._load(contract.EmploymentMatchQuery, query)["limit"]
        today = handlers.shanghai_today()
        with self._caught_up() as cur:
            row = queries.seeker_row(cur, veteran_id)
            if row is None or not caller.reaches(veteran_id, row["service_station"]):
                raise NotFound("no job seeker with this veteran id")
            items = queries.match_postings(cur, queries.as_seeker(row), today, limit)
        return instance(contract.MatchesReply).dump({
            "veteran_id": veteran_id, "as_of": today, "township": row["township"],
            "seeker": {k: row[k] for k in ("kinds", "townships", "min_pay_fen", "skills")},
            "items": items})

    @rpc
    @on_the_wire
    def match_job_seekers(self, params, body, query, caller) -> dict:
        caller = Caller.from_dict(caller)
        posting_id = _uuid(params["posting_id"], "posting")
        limit = self._load(contract.EmploymentMatchQuery, query)["limit"]
        today = handlers.shanghai_today()
        with self._caught_up() as cur:
            posting = queries.posting_facts(cur, posting_id)
            if posting is None:
                raise NotFound("no posting with this id")
            items = queries.match_seekers(cur, posting, today, limit,
                                          None if caller.district else list(caller.stations))
        return instance(contract.PostingMatchesReply).dump({
            "posting_id": posting_id, "as_of": today, "items": items})

    @rpc
    @on_the_wire
    def employment_figures(self, params, body, query, caller) -> dict:
        period = self._load(contract.EmploymentFiguresQuery, query)
        today = handlers.shanghai_today()
        last = period.get("to", today)
        first = period.get("from_", date(last.year, 1, 1))
        if first > last:
            raise ServiceError("invalid_input", "the period ends before it starts",
                               {"from": ["must not be after to"]})
        with self._caught_up() as cur:
            return instance(contract.EmploymentFiguresReply).dump(queries.figures(cur, first, last))

    # -- what other services send -------------------------------------------------------------

    # Placement's case events, in each case's order (ReportedIn before ModeChosen): a
    # self-employed veteran becomes a job seeker here without anyone typing them in again.
    @subscribe("placement", ("ReportedIn", "ModeChosen", "HandedToEmployment"))
    def on_placement_case(self, event: RecordedEvent) -> None:
        with self.inbox.once(event) as cur:
            if cur is None:
                return  # a repeat, or an event waiting for an earlier one of its case
            registered = handlers.follow_placement(cur, self.store, event,
                                                   handlers.shanghai_today())
            if registered:
                log.info("employment.job_seeker_from_placement", veteran_id=registered,
                         case_id=event.stream_id)

    @rpc
    @on_the_wire
    def events_after(self, after: int, limit: int = 500, types: list | None = None) -> dict:
        """The log for catch-up: public forms of the events after `after`, and the head then."""
        limit = max(1, min(int(limit), 1000))
        head = self.store.head()
        events = [e for e in self.store.read_all(int(after), limit, types) if e.position <= head]
        return {"head": head, "events": [e.to_cloudevent(contract.SOURCE, contract.public_form(e))
                                         for e in events]}
