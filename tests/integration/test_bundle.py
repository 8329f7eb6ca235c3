"""The discharge bundle on the real database: fan-out, completion, refusals, overdue matters, notices.

Fan-out through the outbox, completion from our services' events and the departments' answers,
refusals and overdue matters reaching the veteran and the staff lists, the notices' delivery.
"""
import json
import uuid
from datetime import date, datetime

import pytest

from chassis import notify
from chassis.caller import Caller
from chassis.clock import SHANGHAI, ManualClock
from chassis.days import WorkingCalendar
from chassis.db import Database
from chassis.deadlines import DeadlineRunner, deadlines_for
from chassis.envelope import Metadata, RecordedEvent, new_id
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.notify import DeliveryFailed, NotificationAccess, NotificationDispatcher
from chassis.outbox import OutboxAccess, command_id
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore
from chassis.wire import ServiceError
from contracts import bundle as contract
from contracts import instance
from services.bundle import handlers, queries
from services.bundle.catalogue import load
from services.bundle.domain.errors import BundleNotFound, NotYourMatter, WrongMatterState
from services.bundle.projections import PROJECTIONS, load_in
from services.bundle.service import BundleOutboxSender
from tests.conftest import fresh_database, truncate

STATION = "多湖街道退役军人服务站"
OTHER_STATION = "孝顺镇退役军人服务站"
EXTERNAL = ("household_registration", "id_card", "pension_insurance", "medical_insurance",
            "party_membership", "reserve_registration")


@pytest.fixture(scope="session")
def bundle_database_url():
    return fresh_database("vetlife_bundle_test", [CHASSIS_MIGRATIONS, service_migrations("bundle")])


@pytest.fixture
def db(bundle_database_url):
    db = Database(bundle_database_url)
    truncate(db, "deadlines", "outbox", "notifications", "notification_deliveries",
             "bundle_veterans", "bundle_list", "bundle_matters")
    yield db
    db.close()


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def ctx(db, clock):
    return handlers.Context(PostgresEventStore(db, "bundle_events", upcast=contract.upcast),
                            load(), clock)


# -- helpers ----------------------------------------------------------------------------------------

_positions = iter(range(1, 10**9))


def owner_event(event_type: str, data: dict, stream_id: str, version: int = 1) -> RecordedEvent:
    now = datetime.now(SHANGHAI)
    return RecordedEvent(new_id(), event_type, 1, stream_id, version, next(_positions), now, now,
                         new_id(), None, "system", data)


def follow(ctx, db, event: RecordedEvent) -> int:
    with db.transaction() as cur:
        return handlers.on_owner_event(ctx, cur, event, OutboxAccess("bundle"))


def register(ctx, db, station=STATION, party=False, discharged=False) -> str:
    veteran_id = str(uuid.uuid4())
    follow(ctx, db, owner_event("VeteranRegistered", {
        "veteran_id": veteran_id, "service_station": station, "township": station[:4],
        "discharge_category": "discharged_soldier",
        "discharged_year": 2026 if discharged else None}, veteran_id))
    if party:
        follow(ctx, db, owner_event("PartyMembershipRecorded", {
            "veteran_id": veteran_id, "joined_year": 2020, "party_branch": "某部党支部"},
            veteran_id, 2))
    return veteran_id


def veteran(veteran_id: str, key: str | None = None) -> Caller:
    return Caller(subject=f"vet-{veteran_id[:8]}", roles=("veteran",), actor="veteran:v",
                  veteran_id=veteran_id, command_id=key)


def station_worker(station=STATION) -> Caller:
    return Caller(subject="zhou", roles=("station_worker",), actor="station_worker:zhou",
                  stations=(station,))


def department(name: str, key: str | None = None) -> Caller:
    return Caller(subject=f"{name}-system", roles=("department",), actor=f"department:{name}",
                  district=True, department=name, command_id=key)


def officer(role: str) -> Caller:
    return Caller(subject=role, roles=(role,), actor=f"{role}:x", district=True)


