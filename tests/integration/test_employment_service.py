"""The employment service on the real database and broker: commands, read models, matching in SQL, and
job seekers registered from placement's events published on `placement.events`."""
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pika
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy
from stdnum.cn import uscc

from chassis import deadletters
from chassis.caller import Caller
from chassis.consumer import NAMEKO_SERIALIZER_CONFIG
from chassis.db import Database
from chassis.envelope import CLOUDEVENTS_CONTENT_TYPE, Metadata, RecordedEvent
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore
from chassis.wire import ServiceError
from contracts import employment as contract
from services.employment import handlers, queries
from services.employment.domain import commands as cmds
from services.employment.domain import job_seekers as js
from services.employment.domain import matching
from services.employment.domain.errors import AlreadyRegistered, InvalidEmploymentData
from services.employment.domain.postings import close_posting
from services.employment.domain.townships import TOWNSHIPS
from services.employment.domain.vocabulary import POSTING_KINDS
from services.employment.projections import TABLES, EmploymentViews
from services.employment.service import EmploymentService
from tests.conftest import fresh_database, truncate, wait_until

TODAY = handlers.shanghai_today()
PLACEMENT_QUEUE = ("evt-placement-ReportedIn+ModeChosen+HandedToEmployment--"
                   "employment.on_placement_case")
STATION = "孝顺镇退役军人服务站"


def credit_code(rng=random) -> str:
    body = "91330703" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc.calc_check_digit(body)


@pytest.fixture(scope="session")
def employment_database_url():
    return fresh_database("vetlife_employment_test",
                          [CHASSIS_MIGRATIONS, service_migrations("employment")])


@pytest.fixture
def employment_db(employment_database_url):
    db = Database(employment_database_url)
    truncate(db, *TABLES, "placement_cases", "stream_progress", "parked_events", "dead_lettered")
    yield db
    db.close()


@pytest.fixture
def store(employment_db):
    return PostgresEventStore(employment_db, "employment_events", upcast=contract.upcast)


def meta():
    return Metadata(actor="employment_officer:test")


def employer(store, name="金华市金东区顺达物流有限公司", code=None, key=None):
    return handlers.register_employer(
        store, cmds.RegisterEmployer(name, code or credit_code(), "孝顺镇"), meta(), key,
        TODAY).stream_id


def post(store, employer_id, **changes):
    values = dict(employer_id=employer_id, title="仓储管理员", kind="logistics",
                  township="孝顺镇", pay_min_fen=450_000, pay_max_fen=600_000, headcount=1,
                  requirements=("叉车证",))
    values.update(changes)
    return handlers.publish_posting(store, cmds.PublishPosting(**values), meta(), None,
                                    TODAY).stream_id


def seeker(store, veteran_id=None, station=STATION, **intention):
    veteran_id = veteran_id or str(uuid.uuid4())
    handlers.register_seeker(
        store, cmds.RegisterJobSeeker(veteran_id, station[:3], station),
        cmds.StateJobIntention(**intention) if intention else None, meta(), None, TODAY)
    return veteran_id


def caught_up(store):
    ProjectionRunner(store, EmploymentViews()).catch_up()


# -- commands on the store ----------------------------------------------------------------------

def test_one_employer_per_credit_code_and_a_retry_answers_with_the_first_id(store):
    code = credit_code()
    first = employer(store, code=code, key="gw:abc:employer-0001")
    again = handlers.register_employer(
        store, cmds.RegisterEmployer("金华市金东区顺达物流有限公司", code, "孝顺镇"), meta(),
        "gw:abc:employer-0001", TODAY)
    assert (again.stream_id, again.replayed) == (first, True)
    with pytest.raises(AlreadyRegistered) as refused:
        employer(store, "另一家公司", code=code.lower())
    assert first in refused.value.message and refused.value.code == "already_registered"


def test_a_posting_needs_an_employer_on_file(store):
    with pytest.raises(InvalidEmploymentData) as refused:
        post(store, str(uuid.uuid4()))
    assert "employer_id" in refused.value.fields


