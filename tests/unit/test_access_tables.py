"""The access tables fail closed: every documented operation has a rule, unknown ones have none."""
from contracts import access
from gateway.openapi import openapi_document


def _operation_ids():
    return {op["operationId"] for ops in openapi_document()["paths"].values()
            for op in ops.values()}


def test_every_documented_operation_is_public_or_has_a_rule_and_every_rule_is_documented():
    documented = _operation_ids()
    assert documented - access.PUBLIC_OPERATIONS == set(access.OPERATIONS)


def test_public_operations_are_marked_public_in_the_document_and_the_rest_need_a_token():
    document = openapi_document()
    assert document["security"] == [{"bearer": []}]
    for ops in document["paths"].values():
        for op in ops.values():
            is_public = op["operationId"] in access.PUBLIC_OPERATIONS
            assert (op.get("security") == []) is is_public, op["operationId"]


def test_an_operation_without_a_rule_is_refused_to_every_role():
    assert access.grants("a_route_added_later", access.ROLES) == {}


def test_a_department_or_role_without_a_line_sees_only_the_files_id_and_version():
    assert access.entitled_fields(["department"], "tax_bureau") == access.IDENTIFIERS
    assert access.entitled_fields(["a_new_role"], None) == access.IDENTIFIERS
    assert access.entitled_fields(["auditor"], None) == access.IDENTIFIERS


def test_leaders_see_no_personal_field_and_departments_only_their_line():
    assert not access.entitled_fields(["leader"], None) & access.PERSONAL_FIELDS
    assert access.entitled_fields(["department"], "medical_insurance") == \
        access.IDENTIFIERS | {"name", "id_number"}
    assert access.entitled_fields(["department"], "public_security") == \
        access.IDENTIFIERS | {"name", "id_number", "address"}
    # Every field named in the tables is a real file field.
    named = set().union(*access.ROLE_FIELDS.values(), *access.DEPARTMENT_FIELDS.values())
    assert named <= set(access.FILE_FIELDS)
    assert set(access.DEPARTMENT_FIELDS) <= access.DEPARTMENTS


def test_list_rows_derive_their_masked_number_from_the_id_number_entitlement():
    assert "id_number_masked" in access.entitled_summary_fields(["registry_clerk"], None)
    assert "id_number_masked" not in access.entitled_summary_fields(["leader"], None)
    assert "name" not in access.entitled_summary_fields(["leader"], None)


def test_docs_trust_md_shows_the_tables_as_they_are():
    from pathlib import Path

    document = (Path(__file__).resolve().parents[2] / "docs" / "trust.md").read_text()
    operations, fields = access.as_markdown().split("\n\n")
    assert operations in document, "docs/trust.md's operation matrix is stale"
    assert fields in document, "docs/trust.md's field table is stale"
