"""Employment's decisions, table-wise: the credit code, and every refusal with its code and field."""
from datetime import date

import pytest
from stdnum.cn import uscc

from contracts import employment as contract
from services.employment.domain import commands as cmds
from services.employment.domain import vocabulary
from services.employment.domain.credit_code import parse_credit_code
from services.employment.domain.employers import register_employer
from services.employment.domain.errors import InvalidEmploymentData, NotFound, Refused
from services.employment.domain.events import (
    EVENT_TYPES,
    EmployerRegistered,
    Hired,
    JobIntentionStated,
    JobSeekerRegistered,
    PostingClosed,
    PostingPublished,
    StartupLoanGranted,
    TrainingEnrolled,
)
from services.employment.domain.job_fairs import record_job_fair
from services.employment.domain.job_seekers import (
    JobSeeker,
    LoanTerms,
    enrol_training,
    grant_contest_award,
    grant_startup_loan,
    record_employment_intention,
    record_hire,
    register_job_seeker,
    state_job_intention,
    yearly_interest_subsidy_fen,
)
from services.employment.domain.postings import Posting, close_posting, publish_posting

TODAY = date(2026, 6, 1)
TERMS = LoanTerms(2026, 30_000_000, 50, 36)


def code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


ENTERPRISE = code("91330703MA2HXKQ0Y")      # 9 market regulator, 1 enterprise, Jindong
INDIVIDUAL = code("92330703MA2HXKQ1Y")      # 9, 2: an individual business (个体工商户)
COOPERATIVE = code("93330703MA2HXKQ2Y")


# -- the unified social credit code ---------------------------------------------------------------

@pytest.mark.parametrize("text, value, individual", [
    (ENTERPRISE, ENTERPRISE, False),
    (ENTERPRISE.lower(), ENTERPRISE, False),
    (f"{ENTERPRISE[:8]} {ENTERPRISE[8:]}", ENTERPRISE, False),
    (f"{ENTERPRISE[:8]}-{ENTERPRISE[8:]}", ENTERPRISE, False),
    (INDIVIDUAL, INDIVIDUAL, True),
    (COOPERATIVE, COOPERATIVE, False),
    ("91110000600037341L", "91110000600037341L", False),
])
def test_valid_codes_in_their_standard_form(text, value, individual):
    parsed = parse_credit_code(text)
    assert (parsed.value, parsed.individual_business) == (value, individual)
    assert parsed.region == value[2:8]


@pytest.mark.parametrize("text, problem", [
    ("", "must be 18 characters"),
    (ENTERPRISE[:-1], "must be 18 characters"),
    (ENTERPRISE + "1", "must be 18 characters"),
    ("A" + ENTERPRISE[1:], "must be 8 digits then"),
    (ENTERPRISE[:9] + "I" + ENTERPRISE[10:], "must be 8 digits then"),   # I is not in the alphabet
    (ENTERPRISE[:-1] + ("0" if ENTERPRISE[-1] != "0" else "1"), "wrong check character"),
    ("91110000600037341M", "wrong check character"),
])
def test_invalid_codes_say_what_is_wrong(text, problem):
    with pytest.raises(InvalidEmploymentData) as refused:
        parse_credit_code(text)
    assert problem in refused.value.fields["credit_code"][0]
    assert refused.value.code == "invalid_input"


# -- employers -----------------------------------------------------------------------------------

def test_an_employer_is_registered_with_its_code_in_standard_form():
    [event] = register_employer(cmds.RegisterEmployer(
        " 金华市金东区顺达物流有限公司 ", ENTERPRISE.lower(), "孝顺镇", "物流", "王丽",
        "13857912345"), "e1", TODAY)
    assert event == EmployerRegistered("e1", "金华市金东区顺达物流有限公司", ENTERPRISE, False,
                                       "孝顺镇", "物流", "王丽", "13857912345", TODAY)
    assert "13857912345" not in repr(event) and "王丽" not in repr(event)


def test_an_employer_refusal_lists_every_problem():
    with pytest.raises(InvalidEmploymentData) as refused:
        register_employer(cmds.RegisterEmployer(" ", "123", ""), "e1", TODAY)
    assert set(refused.value.fields) == {"name", "credit_code", "township"}


# -- postings ----------------------------------------------------------------------------------

def publish(**changes):
    values = dict(employer_id="e1", title="仓储管理员", kind="logistics", township="孝顺镇",
                  pay_min_fen=450_000, pay_max_fen=600_000, headcount=2,
                  requirements=("叉车证", " 叉车证 ", "高中", "", "ＣＩ驾驶证"))
    values.update(changes)
    known = values.pop("known", True)
    return publish_posting(cmds.PublishPosting(**values), "p1", known, TODAY)


