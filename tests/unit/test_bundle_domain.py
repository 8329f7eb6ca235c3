"""The discharge bundle's rules, table-wise: which matters apply to whom, lifecycles, the derived status."""
from datetime import date

import pytest

from contracts import bundle as contract
from services.bundle.catalogue import load, parse
from services.bundle.domain import events as ev
from services.bundle.domain.bundle import Bundle
from services.bundle.domain.catalogue import (
    DEPARTMENTS,
    EXTERNAL_DEPARTMENTS,
    INTERNAL_DEPARTMENTS,
    Facts,
    applicability,
)
from services.bundle.domain.errors import (
    CatalogueInvalid,
    InvalidBundle,
    WrongMatterState,
)

CATALOGUE = load()
TODAY = date(2026, 6, 1)
ALWAYS = {"reporting_in", "veteran_file", "household_registration", "id_card",
          "pension_insurance", "medical_insurance", "card", "reserve_registration"}


def term(spec):
    return date(2026, 6, 15), False


def submitted(facts=None, leave_out=None, already=None) -> Bundle:
    facts = facts or Facts()
    bundle = Bundle("b1")
    for event in bundle.submit(veteran_id="v1", station="多湖街道退役军人服务站",
                               township="多湖街道", today=TODAY, catalogue=CATALOGUE,
                               facts=facts, leave_out=leave_out or {}, form={}, term=term,
                               already=already):
        bundle.apply(event)
    return bundle


def apply(bundle: Bundle, events) -> Bundle:
    for event in events:
        bundle.apply(event)
    return bundle


def test_the_default_catalogue_is_the_twelve_matters():
    assert len(CATALOGUE.matters) == 12
    assert {m.department for m in CATALOGUE.matters} == set(DEPARTMENTS)
    assert {m.key for m in CATALOGUE.matters if not m.internal} == {
        "household_registration", "id_card", "pension_insurance", "medical_insurance",
        "party_membership", "reserve_registration"}


def test_the_contract_knows_every_department_the_domain_does():
    assert set(contract.DEPARTMENTS) == set(DEPARTMENTS)
    assert set(contract.INTERNAL) == set(INTERNAL_DEPARTMENTS)
    assert set(EXTERNAL_DEPARTMENTS) == set(contract.DEPARTMENTS) - set(contract.INTERNAL)


# Who gets which matters: (facts, the matters that apply, {matter: reason code} of the others).
APPLICABLE = [
    ("a conscript who has chosen nothing yet", Facts(), ALWAYS,
     {"party_membership": "not_party_member", "subsidy": "no_placement_mode",
      "job_seeker": "no_placement_mode", "disability_transfer": "not_disabled"}),
    ("a party member choosing self-employment",
     Facts(party_member=True, placement_mode="self_employment"),
     ALWAYS | {"party_membership", "subsidy", "job_seeker"},
     {"disability_transfer": "not_disabled"}),
    ("a disabled NCO given assigned work", Facts(disabled=True, placement_mode="assigned_work"),
     ALWAYS | {"disability_transfer"},
     {"party_membership": "not_party_member", "subsidy": "not_self_employed",
      "job_seeker": "not_self_employed"}),
    ("a disabled party member, self-employed",
     Facts(party_member=True, disabled=True, placement_mode="self_employment"),
     set(CATALOGUE.keys), {}),
    ("an officer retiring", Facts(discharge_category="retired_officer",
                                  placement_mode="retirement"),
     ALWAYS, {"party_membership": "not_party_member", "subsidy": "not_self_employed",
              "job_seeker": "not_self_employed", "disability_transfer": "not_disabled"}),
]


@pytest.mark.parametrize("who, facts, applies, reasons", APPLICABLE,
                         ids=[row[0] for row in APPLICABLE])