def submit(ctx, veteran_id, caller=None, **body):
    request = {"discharge_approved_on": "2026-05-20", "veteran_id": veteran_id, **body}
    schema = instance(contract.SubmitBundleRequest)
    data = schema.load(request)
    caller = caller or veteran(veteran_id)
    return handlers.submit(ctx, data, schema.dump(data), caller, Metadata(actor=caller.actor),
                           lambda _: None, OutboxAccess("bundle"))


def answer(ctx, bundle_id, matter, caller, **body):
    data = instance(contract.MatterOutcomeRequest).load(body)
    return handlers.record_outcome(ctx, bundle_id, matter, data, caller,
                                   Metadata(actor=caller.actor), OutboxAccess("bundle"))


def read(ctx, bundle_id):
    with ctx.store.db.transaction() as cur:
        return load_in(cur, bundle_id)[0]


def outbox_rows(db, bundle_id=None):
    with db.transaction() as cur:
        cur.execute("SELECT step, target_service, method, status, command_id FROM outbox "
                    "WHERE %s::text IS NULL OR case_id = %s ORDER BY seq", (bundle_id, bundle_id))
        return cur.fetchall()


class FakeService:
    """One of our services as the outbox sender reaches it: records calls, answers as told."""

    def __init__(self, name, answers):
        self.name, self.answers, self.calls = name, answers, []

    def __getattr__(self, method):
        def call(*args, **kwargs):
            self.calls.append((method, args, kwargs))
            answer_ = self.answers[method]
            result = answer_(*args, **kwargs) if callable(answer_) else answer_
            if isinstance(result, Exception):
                raise result
            return result
        return call


class FakeCluster:
    def __init__(self, **services):
        self.services = {name: FakeService(name, answers) for name, answers in services.items()}

    def __getattr__(self, name):
        return self.services[name]


def send_commands(ctx, db, cluster) -> int:
    """One pass of the bundle's outbox sender against `cluster`, outcomes recorded as the
    service records them (the bundle moved on in the same transaction)."""
    sender = BundleOutboxSender(db, {}, "bundle", attempts=3, backoff=0.0, max_backoff=0.0,
                                on_outcome=lambda cur, c: handlers.on_command_outcome(ctx, cur, c))
    sent = 0
    for command in sender.claim(50):
        sender.record(command, *sender.send(cluster, {}, command))
        sent += 1
    return sent


def our_services(case_id="case-1", card_id="card-1"):
    return FakeCluster(
        placement={"report_in": {"case_id": case_id, "veteran_id": "v", "version": 1,
                                 "status": "reported", "replayed": False},
                   "choose_placement_mode": {"case_id": case_id, "veteran_id": "v",
                                             "version": 2, "status": "self_employed",
                                             "replayed": False}},
        registry={"record_discharge": lambda vid, payload, **kw: {
            "veteran_id": vid, "version": 2, "replayed": False}},
        benefits={"apply_card": {"id": card_id, "veteran_id": "v", "state": "applied",
                                 "version": 1, "replayed": False}})


def notices_for(ctx, db, veteran_id):
    handlers.notify_from_events(ctx, NotificationAccess(db, "local"))
    with db.transaction() as cur:
        return notify.inbox(cur, veteran_id, 50)[0]


def staff_list(ctx, caller, **filters):
    ProjectionRunner(ctx.store, PROJECTIONS["bundle_list"]).catch_up()
    with ctx.store.db.transaction() as cur:
        return queries.attention(cur, caller, **filters)["items"]


# -- fan-out and completion -----------------------------------------------------------------------