def test_a_posting_normalises_its_requirements_to_tags():
    [event] = publish()
    assert event.requirements == ("叉车证", "高中", "ci驾驶证")
    assert event.published_on == TODAY


@pytest.mark.parametrize("changes, field", [
    ({"known": False}, "employer_id"),
    ({"title": "  "}, "title"),
    ({"kind": "farming"}, "kind"),
    ({"pay_min_fen": 700_000}, "pay_max_fen"),
    ({"pay_min_fen": -1}, "pay_min_fen"),
    ({"pay_max_fen": 4500.5}, "pay_max_fen"),
    ({"pay_max_fen": vocabulary.MAX_MONTHLY_PAY_FEN + 1}, "pay_max_fen"),
    ({"headcount": 0}, "headcount"),
    ({"requirements": tuple(f"证{i}" for i in range(21))}, "requirements"),
    ({"requirements": ("x" * 41,)}, "requirements"),
    ({"published_on": date(2026, 6, 2)}, "published_on"),
])
def test_a_posting_refused(changes, field):
    with pytest.raises(InvalidEmploymentData) as refused:
        publish(**changes)
    assert field in refused.value.fields


def test_closing_a_posting_once():
    posting = Posting.from_events(publish())
    [closed] = close_posting(posting, cmds.ClosePosting("filled"), TODAY)
    assert closed == PostingClosed("p1", TODAY, "filled")
    done = Posting.from_events([*publish(), closed])
    assert not done.open and done.version == 2
    with pytest.raises(Refused, match="already closed"):
        close_posting(done, cmds.ClosePosting("withdrawn"), TODAY)
    with pytest.raises(InvalidEmploymentData) as refused:
        close_posting(posting, cmds.ClosePosting("bored", TODAY), TODAY)
    assert set(refused.value.fields) == {"reason"}
    old = Posting.from_events(publish(published_on=date(2026, 5, 20)))
    with pytest.raises(InvalidEmploymentData) as refused:
        close_posting(old, cmds.ClosePosting("expired", date(2026, 5, 19)), TODAY)
    assert set(refused.value.fields) == {"closed_on"}


def test_a_posting_with_no_events_is_not_found():
    with pytest.raises(NotFound):
        Posting.from_events([])


# -- job fairs -----------------------------------------------------------------------------------

def fair(**changes):
    values = dict(name="2026年金东区退役军人专场招聘会", held_on=date(2026, 5, 18),
                  township="多湖街道", employers_attending=40, posts_offered=900,
                  veterans_attending=31, intentions_reached=15, employer_ids=("e1", "e1", "e2"))
    values.update(changes)
    return record_job_fair(cmds.RecordJobFair(**values), "f1", {"e1", "e2"}, TODAY)


def test_a_fair_names_its_employers_on_file_once():
    [event] = fair()
    assert event.employer_ids == ("e1", "e2") and event.employers_attending == 40


@pytest.mark.parametrize("changes, field", [
    ({"held_on": date(2026, 6, 2)}, "held_on"),
    ({"employer_ids": ("e1", "e9")}, "employer_ids"),
    ({"employers_attending": 1}, "employers_attending"),
    ({"posts_offered": -1}, "posts_offered"),
    ({"name": ""}, "name"),
])
def test_a_fair_refused(changes, field):
    with pytest.raises(InvalidEmploymentData) as refused:
        fair(**changes)
    assert field in refused.value.fields


# -- job seekers --------------------------------------------------------------------------------

def registered(**intention):
    events = register_job_seeker(
        cmds.RegisterJobSeeker("v1", "孝顺镇", "孝顺镇退役军人服务站", registered_on=TODAY),
        cmds.StateJobIntention(**intention) if intention else None, TODAY)
    return events


def test_registering_with_and_without_an_intention():
    assert registered() == [JobSeekerRegistered("v1", "孝顺镇", "孝顺镇退役军人服务站", "direct",
                                                TODAY)]
    events = registered(kinds=("logistics", "logistics"), skills=("叉车证",), min_pay_fen=500_000)
    assert events[1] == JobIntentionStated("v1", ("logistics",), (), 500_000, ("叉车证",))
    assert JobSeeker.from_events(events).intention.kinds == ("logistics",)


@pytest.mark.parametrize("command, intention, field", [
    (cmds.RegisterJobSeeker("v1", "", "站"), None, "township"),
    (cmds.RegisterJobSeeker("v1", "孝顺镇", " "), None, "service_station"),
    (cmds.RegisterJobSeeker("v1", "孝顺镇", "站", source="rumour"), None, "source"),
    (cmds.RegisterJobSeeker("v1", "孝顺镇", "站", registered_on=date(2027, 1, 1)), None,
     "registered_on"),
    (cmds.RegisterJobSeeker("v1", "孝顺镇", "站"), cmds.StateJobIntention(kinds=("piracy",)),
     "kinds"),
    (cmds.RegisterJobSeeker("v1", "孝顺镇", "站"), cmds.StateJobIntention(min_pay_fen=-5),
     "min_pay_fen"),
])
def test_a_registration_refused(command, intention, field):
    with pytest.raises(InvalidEmploymentData) as refused:
        register_job_seeker(command, intention, TODAY)
    assert field in refused.value.fields