def test_applicable_matters_per_veteran(who, facts, applies, reasons):
    verdicts = {spec.key: applicability(spec, facts) for spec in CATALOGUE.matters}
    assert {k for k, v in verdicts.items() if v.applies} == applies
    assert {k: v.reason_code for k, v in verdicts.items() if not v.applies} == reasons
    assert all(v.reason for v in verdicts.values() if not v.applies)


def test_the_submission_records_what_applies_what_was_chosen_and_why_not():
    bundle = submitted(Facts(party_member=True), leave_out={"reserve_registration": "已办理"})
    statuses = {k: m.status for k, m in bundle.matters.items()}
    assert statuses["party_membership"] == "requested"
    assert statuses["reserve_registration"] == "left_out"
    assert bundle.matters["reserve_registration"].reason == "已办理"
    assert statuses["disability_transfer"] == "not_applicable"
    assert bundle.matters["disability_transfer"].reason_code == "not_disabled"
    assert bundle.status == "open"


def test_a_matter_done_before_the_bundle_is_done_with_it():
    bundle = submitted(already={"reporting_in": ("done", "case-1"),
                                "card": ("acknowledged", "card-1")})
    assert bundle.matters["reporting_in"].status == "done"
    assert bundle.matters["reporting_in"].reference == "case-1"
    assert bundle.matters["card"].status == "acknowledged"


def test_leaving_out_everything_or_an_unknown_matter_is_refused():
    with pytest.raises(InvalidBundle):
        submitted(leave_out={"no_such_matter": None})
    with pytest.raises(InvalidBundle):
        submitted(leave_out=dict.fromkeys(ALWAYS))


def test_each_step_of_a_matter_and_the_derived_bundle_status():
    bundle = submitted()
    key = "id_card"
    apply(bundle, bundle.answer(key, "acknowledged", TODAY, reference="GA-1"))
    assert bundle.matters[key].status == "acknowledged"
    apply(bundle, bundle.answer(key, "in_progress", TODAY, step="制证中"))
    assert bundle.matters[key].status == "in_progress"
    apply(bundle, bundle.answer(key, "done", TODAY, reference="GA-1"))
    assert bundle.matters[key].final and bundle.status == "open"
    others = sorted(ALWAYS - {key})
    for other in others[:-1]:
        apply(bundle, bundle.answer(other, "done", TODAY, reference=f"R-{other}"))
    apply(bundle, bundle.answer(others[-1], "acknowledged", TODAY))
    assert bundle.status == "open"  # never complete while a matter is open
    assert not bundle.final


def test_the_last_answer_completes_the_bundle_once():
    bundle = submitted()
    keys = sorted(k for k, m in bundle.matters.items() if m.status == "requested")
    for key in keys[:-1]:
        apply(bundle, bundle.answer(key, "done", TODAY, reference="R"))
    last = bundle.answer(keys[-1], "done", TODAY, reference="R")
    completed = bundle.completion(last, TODAY)
    assert [type(e) for e in completed] == [ev.BundleCompleted]
    apply(bundle, last + completed)
    assert bundle.status == "complete" and bundle.final
    # answered again: nothing new, nothing completed twice
    again = bundle.answer(keys[-1], "done", TODAY, reference="R")
    assert again == [] and bundle.completion(again, TODAY) == []


def test_a_refusal_keeps_the_bundle_from_completing_until_it_is_asked_again_or_withdrawn():
    bundle = submitted()
    keys = sorted(k for k, m in bundle.matters.items() if m.status == "requested")
    apply(bundle, bundle.answer("id_card", "refused", TODAY, reason="照片不合格",
                                next_step="重新采集照片"))
    for key in keys:
        if key != "id_card":
            apply(bundle, bundle.answer(key, "done", TODAY, reference="R"))
    assert bundle.status == "action_needed" and not bundle.final
    assert bundle.matters["id_card"].attention == "refused"
    again = bundle.request_again(CATALOGUE.get("id_card"), Facts(), TODAY, term)
    apply(bundle, again)
    m = bundle.matters["id_card"]
    assert (m.status, m.attempt, m.attention) == ("requested", 2, None)
    apply(bundle, bundle.withdraw("id_card", "自行办理", TODAY))
    assert bundle.status == "closed"