def test_a_veteran_is_a_job_seeker_once(store):
    veteran_id = seeker(store)
    with pytest.raises(AlreadyRegistered):
        seeker(store, veteran_id)


def test_hires_fill_a_posting_and_take_it_off_the_board(store, employment_db):
    employer_id = employer(store)
    posting_id = post(store, employer_id, headcount=1)
    first, second = seeker(store), seeker(store)
    caught_up(store)
    with employment_db.transaction() as cur:
        assert queries.places_left(cur, posting_id) == 1
    hire = cmds.RecordHire(employer_id, TODAY, 24, True, posting_id, 520_000)
    posting = handlers.load_posting(store, posting_id)
    handlers.change_seeker(store, first, "record_hire", hire,
                           lambda s: js.record_hire(s, hire, "h1", True, posting, 1, TODAY),
                           meta(), None, None, lambda s: True)
    caught_up(store)
    with employment_db.transaction() as cur:
        assert queries.places_left(cur, posting_id) == 0
        cur.execute("SELECT listed FROM postings WHERE posting_id = %s", (posting_id,))
        assert cur.fetchone() == (False,)
        cur.execute("SELECT status FROM job_seekers WHERE veteran_id = %s", (first,))
        assert cur.fetchone() == ("employed",)
        figures = queries.figures(cur, TODAY.replace(month=1, day=1), TODAY)
    assert (figures["hires"], figures["hires_qualifying_for_tax_relief"]) == (1, 1)
    assert figures["employers_registered"] == 1 and figures["postings_published"] == 1
    assert figures["postings_open_at_end"] == 1  # filled, but not closed
    assert figures["job_seekers"] == {"registered": 2, "from_placement": 0, "direct": 2}
    with pytest.raises(Exception, match="all filled"):
        handlers.change_seeker(store, second, "record_hire", hire,
                               lambda s: js.record_hire(s, hire, "h2", True, posting, 0, TODAY),
                               meta(), None, None, lambda s: True)


# -- matching in SQL: the same answer as scoring every posting ------------------------------------

SKILLS = ("叉车证", "驾驶证c1", "电工证", "高中", "安保员证")


def test_matching_in_sql_finds_what_scoring_every_posting_finds(store, employment_db):
    rng = random.Random(11)
    employers = [employer(store, f"企业{i}") for i in range(3)]
    board = []
    for _ in range(400):
        township = rng.choice((*TOWNSHIPS, "义乌市"))
        published = TODAY - timedelta(days=rng.randrange(0, 120))
        kind = rng.choice(POSTING_KINDS)
        requirements = tuple(rng.sample(SKILLS, rng.randrange(0, 3)))
        pay = rng.randrange(300_000, 900_000, 10_000)
        posting_id = post(store, rng.choice(employers), kind=kind, township=township,
                          pay_min_fen=pay - 100_000, pay_max_fen=pay,
                          requirements=requirements, published_on=published)
        board.append(matching.PostingFacts(posting_id, township, kind, pay, requirements,
                                           published))
    # Some are closed: never matched.
    closed = set()
    for posting in rng.sample(board, 40):
        handlers.change_posting(
            store, posting.posting_id, "close_posting", cmds.ClosePosting("withdrawn"),
            lambda p: close_posting(p, cmds.ClosePosting("withdrawn"), TODAY), meta(), None,
            None)
        closed.add(posting.posting_id)
    caught_up(store)
    open_board = [p for p in board if p.posting_id not in closed]
    for _ in range(15):
        s = matching.Seeker("v", rng.choice(TOWNSHIPS),
                            frozenset(rng.sample(POSTING_KINDS, rng.randrange(0, 3))),
                            frozenset(rng.sample(TOWNSHIPS, rng.randrange(0, 2))),
                            rng.choice((None, 500_000)),
                            frozenset(rng.sample(SKILLS, rng.randrange(0, 4))))
        with employment_db.transaction() as cur:
            found = queries.match_postings(cur, s, TODAY, 10)
        expected = matching.rank_all(s, open_board, TODAY, 10)
        assert [f["score"] for f in found] == [e.score for e in expected]
        assert not closed & {f["posting_id"] for f in found}
        assert [f["rank"] for f in found] == list(range(1, len(found) + 1))
        assert all(f["title"] == "仓储管理员" and f["employer_name"] for f in found)