def test_stating_the_same_intention_again_changes_nothing():
    seeker = JobSeeker.from_events(registered(kinds=("security",)))
    assert state_job_intention(seeker, cmds.StateJobIntention(kinds=("security",))) == []
    [changed] = state_job_intention(seeker, cmds.StateJobIntention(townships=("东孝街道",)))
    assert changed.kinds == () and changed.townships == ("东孝街道",)


def seeker_with(*more):
    return JobSeeker.from_events([*registered(), *more])


POSTING = Posting("p1", "e1", "仓储管理员", "logistics", "孝顺镇", 2, date(2026, 5, 1))
CLOSED = Posting("p1", "e1", "仓储管理员", "logistics", "孝顺镇", 2, date(2026, 5, 1),
                 closed_on=date(2026, 5, 20))


def test_an_employment_intention_and_its_refusals():
    seeker = seeker_with()
    intention = cmds.RecordEmploymentIntention("e1", "p1", "f1")
    [event] = record_employment_intention(seeker, intention, "i1", True, POSTING, True, TODAY)
    assert (event.intention_id, event.reached_on) == ("i1", TODAY)
    with pytest.raises(InvalidEmploymentData) as refused:
        record_employment_intention(seeker, cmds.RecordEmploymentIntention("e2", "p1", "f9"),
                                    "i1", False, POSTING, False, TODAY)
    assert set(refused.value.fields) == {"employer_id", "posting_id", "fair_id"}
    with pytest.raises(InvalidEmploymentData) as refused:
        record_employment_intention(seeker, cmds.RecordEmploymentIntention("e1", "p9"), "i1",
                                    True, None, False, TODAY)
    assert refused.value.fields["posting_id"] == ["no posting with this id"]
    with pytest.raises(Refused, match="closed before"):
        record_employment_intention(seeker, intention, "i1", True, CLOSED, True, TODAY)


def hire(**changes):
    values = dict(employer_id="e1", hired_on=date(2026, 5, 10), contract_months=24,
                  social_insurance=True, posting_id="p1", monthly_pay_fen=520_000)
    values.update(changes)
    return cmds.RecordHire(**values)


def test_a_hire_makes_the_seeker_employed():
    seeker = seeker_with()
    [event] = record_hire(seeker, hire(), "h1", True, POSTING, 2, TODAY)
    assert isinstance(event, Hired) and "520000" not in repr(event)
    assert seeker_with(event).status == "employed"
    # Hired before the posting closed: still on it.
    assert record_hire(seeker, hire(hired_on=date(2026, 5, 19)), "h1", True, CLOSED, 1, TODAY)


@pytest.mark.parametrize("changes, posting, places, field", [
    ({"contract_months": 0}, POSTING, 2, "contract_months"),
    ({"hired_on": date(2026, 6, 2)}, POSTING, 2, "hired_on"),
    ({"employer_id": "e2"}, POSTING, 2, "posting_id"),
    ({"monthly_pay_fen": 1.5}, POSTING, 2, "monthly_pay_fen"),
])
def test_a_hire_refused_as_invalid(changes, posting, places, field):
    with pytest.raises(InvalidEmploymentData) as refused:
        record_hire(seeker_with(), hire(**changes), "h1", True, posting, places, TODAY)
    assert field in refused.value.fields


def test_a_hire_on_a_closed_or_full_posting_is_refused():
    with pytest.raises(Refused, match="closed before"):
        record_hire(seeker_with(), hire(hired_on=date(2026, 5, 21)), "h1", True, CLOSED, 2,
                    TODAY)
    with pytest.raises(Refused, match="all filled"):
        record_hire(seeker_with(), hire(), "h1", True, POSTING, 0, TODAY)
    with pytest.raises(InvalidEmploymentData) as refused:
        record_hire(seeker_with(), hire(), "h1", False, POSTING, 2, TODAY)
    assert "employer_id" in refused.value.fields


def test_adaptive_training_once_other_training_many_times():
    seeker = seeker_with()
    adaptive = cmds.EnrolTraining("adaptive", "退役军人适应性培训", "金东区退役军人事务局",
                                  date(2026, 6, 10))
    [first] = enrol_training(seeker, adaptive, "t1", TODAY)
    trained = seeker_with(first)
    with pytest.raises(Refused, match="already on file"):
        enrol_training(trained, adaptive, "t2", TODAY)
    skills = cmds.EnrolTraining("skills", "叉车司机", "金华技师学院", date(2026, 7, 1))
    [second] = enrol_training(trained, skills, "t2", TODAY)
    assert enrol_training(seeker_with(first, second), skills, "t3", TODAY)
    with pytest.raises(InvalidEmploymentData) as refused:
        enrol_training(seeker, cmds.EnrolTraining("yoga", "", "", TODAY), "t1", TODAY)
    assert set(refused.value.fields) == {"kind", "course", "provider"}