def test_one_submission_fans_out_to_every_department_and_completes(ctx, db):
    veteran_id = register(ctx, db, party=True)
    written = submit(ctx, veteran_id, placement_mode="self_employment",
                     leave_out=[{"matter": "reserve_registration", "reason": "已在部队办理"}])
    bundle_id = written.bundle_id
    bundle = read(ctx, bundle_id)
    requested = {k for k, m in bundle.matters.items() if m.status == "requested"}
    assert requested == {"reporting_in", "veteran_file", "household_registration", "id_card",
                         "pension_insurance", "medical_insurance", "party_membership", "card",
                         "subsidy", "job_seeker"}
    assert bundle.matters["reserve_registration"].status == "left_out"
    assert bundle.matters["disability_transfer"].status == "not_applicable"
    # every chosen matter on its clock; the external ones told to their department
    clocks = {d["name"] for d in deadlines_for(db, bundle_id, ctx.clock)}
    assert clocks == requested
    types = [e.event_type for e in ctx.store.read_stream(bundle_id)]
    assert types.count("MatterRequested.public_security") == 2  # household, ID card
    assert types.count("MatterRequested.party_organisation") == 1
    assert "MatterRequested.armed_forces" not in types
    # internal commands with deterministic ids; the card and the subsidy wait for their turn
    rows = outbox_rows(db, bundle_id)
    assert {(r[0], r[1], r[2]) for r in rows} == {
        ("veteran_file#1", "registry", "record_discharge"),
        ("reporting_in#1", "placement", "report_in")}
    assert {r[4] for r in rows} == {command_id("bundle", bundle_id, "veteran_file", 1),
                                    command_id("bundle", bundle_id, "reporting_in", 1)}

    cluster = our_services()
    assert send_commands(ctx, db, cluster) == 2
    bundle = read(ctx, bundle_id)
    assert bundle.matters["veteran_file"].status == "done"  # the file's answer completes it
    assert bundle.matters["reporting_in"].status == "acknowledged"
    assert bundle.matters["reporting_in"].reference == "case-1"
    # the route convention: the command id travels in the caller, as the gateway's key does
    method, args, kwargs = cluster.placement.calls[0]
    params, body, query, caller = args
    assert (method, kwargs) == ("report_in", {})
    assert caller["command_id"] == command_id("bundle", bundle_id, "reporting_in", 1)
    assert caller["subject"] == "bundle" and caller["district"] is True
    assert body["veteran_id"] == veteran_id and body["service_station"] == STATION
    # the file done: the card goes out now
    assert [r[0] for r in outbox_rows(db, bundle_id)][-1] == "card#1"
    # placement's own event completes reporting in; the mode goes out on that case
    follow(ctx, db, owner_event("ReportedIn", {"case_id": "case-1", "veteran_id": veteran_id},
                                "case-1"))
    assert send_commands(ctx, db, cluster) == 2  # card, subsidy's mode
    assert cluster.placement.calls[-1][1][0] == {"case_id": "case-1"}
    assert cluster.placement.calls[-1][1][1] == {"mode": "self_employment"}
    for event_type, data, version in (
            ("ModeChosen", {"mode": "self_employment", "on": "2026-06-01"}, 2),
            ("SubsidyAssessed", {"amount_fen": 100}, 3), ("SubsidyPaid", {"amount_fen": 100}, 4)):
        follow(ctx, db, owner_event(event_type, {"case_id": "case-1", "veteran_id": veteran_id,
                                                 **data}, "case-1", version))
    follow(ctx, db, owner_event("JobSeekerRegistered", {"veteran_id": veteran_id}, veteran_id))
    for version, step in enumerate(("CardApplied", "CardCountyChecked", "CardMade",
                                    "CardHandedOut"), start=1):
        follow(ctx, db, owner_event(step, {"card_id": "card-1", "veteran_id": veteran_id},
                                    "card-1", version))
    bundle = read(ctx, bundle_id)
    assert {k: m.status for k, m in bundle.matters.items() if m.department in (
        "placement", "registry", "benefits", "employment") and m.chosen} == dict.fromkeys(
        ("reporting_in", "veteran_file", "card", "subsidy", "job_seeker"), "done")
    assert bundle.matters["card"].steps == ["CardCountyChecked", "CardMade"]
    # the departments answer their own; the last answer completes the bundle
    for key in EXTERNAL[:-1]:
        owner = ctx.catalogue.get(key).department
        answer(ctx, bundle_id, key, department(owner), outcome="acknowledged")
        written = answer(ctx, bundle_id, key, department(owner), outcome="done",
                         reference=f"REF-{key}")
    assert written.bundle.status == "complete"
    assert [e.event_type for e in ctx.store.read_stream(bundle_id)][-1] == "BundleCompleted"
    assert all(d["state"] == "met" for d in deadlines_for(db, bundle_id, ctx.clock))
    notices = notices_for(ctx, db, veteran_id)
    assert [n.kind for n in notices] == ["bundle_completed"]
    # the claim was given up with the completion: a new bundle may be submitted
    assert submit(ctx, veteran_id).bundle_id != bundle_id


