"""Placement's contracts hold together: each route has a rule and a working example; problems are named flat."""
import pytest
from marshmallow import ValidationError

from contracts import access
from contracts import placement as contract
from services.placement.service import SIMPLE_STEPS, PlacementService


def test_every_route_has_an_access_rule_an_rpc_and_its_requests_a_working_example():
    for route in contract.ROUTES:
        assert route.name in access.OPERATIONS, route.name
        assert callable(getattr(PlacementService, route.name, None)), route.name
        if route.request is not None:
            route.request().load(route.request.Meta.example)
    assert set(SIMPLE_STEPS) <= {route.name for route in contract.ROUTES}


def test_a_problem_deep_in_a_list_or_an_object_is_named_by_its_path():
    with pytest.raises(ValidationError) as refused:
        contract.ReportInRequest().load({
            "veteran_id": "5b0d7c1e-2f4a-4e8b-9c3d-7a6e1f2b3c4d",
            "discharge_approved_on": "2026-09-01", "disability": [None],
            "honours": [{"kind": "medal"}, {"kind": "knighthood"}, 7]})
    assert refused.value.messages == {
        "disability": ["Invalid input type."],
        "honours.1.kind": ["Must be one of: medal, honour_title, first_class_merit, "
                           "second_class_merit, third_class_merit, first_level_commendation, "
                           "other."],
        "honours.2": ["Invalid input type."]}


def test_the_rates_period_runs_forwards():
    with pytest.raises(ValidationError, match="must not be before from"):
        contract.RatesQuery().load({"from": "2026-12-01", "to": "2026-01-01"})
    assert contract.RatesQuery().load({}) == {}