def test_answers_twice_and_corrections():
    bundle = submitted()
    apply(bundle, bundle.answer("id_card", "done", TODAY, reference="GA-1"))
    assert bundle.answer("id_card", "done", TODAY, reference="GA-1") == []
    corrected = bundle.answer("id_card", "done", TODAY, reference="GA-2")
    assert corrected[0].correction
    apply(bundle, corrected)
    error_after_success = bundle.answer("id_card", "refused", TODAY, reason="证件信息有误",
                                        next_step="到窗口更正")
    assert error_after_success[0].correction
    apply(bundle, error_after_success)
    m = bundle.matters["id_card"]
    assert (m.status, m.corrected, m.refusal_reason) == ("refused", True, "证件信息有误")


def test_a_department_cannot_answer_what_was_withdrawn_or_never_asked():
    bundle = submitted()
    apply(bundle, bundle.withdraw("id_card", "不需要", TODAY))
    with pytest.raises(WrongMatterState):
        bundle.answer("id_card", "done", TODAY, reference="X")
    assert bundle.answer("id_card", "done", TODAY, reference="X", strict=False) == []
    with pytest.raises(WrongMatterState):
        bundle.answer("party_membership", "done", TODAY, reference="X")
    with pytest.raises(InvalidBundle):
        bundle.answer("household_registration", "refused", TODAY, reason="x")


def test_overdue_shows_until_answered_then_the_answer_is_late():
    bundle = submitted()
    apply(bundle, [ev.MatterOverdue("b1", "id_card", 1, date(2026, 6, 15))])
    m = bundle.matters["id_card"]
    assert (m.shown_status, m.attention, bundle.overdue) == ("overdue", "overdue", True)
    apply(bundle, [ev.MatterOverdue("b1", "id_card", 7, date(2026, 6, 15))])  # stale attempt
    apply(bundle, bundle.answer("id_card", "done", TODAY, reference="GA-1"))
    assert (m.shown_status, m.late, m.attention, bundle.overdue) == ("done", True, None, False)


def test_a_follow_up_takes_a_matter_off_the_lists():
    bundle = submitted()
    apply(bundle, [ev.MatterOverdue("b1", "id_card", 1, date(2026, 6, 15))])
    apply(bundle, bundle.follow_up("id_card", "已电话催办", TODAY))
    assert bundle.matters["id_card"].attention is None
    assert bundle.matters["id_card"].shown_status == "overdue"


def test_a_catalogue_that_cannot_work_is_refused_at_start():
    good = {"key": "x", "title": "X", "department": "public_security",
            "term": {"count": 5}}
    assert parse([good]).keys == ("x",)
    for broken in ({**good, "department": "tax_office"}, {**good, "applies": "tall"},
                   {**good, "command": "report_in"}, {**good, "term": {"count": 0}},
                   {**good, "term": {"count": 5, "unit": "fortnights"}},
                   {**good, "department": "placement"}, {**good, "colour": "red"}):
        with pytest.raises(CatalogueInvalid):
            parse([broken])
    with pytest.raises(CatalogueInvalid):
        parse([good, good])


def test_every_stored_event_type_has_a_public_form_without_the_person():
    assert set(contract.PUBLIC_SCHEMAS) == set(contract.EVENT_SCHEMAS)
    everything = {name for schema in contract.PUBLIC_SCHEMAS.values()
                  for name in schema._declared_fields}
    assert not {"veteran_id", "form", "facts", "reason", "next_step", "note", "reference",
                "error", "matters"} & everything


def test_the_overdue_flag_reads_as_the_query_spells_it_and_as_the_gateway_passes_it_on():
    schema = contract.ListBundlesQuery()
    for value in ("true", True):
        assert schema.load({"overdue": value})["overdue"] is True
    assert schema.load(schema.dump(schema.load({"overdue": "false"})))["overdue"] is False