def test_a_retried_submission_returns_the_first_and_a_second_one_is_a_409_naming_it(ctx, db):
    veteran_id = register(ctx, db)
    first = submit(ctx, veteran_id, caller=veteran(veteran_id, "key-1"))
    again = submit(ctx, veteran_id, caller=veteran(veteran_id, "key-1"))
    assert (again.bundle_id, again.replayed) == (first.bundle_id, True)
    with pytest.raises(handlers.OpenBundleExists) as refused:
        submit(ctx, veteran_id, caller=veteran(veteran_id, "key-2"))
    assert refused.value.bundle_id == first.bundle_id
    assert refused.value.fields == {"bundle_id": [first.bundle_id]}
    with pytest.raises(handlers.OpenBundleExists):
        submit(ctx, veteran_id, caller=station_worker())
    # nothing of the refused ones was written
    with db.transaction() as cur:
        cur.execute("SELECT count(DISTINCT stream_id) FROM stored_events")
        assert cur.fetchone()[0] == 1


def test_out_of_reach_is_not_found(ctx, db):
    veteran_id = register(ctx, db)
    with pytest.raises(BundleNotFound):
        submit(ctx, veteran_id, caller=station_worker(OTHER_STATION))
    with pytest.raises(BundleNotFound):
        submit(ctx, veteran_id, caller=veteran(str(uuid.uuid4())))
    bundle_id = submit(ctx, veteran_id).bundle_id
    with pytest.raises(BundleNotFound):  # a department with no matter in it
        answer(ctx, bundle_id, "id_card", department("party_organisation"), outcome="done",
               reference="x")
    with pytest.raises(BundleNotFound):
        answer(ctx, "not-a-uuid", "id_card", department("public_security"), outcome="done",
               reference="x")


# -- departments' answers -------------------------------------------------------------------------

def test_a_department_answering_twice_changes_nothing_the_second_time(ctx, db):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    police = department("public_security", "ga-answer-1")
    first = answer(ctx, bundle_id, "id_card", police, outcome="done", reference="GA-1")
    retried = answer(ctx, bundle_id, "id_card", police, outcome="done", reference="GA-1")
    assert (retried.version, retried.replayed) == (first.version, True)
    twice = answer(ctx, bundle_id, "id_card", department("public_security"), outcome="done",
                   reference="GA-1")
    assert (twice.version, twice.replayed, twice.new) == (first.version, False, ())
    history = [h for h in read(ctx, bundle_id).history if h.matter == "id_card"]
    assert [h.event for h in history] == ["MatterRequested", "MatterDone"]


def test_a_department_answering_another_departments_matter_is_forbidden(ctx, db):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    for matter in ("pension_insurance", "card", "reporting_in"):
        with pytest.raises(NotYourMatter) as refused:
            answer(ctx, bundle_id, matter, department("public_security"), outcome="done",
                   reference="GA-9")
        assert refused.value.code == "forbidden"
    assert read(ctx, bundle_id).matters["pension_insurance"].status == "requested"


