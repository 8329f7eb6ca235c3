"""Every schema in the API document has one name: apispec renames a clash silently, and the wrong one wins."""
import re
import warnings

from gateway.openapi import openapi_document


def test_no_two_schemas_share_a_name_in_the_api_document():
    # Two marshmallow classes of one name (the registry's HistoryEntry and benefits' case history
    # were) resolve to one component: apispec warns, suffixes one of them ("…1") or reuses the
    # other's, and replies are then checked against a schema that is not theirs.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        document = openapi_document.__wrapped__()
    clashes = [str(w.message) for w in caught if "Multiple schemas resolved" in str(w.message)]
    assert clashes == []
    # A suffixed name (not a contract's version, "…V1") is a clash renamed.
    assert not [name for name in document["components"]["schemas"]
                if re.search(r"[^V0-9][0-9]+$", name)]