def test_a_rebuilt_read_model_equals_the_live_one(store, employment_db):
    employer_id = employer(store)
    post(store, employer_id)
    seeker(store, kinds=("logistics",), skills=("叉车证",))
    caught_up(store)

    def snapshot():
        with employment_db.transaction() as cur:
            rows = {}
            for table in TABLES:
                cur.execute(f"SELECT * FROM {table} ORDER BY 1")
                rows[table] = cur.fetchall()
            return rows

    before = snapshot()
    assert ProjectionRunner(store, EmploymentViews()).rebuild(show_progress=False) == 4
    assert snapshot() == before


# -- the service over RPC, and placement's events over the broker --------------------------------

@pytest.fixture
def service(employment_db, employment_database_url, amqp_uri, amqp_channel):
    for queue in (PLACEMENT_QUEUE, deadletters.dead_letter_queue(PLACEMENT_QUEUE),
                  "rpc-employment"):
        amqp_channel.queue_delete(queue)
    config = {"AMQP_URI": amqp_uri, "DATABASE_URL": employment_database_url, "max_workers": 4,
              **NAMEKO_SERIALIZER_CONFIG,
              "LOAN_TERMS": [{"year": TODAY.year, "cap_per_person_fen": 30_000_000,
                              "subsidy_percent": 50, "max_term_months": 36}]}
    container = ServiceContainer(EmploymentService, config)
    container.start()
    with ClusterRpcProxy(config, timeout=20) as cluster:
        yield cluster.employment
    container.kill()


def as_caller(*roles, stations=(), veteran_id=None, key=None) -> dict:
    return Caller(subject="t", roles=roles, actor=f"{roles[0]}:t",
                  district="employment_officer" in roles or "leader" in roles,
                  stations=tuple(stations), veteran_id=veteran_id, command_id=key).as_dict()


OFFICER = as_caller("employment_officer")