def test_a_late_correction_after_done_is_accepted_and_shown(ctx, db):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    police = department("public_security")
    answer(ctx, bundle_id, "id_card", police, outcome="done", reference="GA-1")
    answer(ctx, bundle_id, "id_card", police, outcome="done", reference="GA-1-corrected")
    m = read(ctx, bundle_id).matters["id_card"]
    assert (m.status, m.reference, m.corrected) == ("done", "GA-1-corrected", True)
    answer(ctx, bundle_id, "id_card", police, outcome="refused", reason="发现证件信息有误",
           next_step="请到户籍窗口更正出生日期")
    m = read(ctx, bundle_id).matters["id_card"]
    assert (m.status, m.corrected, m.attention) == ("refused", True, "refused")
    notice = notices_for(ctx, db, veteran_id)[0]
    assert "更正" in notice.title and "请到户籍窗口更正出生日期" in notice.body


# -- no silent failure ----------------------------------------------------------------------------

def test_a_refusal_reaches_the_veteran_and_both_lists_until_it_is_asked_again(ctx, db):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    answer(ctx, bundle_id, "household_registration", department("public_security"),
           outcome="refused", reason="迁入地址与入伍前户籍地不一致",
           next_step="携带入伍通知书复印件到户籍窗口核实")
    notices = notices_for(ctx, db, veteran_id)
    assert [n.kind for n in notices] == ["matter_refused"]
    assert "户口登记" in notices[0].title
    assert "迁入地址与入伍前户籍地不一致" in notices[0].body
    assert "携带入伍通知书复印件到户籍窗口核实" in notices[0].body
    assert veteran_id not in notices[0].body
    assert notices_for(ctx, db, veteran_id) == notices  # told once
    on_station_list = staff_list(ctx, station_worker())
    on_department_list = staff_list(ctx, department("public_security"))
    assert [(i["kind"], i["matter"]) for i in on_station_list] == [
        ("refused", "household_registration")]
    assert on_department_list == on_station_list
    assert staff_list(ctx, station_worker(OTHER_STATION)) == []
    assert staff_list(ctx, department("armed_forces")) == []
    # the veteran asks again: a new attempt, a new clock, off the lists
    written = handlers.resubmit(ctx, bundle_id, "household_registration",
                                {"note": "已补充材料"}, {"note": "已补充材料"},
                                veteran(veteran_id), Metadata(), OutboxAccess("bundle"))
    m = written.bundle.matters["household_registration"]
    assert (m.status, m.attempt) == ("requested", 2)
    assert staff_list(ctx, station_worker()) == []
    types = [e.event_type for e in ctx.store.read_stream(bundle_id)]
    assert types.count("MatterRequested.public_security") == 3  # two matters, one asked again
    pending = [d for d in deadlines_for(db, bundle_id, ctx.clock)
               if d["name"] == "household_registration"]
    assert [(d["generation"], d["state"]) for d in pending] == [(1, "met"), (2, "pending")]


def test_an_internal_refusal_reaches_the_veteran_with_the_services_reason(ctx, db):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    refusal = ServiceError("invalid_input", "the request is not valid",
                           {"rank_class": ["the registry's rank is unknown: give it"]})
    cluster = our_services()
    cluster.services["placement"].answers["report_in"] = refusal
    send_commands(ctx, db, cluster)
    m = read(ctx, bundle_id).matters["reporting_in"]
    assert m.status == "refused" and "rank_class" in m.refusal_reason
    assert m.next_step == ctx.catalogue.get("reporting_in").next_step
    assert [n.kind for n in notices_for(ctx, db, veteran_id)] == ["matter_refused"]
    # told the rank, it goes again as attempt 2, with a new command id
    form = {"rank_class": "conscript", "years_of_service": 2}
    handlers.resubmit(ctx, bundle_id, "reporting_in", form, form, station_worker(), Metadata(),
                      OutboxAccess("bundle"))
    cluster.services["placement"].answers["report_in"] = our_services().services[
        "placement"].answers["report_in"]
    send_commands(ctx, db, cluster)
    call = cluster.placement.calls[-1][1]
    assert call[1]["rank_class"] == "conscript"
    assert call[3]["command_id"] == command_id("bundle", bundle_id, "reporting_in", 2)
    assert read(ctx, bundle_id).matters["reporting_in"].status == "acknowledged"