def loan(amount, granted=date(2026, 3, 1), months=36, rate=345):
    return cmds.GrantStartupLoan("金华银行金东支行", amount, months, rate, granted)


def test_loans_stay_within_the_years_cap_while_outstanding():
    seeker = seeker_with()
    [first] = grant_startup_loan(seeker, loan(20_000_000), "l1", TERMS, TODAY)
    assert (first.subsidy_percent, first.terms_year) == (50, 2026)
    # 200,000 yuan at 3.45%, half paid by the government: 3,450 yuan a year.
    assert yearly_interest_subsidy_fen(first.amount_fen, first.annual_rate_bp,
                                       first.subsidy_percent) == 345_000
    borrowed = seeker_with(first)
    with pytest.raises(Refused, match="over 2026's cap") as refused:
        grant_startup_loan(borrowed, loan(10_000_001, TODAY), "l2", TERMS, TODAY)
    assert refused.value.fields == {"amount_fen": ["at most 10000000 fen"]}
    assert grant_startup_loan(borrowed, loan(10_000_000, TODAY), "l2", TERMS, TODAY)
    # A loan whose term is over no longer counts against the cap.
    old = StartupLoanGranted("v1", "l0", "银行", 30_000_000, 12, 345, 50, 2024, date(2024, 3, 1))
    assert grant_startup_loan(seeker_with(old), loan(30_000_000, TODAY), "l2", TERMS, TODAY)


@pytest.mark.parametrize("command, terms, field", [
    (loan(0), TERMS, "amount_fen"),
    (loan(30_000_001), TERMS, "amount_fen"),
    (loan(1_000_000, months=37), TERMS, "term_months"),
    (loan(1_000_000, rate=2401), TERMS, "annual_rate_bp"),
    (loan(1_000_000, granted=date(2026, 6, 2)), TERMS, "granted_on"),
    (loan(1_000_000), None, "granted_on"),
])
def test_a_loan_refused_as_invalid(command, terms, field):
    with pytest.raises(InvalidEmploymentData) as refused:
        grant_startup_loan(seeker_with(), command, "l1", terms, TODAY)
    assert field in refused.value.fields


def test_a_contest_award_and_its_refusals():
    award = cmds.GrantContestAward("金华市退役军人创业创新大赛", "二等奖", 1_000_000, date(2026, 5, 1))
    assert grant_contest_award(seeker_with(), award, "a1", TODAY)
    bad = cmds.GrantContestAward(" ", "", -1, date(2026, 7, 1))
    with pytest.raises(InvalidEmploymentData) as refused:
        grant_contest_award(seeker_with(), bad, "a1", TODAY)
    assert set(refused.value.fields) == {"contest", "award", "amount_fen", "awarded_on"}


def test_a_job_seeker_without_registration_is_not_found():
    with pytest.raises(NotFound):
        JobSeeker.from_events([TrainingEnrolled("v1", "t1", "skills", "c", "p", TODAY)])


# -- the contract and the domain speak the same words -----------------------------------------------

def test_the_contracts_enums_are_the_domains_vocabulary():
    assert contract.POSTING_KINDS == vocabulary.POSTING_KINDS
    assert contract.TRAINING_KINDS == vocabulary.TRAINING_KINDS
    assert contract.CLOSE_REASONS == vocabulary.CLOSE_REASONS
    assert contract.SOURCES == vocabulary.SOURCES
    assert contract.MAX_MONTHLY_PAY_FEN == vocabulary.MAX_MONTHLY_PAY_FEN
    assert set(contract.EVENT_SCHEMAS) == set(EVENT_TYPES)


def test_every_domain_event_round_trips_through_its_stored_schema():
    from chassis.envelope import RecordedEvent

    samples = [*publish(), *registered(kinds=("security",), skills=("安保员证",)),
               *fair(), PostingClosed("p1", TODAY, "filled"),
               record_hire(seeker_with(), hire(), "h1", True, POSTING, 2, TODAY)[0]]
    for event in samples:
        new = contract.to_new_event(event)
        recorded = RecordedEvent("e", new.event_type, 1, "s", 1, 1, TODAY, TODAY, "c", None,
                                 "staff", new.data)
        assert EVENT_TYPES[new.event_type](**contract.load_data(recorded)) == event
    assert isinstance(publish()[0], PostingPublished)