def test_the_rpc_methods_answer_with_the_contracts_replies_and_refuse_by_reach(service):
    made = service.register_employer({}, {"name": "金华市金东区顺达物流有限公司",
                                          "credit_code": credit_code(), "township": "孝顺镇"},
                                     None, OFFICER)
    posting = service.publish_posting({}, {
        "employer_id": made["employer_id"], "title": "叉车司机", "kind": "logistics",
        "township": "孝顺镇", "pay_min_fen": 500_000, "pay_max_fen": 700_000, "headcount": 3,
        "requirements": ["叉车证"]}, None, OFFICER)
    worker = as_caller("station_worker", stations=[STATION])
    veteran_id = str(uuid.uuid4())
    service.register_job_seeker({}, {"veteran_id": veteran_id, "township": "孝顺镇",
                                     "service_station": STATION, "kinds": ["logistics"],
                                     "skills": ["叉车证"]}, None, worker)
    with pytest.raises(ServiceError) as refused:
        service.register_job_seeker({}, {"veteran_id": str(uuid.uuid4()), "township": "岭下镇",
                                         "service_station": "岭下镇退役军人服务站"}, None, worker)
    assert refused.value.code == "forbidden"

    mine = as_caller("veteran", veteran_id=veteran_id)
    matches = service.match_postings({"veteran_id": veteran_id}, None, {"limit": "5"}, mine)
    assert [m["posting_id"] for m in matches["items"]] == [posting["posting_id"]]
    assert matches["items"][0]["score"] == 100
    assert {p["name"] for p in matches["items"][0]["parts"]} == {
        "place", "requirements", "kind", "pay", "freshness"}
    assert contract.MatchesReply().validate(matches) == {}

    for stranger in (as_caller("veteran", veteran_id=str(uuid.uuid4())),
                     as_caller("station_worker", stations=["岭下镇退役军人服务站"])):
        for call in (service.match_postings, service.get_job_seeker):
            with pytest.raises(ServiceError) as refused:
                call({"veteran_id": veteran_id}, None, {}, stranger)
            assert refused.value.code == "not_found"
    with pytest.raises(ServiceError) as refused:
        service.match_postings({"veteran_id": "not-a-uuid"}, None, {}, OFFICER)
    assert refused.value.code == "not_found"

    fits = service.match_job_seekers({"posting_id": posting["posting_id"]}, None, {}, worker)
    assert [m["veteran_id"] for m in fits["items"]] == [veteran_id]
    elsewhere = as_caller("station_worker", stations=["岭下镇退役军人服务站"])
    assert service.match_job_seekers({"posting_id": posting["posting_id"]}, None, {},
                                     elsewhere)["items"] == []

    key = "gw:0123:hire-0001"
    hire = {"employer_id": made["employer_id"], "posting_id": posting["posting_id"],
            "hired_on": TODAY.isoformat(), "contract_months": 24, "social_insurance": True}
    first = service.record_hire({"veteran_id": veteran_id}, hire, None,
                                as_caller("station_worker", stations=[STATION], key=key))
    again = service.record_hire({"veteran_id": veteran_id}, hire, None,
                                as_caller("station_worker", stations=[STATION], key=key))
    assert (again["record_id"], again["replayed"]) == (first["record_id"], True)
    loan = {"lender": "金华银行", "amount_fen": 20_000_000, "term_months": 36,
            "annual_rate_bp": 345, "granted_on": TODAY.isoformat()}
    service.grant_startup_loan({"veteran_id": veteran_id}, loan, None, OFFICER)
    with pytest.raises(ServiceError) as refused:
        service.grant_startup_loan({"veteran_id": veteran_id}, loan, None, OFFICER)
    assert refused.value.code == "conflict" and "amount_fen" in refused.value.fields

    record = service.get_job_seeker({"veteran_id": veteran_id}, None, None, mine)
    assert record["status"] == "employed" and len(record["hires"]) == 1
    assert record["loans"][0]["yearly_interest_subsidy_fen"] == 345_000
    figures = service.employment_figures({}, None, {}, as_caller("leader"))
    assert figures["hires"] == 1 and figures["startup_loans"]["amount_fen"] == 20_000_000
    assert contract.EmploymentFiguresReply().validate(figures) == {}
    with pytest.raises(ServiceError) as refused:
        service.employment_figures({}, None, {"from": "2026-02-01", "to": "2026-01-01"},
                                   OFFICER)
    assert refused.value.code == "invalid_input"


def placement_event(event_type, case_id, version, data, position):
    now = datetime.now(UTC).isoformat()
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/vetlife/placement",
            "type": event_type, "subject": case_id, "time": now, "recordedat": now,
            "datacontenttype": "application/json",
            "dataschema": f"urn:vetlife:placement:{event_type}:v1", "schemaversion": 1,
            "streamversion": version, "position": position, "correlationid": str(uuid.uuid4()),
            "causationid": "", "actor": "placement_officer", "data": data}