def test_a_service_that_has_not_caught_up_is_asked_again_and_one_that_never_answers_is_listed(
        ctx, db):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    cluster = our_services()
    cluster.services["placement"].answers["report_in"] = ServiceError(
        "not_found", "no veteran file with this id")
    cluster.services["registry"].answers["record_discharge"] = TimeoutError("no answer")
    for _ in range(3):
        send_commands(ctx, db, cluster)
    statuses = dict((r[0], r[3]) for r in outbox_rows(db, bundle_id))
    assert statuses == {"reporting_in#1": "failed", "veteran_file#1": "failed"}
    bundle = read(ctx, bundle_id)
    assert bundle.matters["reporting_in"].attention == "command_failed"
    items = staff_list(ctx, officer("placement_officer"))
    assert [(i["kind"], i["matter"]) for i in items] == [("command_failed", "reporting_in")]
    assert {i["matter"] for i in staff_list(ctx, station_worker())} == {"reporting_in",
                                                                        "veteran_file"}


def test_an_overdue_matter_fires_once_is_on_both_lists_and_the_veteran_is_told(ctx, db, clock):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    answer(ctx, bundle_id, "id_card", department("public_security"), outcome="acknowledged")
    runner = DeadlineRunner(ctx.store, clock)
    assert runner.run_due().fired == []
    clock.advance(days=8)  # 5 working days from Monday 1 June 2026 end with 8 June
    fired = runner.run_due().fired
    overdue = [e for e in ctx.store.read_stream(bundle_id) if e.event_type == "MatterOverdue"]
    assert len(fired) == len(overdue) == 2  # reporting in and the file: 5 working days
    assert {e.data["matter"] for e in overdue} == {"reporting_in", "veteran_file"}
    assert runner.run_due().fired == []
    clock.advance(days=7)  # household registration's 10 working days ended with 15 June
    assert len(runner.run_due().fired) == 1
    clock.advance(days=30)
    runner.run_due()
    assert runner.run_due().fired == []
    bundle = read(ctx, bundle_id)
    late = {k for k, m in bundle.matters.items() if m.shown_status == "overdue"}
    assert {"household_registration", "id_card", "pension_insurance",
            "medical_insurance"} <= late and bundle.overdue
    notices = notices_for(ctx, db, veteran_id)
    kinds = {n.subject for n in notices if n.kind == "matter_overdue"}
    assert kinds == late
    assert len(notices) == len(late)  # once each
    assert notices_for(ctx, db, veteran_id) == notices
    police = {i["matter"] for i in staff_list(ctx, department("public_security"), kind="overdue")}
    assert police == {"household_registration", "id_card"}
    station = {i["matter"] for i in staff_list(ctx, station_worker(), kind="overdue")}
    assert station == late
    # the department answers late: off the lists, shown late; a follow-up takes another off
    answer(ctx, bundle_id, "id_card", department("public_security"), outcome="done",
           reference="GA-7")
    handlers.follow_up(ctx, bundle_id, "household_registration", {"note": "已电话催办"},
                       department("public_security"), Metadata(), OutboxAccess("bundle"))
    assert staff_list(ctx, department("public_security")) == []
    m = read(ctx, bundle_id).matters["id_card"]
    assert (m.status, m.late) == ("done", True)
    with pytest.raises(NotYourMatter):
        handlers.follow_up(ctx, bundle_id, "medical_insurance", {"note": "x"},
                           department("public_security"), Metadata(), OutboxAccess("bundle"))


