"""The request contracts, the OpenAPI document and the domain read every input the same way."""
from datetime import date

import jsonschema_rs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from marshmallow import ValidationError

from contracts import registry as contract
from gateway import service
from gateway.openapi import EXAMPLES, IDEMPOTENCY_KEY, IF_MATCH, SCHEMAS, openapi_document
from services.registry.domain import model

# Where Python and JSON Schema (ECMA 262) disagree about whitespace, digits and line ends.
TRICKY = " \t\n\r\x0b\x0c\x1c\x1f\x00\x7f\x85\x9f\xa0\u1680\u2000\u2028\u3000\ufeff1２٣xX-\""
texts = st.text(st.sampled_from(TRICKY) | st.characters(codec="utf-8"), max_size=24)


def _document_accepts(pattern: str, value: str) -> bool:
    return jsonschema_rs.Draft4Validator({"type": "string", "pattern": pattern}).is_valid(value)


@pytest.mark.parametrize("pattern", [contract.TEXT, contract.NONBLANK, contract.PHONE,
                                     contract.ID_NUMBER], ids=["text", "nonblank", "phone", "id"])
@given(value=texts)
@example(value="330702197003120016\n")
def test_the_server_and_the_document_read_a_contract_pattern_alike(pattern, value):
    assert bool(pattern.regex.fullmatch(value)) == _document_accepts(pattern.regex.pattern, value)


@pytest.mark.parametrize("header, documented", [
    (service.IDEMPOTENCY_KEY, IDEMPOTENCY_KEY), (service.IF_MATCH, IF_MATCH)])
@given(value=texts)
@example(value="portal-key\n")  # re.match with `$` would take it, JSON Schema does not
@example(value='"12"\n')
def test_the_gateway_and_the_document_read_a_header_alike(header, documented, value):
    assert bool(header.fullmatch(value)) == _document_accepts(documented["schema"]["pattern"],
                                                              value)


@given(value=texts)
def test_nonblank_is_the_domains_is_required(value):
    problems = model._Problems()
    model._required_text(problems, "field", value)
    if contract.TEXT.regex.fullmatch(value):
        assert bool(contract.NONBLANK.regex.fullmatch(value)) == (not problems.fields)


# Phones as people type them: mobiles and landlines, with spaces between digits and around them,
# so most draws are phones the contract accepts (plain text almost never is one).
_spaces = st.text(" ", max_size=2)
_mobiles = st.tuples(st.just("1"), st.sampled_from("3456789"),
                     st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9))
_landlines = st.tuples(st.just("0"), st.text("0123456789", min_size=2, max_size=3),
                       st.sampled_from(["-", ""]),
                       st.text("0123456789", min_size=7, max_size=8))


@st.composite
def typed_phones(draw):
    if draw(st.booleans()):
        first, second, rest = draw(_mobiles)
        digits = [first, second, *rest]
    else:
        zero, area, dash, number = draw(_landlines)
        digits = [zero, *area, dash, *number]
    return draw(_spaces) + "".join(d + (draw(_spaces) if d != "-" else "") for d in digits)


@given(value=typed_phones() | texts)
def test_a_phone_the_contract_accepts_the_domain_accepts(value):
    problems = model._Problems()
    if contract.PHONE.regex.fullmatch(value):
        assert model._normalised_phone(problems, value) and not problems.fields


@given(draws=st.lists(typed_phones(), min_size=40, max_size=40))
def test_the_phone_strategy_mostly_draws_phones_the_contract_accepts(draws):
    """Else the test above would pass by never meeting a phone."""
    assert sum(bool(contract.PHONE.regex.fullmatch(v)) for v in draws) > 20


@pytest.mark.parametrize("value", ["19900101", "1990-W01-1", "1990-1-1", "1990-01-01\n", "0000-01-01"])
def test_a_date_is_only_a_full_date(value):
    with pytest.raises(ValidationError):
        contract.AddHonourRequest().load({"honour": "三等功", "awarded_on": value})


@pytest.mark.parametrize("value", ["１", "٣", " 1", "1 ", "+1", "1.0"])
def test_a_query_integer_is_ascii_digits(value):
    with pytest.raises(ValidationError):
        contract.ListVeteransQuery().load({"page": value})


def test_contact_needs_a_phone_or_an_address():
    for body in ({}, {"phone": None}, {"phone": None, "address": None}):
        with pytest.raises(ValidationError):
            contract.AmendContactRequest().load(body)


def test_every_example_in_the_document_meets_its_contract_and_the_domain():
    document = openapi_document()
    for name, body in EXAMPLES.items():
        assert document["components"]["schemas"][name]["example"] == body
        SCHEMAS[name]().load(body)
    registration = contract.RegisterVeteranRequest().load(EXAMPLES["RegisterVeteranRequest"])
    model.register(model.RegisterVeteran(declared_sex=registration.pop("sex"),
                                         declared_birth_date=registration.pop("birth_date"),
                                         **registration),
                   "00000000-0000-4000-8000-000000000000", date(2026, 11, 27))