def publish(amqp_uri, cloudevent):
    """As the placement relay publishes: to `placement.events`, the type as routing key."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish("placement.events", cloudevent["type"],
                              json.dumps(cloudevent).encode(), pika.BasicProperties(
                                  content_type=CLOUDEVENTS_CONTENT_TYPE, delivery_mode=2,
                                  message_id=cloudevent["id"]), mandatory=True)
    finally:
        connection.close()


def reported_in(case_id, veteran_id, position, station=STATION):
    return placement_event("ReportedIn", case_id, 1, {
        "case_id": case_id, "veteran_id": veteran_id, "case_kind": "soldier",
        "service_station": station, "township": station[:3],
        "reported_on": (TODAY - timedelta(days=3)).isoformat()}, position)


def mode_chosen(case_id, veteran_id, mode, position, version=2):
    return placement_event("ModeChosen", case_id, version, {
        "case_id": case_id, "veteran_id": veteran_id, "mode": mode,
        "on": TODAY.isoformat()}, position)


def job_seeker_row(db, veteran_id):
    with db.transaction() as cur:
        cur.execute("SELECT event_type, data FROM stored_events WHERE stream_id = %s",
                    (veteran_id,))
        return cur.fetchall()


def test_a_self_employed_veteran_reported_in_becomes_a_job_seeker_once(
        service, employment_db, store, amqp_uri):
    case_id, veteran_id = str(uuid.uuid4()), str(uuid.uuid4())
    other_case, other_veteran = str(uuid.uuid4()), str(uuid.uuid4())
    publish(amqp_uri, reported_in(case_id, veteran_id, 1))
    publish(amqp_uri, reported_in(other_case, other_veteran, 2))
    chosen = mode_chosen(case_id, veteran_id, "self_employment", 3)
    publish(amqp_uri, chosen)
    publish(amqp_uri, mode_chosen(other_case, other_veteran, "assigned_work", 4))
    publish(amqp_uri, chosen)  # the bus delivers it again

    rows = wait_until(lambda: job_seeker_row(employment_db, veteran_id),
                      what="the job seeker registered from placement")
    wait_until(lambda: _handled(employment_db) == 4, what="all four events handled")
    assert [(t, d["source"], d["township"], d["service_station"]) for t, d in rows] == [
        ("JobSeekerRegistered", "placement", "孝顺镇", STATION)]
    assert job_seeker_row(employment_db, other_veteran) == []  # assigned work: not handed over
    # The handover at the end of the case finds them registered already. (Version 3 here: the
    # subsidy events between, which employment does not follow, would make it wait for the
    # catch-up from placement's log to say nothing of ours came between; no placement runs here.)
    publish(amqp_uri, placement_event("HandedToEmployment", case_id, 3, {
        "case_id": case_id, "veteran_id": veteran_id, "on": TODAY.isoformat()}, 5))
    wait_until(lambda: _handled(employment_db) == 5, what="the handover handled")
    assert len(job_seeker_row(employment_db, veteran_id)) == 1
    # And the veteran is matched like anyone else.
    matches = service.match_postings({"veteran_id": veteran_id}, None, {},
                                     as_caller("veteran", veteran_id=veteran_id))
    assert matches["township"] == "孝顺镇"


def test_one_registered_directly_first_is_left_as_it_is(service, employment_db, store, amqp_uri):
    case_id = str(uuid.uuid4())
    veteran_id = seeker(store, kinds=("security",))
    publish(amqp_uri, reported_in(case_id, veteran_id, 1))
    publish(amqp_uri, mode_chosen(case_id, veteran_id, "self_employment", 2))
    wait_until(lambda: _handled(employment_db) == 2, what="both events handled")
    assert [t for t, _ in job_seeker_row(employment_db, veteran_id)] == [
        "JobSeekerRegistered", "JobIntentionStated"]
    assert deadletters.list_dead_letters(PLACEMENT_QUEUE, amqp_uri) == []


def _handled(db):
    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM inbox WHERE consumer = 'employment.on_placement_case'")
        return cur.fetchone()[0]


def test_the_public_form_is_what_catch_up_serves(service, store):
    employer(store)
    page = service.events_after(0, 10, None)
    assert page["head"] == 1
    [event] = page["events"]
    assert set(event["data"]) == set(contract.EmployerRegisteredPublicV1._declared_fields)
    assert RecordedEvent.from_cloudevent(event).event_type == "EmployerRegistered"
    assert date.fromisoformat(event["data"]["registered_on"]) == TODAY