def test_a_withdrawn_matter_tells_its_department_and_stops_its_clock(ctx, db):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    written = handlers.withdraw(ctx, bundle_id, "id_card", {"reason": "已自行办理"},
                                veteran(veteran_id), Metadata(), OutboxAccess("bundle"))
    assert written.bundle.matters["id_card"].status == "withdrawn"
    last = ctx.store.read_stream(bundle_id)[-1]
    assert last.event_type == "MatterWithdrawn.public_security"
    assert contract.public_form(last) == {
        "bundle_id": bundle_id, "matter": "id_card", "attempt": 1,
        "department": "public_security", "on": "2026-06-01"}
    clocks = {d["name"]: d["state"] for d in deadlines_for(db, bundle_id, ctx.clock,
                                                           include_cancelled=True)}
    assert clocks["id_card"] == "cancelled"
    with pytest.raises(WrongMatterState):
        answer(ctx, bundle_id, "id_card", department("public_security"), outcome="done",
               reference="GA-1")
    again = handlers.withdraw(ctx, bundle_id, "id_card", {"reason": "已自行办理"},
                              veteran(veteran_id), Metadata(), OutboxAccess("bundle"))
    assert again.new == ()


def test_the_bundle_as_each_reader_sees_it(ctx, db):
    veteran_id = register(ctx, db, party=True)
    bundle_id = submit(ctx, veteran_id).bundle_id
    answer(ctx, bundle_id, "id_card", department("public_security"), outcome="refused",
           reason="照片不合格", next_step="重新采集照片")
    handlers.notify_from_events(ctx, NotificationAccess(db, "local"))
    with db.transaction() as cur:
        bundle, recorded = load_in(cur, bundle_id)
        sent = notify.of_case(cur, bundle_id)
    whole = queries.bundle_view(ctx.catalogue, bundle, recorded, sent, veteran(veteran_id))
    police = queries.bundle_view(ctx.catalogue, bundle, recorded, sent,
                                 department("public_security"))
    leader = queries.bundle_view(ctx.catalogue, bundle, recorded, sent,
                                 Caller("l", ("leader",), "leader:l", district=True))
    assert len(whole["matters"]) == 12 and len(whole["notifications"]) == 1
    assert {m["matter"] for m in police["matters"]} == {"household_registration", "id_card"}
    assert police["notifications"] == [] and police["veteran_id"] == veteran_id
    assert {h["matter"] for h in police["history"]} <= {None, "household_registration",
                                                        "id_card"}
    id_card = next(m for m in leader["matters"] if m["matter"] == "id_card")
    assert id_card["status"] == "refused" and id_card["refusal_reason"] is None
    assert "refusal_reason" in leader["withheld"] and leader["notifications"] == []
    reply = instance(contract.BundleReply).dump(whole)
    assert reply["version"] == bundle.version == len(recorded)
    json.dumps(reply)


# -- notifications: delivery tracked, a failure on a staff list ---------------------------------------

class FlakySender:
    channel = "app"

    def __init__(self, failures: int, retryable: bool = True):
        self.failures, self.retryable, self.delivered = failures, retryable, []

    def deliver(self, notification):
        if self.failures:
            self.failures -= 1
            raise DeliveryFailed("HTTP 503 from the channel", self.retryable)
        self.delivered.append(notification.notification_id)
        return "app-123"


