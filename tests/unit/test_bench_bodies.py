"""make bench's department rows send what their routes take: each body passes its route's contract and rule."""
import json
import uuid

import pytest
from marshmallow import ValidationError

from bench import departments
from contracts import access
from contracts.api_routes import ROUTES
from services.employment.domain.credit_code import parse_credit_code
from services.employment.domain.errors import InvalidEmploymentData

ROUTE = {(r.method, r.path): r for r in ROUTES}


@pytest.mark.parametrize("line", departments.COMMANDS, ids=lambda line: line[0])
def test_each_rows_body_passes_its_routes_request_schema(line):
    service, path, operation, desk, make = line
    route = ROUTE[("POST", path)]
    assert (route.service, route.name) == (service, operation)
    body = json.loads(departments.bodies_for(make, [str(uuid.uuid4())])[0])
    route.request().load(body)  # raises on a body the gateway would answer 400


@pytest.mark.parametrize("line", departments.COMMANDS, ids=lambda line: line[0])
def test_each_row_is_sent_by_a_role_its_rule_grants(line):
    _, _, operation, desk, _ = line
    assert access.grants(operation, [desk])


def test_a_body_that_breaks_the_contract_is_caught():
    # The check above can fail: a report-in without its discharge approval date is refused.
    route = ROUTE[("POST", "/placement/reports")]
    body = departments.report_in(str(uuid.uuid4()))
    del body["discharge_approved_on"]
    with pytest.raises(ValidationError):
        route.request().load(body)


def test_the_employers_credit_codes_are_well_formed_and_distinct():
    codes = [departments.employer(n)["credit_code"] for n in range(20)]
    for code in codes:
        parse_credit_code(code)
    assert len(set(codes)) == 20
    broken = codes[0][:-1] + ("0" if codes[0][-1] != "0" else "1")
    with pytest.raises(InvalidEmploymentData):
        parse_credit_code(broken)