def test_a_notice_that_cannot_be_delivered_is_retried_then_listed_and_sent_again(ctx, db):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    answer(ctx, bundle_id, "id_card", department("public_security"), outcome="refused",
           reason="照片不合格", next_step="重新采集照片")
    [notice] = notices_for(ctx, db, veteran_id)
    sender = FlakySender(failures=5)
    dispatcher = NotificationDispatcher(db, sender, attempts=3, backoff=0.0, max_backoff=0.0)
    assert dispatcher.deliver_pending() == {"sent": 0, "retrying": 2, "failed": 1}
    with db.transaction() as cur:
        failed = notify.get(cur, notice.notification_id)
        history = notify.deliveries(cur, notice.notification_id)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert [h["outcome"] for h in history] == ["retrying", "retrying", "failed"]
    items = staff_list(ctx, station_worker(), kind="notification_failed")
    assert [(i["notification_id"], i["attempts"]) for i in items] == [
        (notice.notification_id, 3)]
    assert staff_list(ctx, department("public_security"), kind="notification_failed") == []
    with db.transaction() as cur:
        assert notify.retry(cur, notice.notification_id)
        assert not notify.retry(cur, notice.notification_id)  # pending now: nothing to retry
    assert dispatcher.deliver_pending() == {"sent": 1, "retrying": 2, "failed": 0}
    with db.transaction() as cur:
        sent = notify.get(cur, notice.notification_id)
        history = notify.deliveries(cur, notice.notification_id)
    assert (sent.status, sent.provider_reference) == ("sent", "app-123")
    assert [h["outcome"] for h in history][-4:] == ["requeued", "retrying", "retrying", "sent"]
    assert staff_list(ctx, station_worker(), kind="notification_failed") == []


def test_a_notice_with_no_address_fails_at_once_and_the_local_sender_writes_its_log(
        ctx, db, tmp_path):
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    answer(ctx, bundle_id, "id_card", department("public_security"), outcome="refused",
           reason="照片不合格", next_step="重新采集照片")
    notices_for(ctx, db, veteran_id)
    sms = notify.SmsSender("http://127.0.0.1:9/sms", lambda _: None)
    assert NotificationDispatcher(db, sms).deliver_pending() == {
        "sent": 0, "retrying": 0, "failed": 1}
    with db.transaction() as cur:
        [notice] = notify.failed_notifications(cur)
        notify.retry(cur, notice.notification_id)
    log_file = tmp_path / "notifications.log"
    local = notify.sender_from_config({"NOTIFY_SENDER": "local", "NOTIFY_LOG_PATH": log_file})
    assert NotificationDispatcher(db, local).deliver_pending()["sent"] == 1
    line = json.loads(log_file.read_text().splitlines()[0])
    assert line["recipient"] == veteran_id and "照片不合格" in line["body"]


def test_a_term_the_calendar_cannot_count_yet_is_listed_then_set_once_it_can(ctx, db, clock,
                                                                            tmp_path):
    clock.set(datetime(2026, 12, 21, 9, 0, tzinfo=SHANGHAI))  # 10 working days run into 2027
    veteran_id = register(ctx, db)
    bundle_id = submit(ctx, veteran_id).bundle_id
    bundle = read(ctx, bundle_id)
    unknown = {k for k, m in bundle.matters.items() if m.clock_unknown}
    assert {"household_registration", "id_card", "pension_insurance"} <= unknown
    assert "reserve_registration" not in unknown  # calendar days are always countable
    assert all(bundle.matters[k].due_on is None for k in unknown)
    listed = {i["matter"] for i in staff_list(ctx, station_worker(), kind="clock_unknown")}
    assert listed == unknown
    # Until the year's holidays are known, nothing is guessed.
    assert handlers.set_terms(ctx) == 0
    # Ops add the year (here a test calendar: New Year's Day off, nothing moved).
    (tmp_path / "2027.json").write_text(json.dumps({
        "year": 2027, "source": "a test calendar", "holidays": ["2027-01-01"],
        "workdays": []}))
    calendar = WorkingCalendar(tmp_path)
    assert handlers.set_terms(ctx, calendar.add_working_days) == len(unknown)
    bundle = read(ctx, bundle_id)
    household = bundle.matters["household_registration"]
    assert (household.clock_unknown, household.due_on) == (False, date(2027, 1, 5))
    assert staff_list(ctx, station_worker(), kind="clock_unknown") == []
    clocks = {d["name"]: d for d in deadlines_for(db, bundle_id, ctx.clock)}
    assert clocks["household_registration"]["due_on"] == date(2027, 1, 5)
    assert handlers.set_terms(ctx, calendar.add_working_days) == 0  # once
