"""Who may do what: the roles, each operation's rule per role, and which file fields each may see.

Everything here fails closed. An operation with no line is refused to every role; a role or a
department with no line in the field tables sees no field beyond the file's id and version. The
gateway reads these tables and nothing else, and tests/e2e/test_access_matrix.py walks every
operation of the API document with every role.
"""
from __future__ import annotations

from enum import Enum

DEPARTMENTS = frozenset({"public_security", "hr_social_security", "medical_insurance",
                         "party_organisation", "armed_forces"})

ROLES = frozenset({
    "veteran", "station_worker", "registry_clerk", "placement_officer", "benefits_officer",
    "disputes_officer", "employment_officer", "approver", "leader", "auditor", "department",
})


class Scope(Enum):
    """Which files a grant reaches."""

    OWN = "own"            # the veteran's own file only (token claim veteran_id)
    STATIONS = "stations"  # files of the caller's service stations (token claim stations)
    DISTRICT = "district"  # every file in the district
    SELF = "self"          # the caller's own identity, no file involved


OWN, STATIONS, DISTRICT, SELF = Scope.OWN, Scope.STATIONS, Scope.DISTRICT, Scope.SELF

# Operations anyone may call without a token.
PUBLIC_OPERATIONS = frozenset({"health", "openapi", "docs", "docs_asset"})

_REGISTRY_READERS = {"registry_clerk": DISTRICT, "placement_officer": DISTRICT,
                     "benefits_officer": DISTRICT, "disputes_officer": DISTRICT,
                     "employment_officer": DISTRICT}
_FILE_CHANGERS = {"station_worker": STATIONS, "registry_clerk": DISTRICT}

# disputes
_CASE_WORKERS = {"station_worker": STATIONS, "disputes_officer": DISTRICT}
_DISPUTES: dict[str, dict[str, Scope]] = {
    "lodge_petition": {"veteran": OWN, **_CASE_WORKERS},
    "list_petitions": {"veteran": OWN, **_CASE_WORKERS},
    "get_petition": {"veteran": OWN, **_CASE_WORKERS, "approver": DISTRICT},
    "decide_intake": dict(_CASE_WORKERS),
    "assign_handler": dict(_CASE_WORKERS),
    "record_petition_mediation": dict(_CASE_WORKERS),
    "request_extension": dict(_CASE_WORKERS),
    "decide_extension": {"approver": DISTRICT},
    "issue_opinion": dict(_CASE_WORKERS),
    "request_review": {"veteran": OWN, **_CASE_WORKERS},
    # The review is the next level's (Art. 35): the bureau's officer records its answer.
    "answer_review": {"disputes_officer": DISTRICT},
    "record_escalation": dict(_CASE_WORKERS),
    "open_dispute": dict(_CASE_WORKERS),
    "get_dispute": dict(_CASE_WORKERS),
    "record_mediation": dict(_CASE_WORKERS),
    "refer_legal_aid": dict(_CASE_WORKERS),
    "decide_legal_aid": dict(_CASE_WORKERS),
    "assign_lawyer": dict(_CASE_WORKERS),
    "resolve_dispute": dict(_CASE_WORKERS),
    "open_proxy_case": dict(_CASE_WORKERS),
    # A veteran sees the proxy cases handled for them.
    "list_proxy_cases": {"veteran": OWN, **_CASE_WORKERS},
    "get_proxy_case": {"veteran": OWN, **_CASE_WORKERS},
    "record_proxy_step": dict(_CASE_WORKERS),
    "close_proxy_case": dict(_CASE_WORKERS),
    "refer_hardship": dict(_CASE_WORKERS),
    "disputes_figures": {**_CASE_WORKERS, "leader": DISTRICT},
}

# placement
_PLACEMENT_DESK = {"station_worker": STATIONS, "placement_officer": DISTRICT}
_PLACEMENT_OFFICER = {"placement_officer": DISTRICT}
_PLACEMENT: dict[str, dict[str, Scope]] = {
    "report_in": {"veteran": OWN, **_PLACEMENT_DESK},
    "get_placement_case": {"veteran": OWN, **_PLACEMENT_DESK},
    "list_placement_cases": {"veteran": OWN, **_PLACEMENT_DESK},
    "placement_eligibility": {"veteran": OWN, **_PLACEMENT_DESK},
    "choose_placement_mode": {"veteran": OWN, **_PLACEMENT_DESK},
    "accept_post": {"veteran": OWN, **_PLACEMENT_DESK},
    "decline_post": {"veteran": OWN, **_PLACEMENT_DESK},
    "hand_over_to_employment": dict(_PLACEMENT_DESK),
    "amend_placement_facts": dict(_PLACEMENT_OFFICER),
    "record_late_reason": dict(_PLACEMENT_OFFICER),
    "score_placement_case": dict(_PLACEMENT_OFFICER),
    "offer_post": dict(_PLACEMENT_OFFICER),
    "issue_referral_letter": dict(_PLACEMENT_OFFICER),
    "record_on_post": dict(_PLACEMENT_OFFICER),
    "record_contract": dict(_PLACEMENT_OFFICER),
    "forfeit_for_prosecution": dict(_PLACEMENT_OFFICER),
    "pay_subsidy": dict(_PLACEMENT_OFFICER),
    "assign_transfer": dict(_PLACEMENT_OFFICER),
    "record_placement": dict(_PLACEMENT_OFFICER),
    "receive_spouse": dict(_PLACEMENT_OFFICER),
    "close_placement_case": dict(_PLACEMENT_OFFICER),
    "register_post_quota": dict(_PLACEMENT_OFFICER),
    "list_post_quotas": {**_PLACEMENT_DESK, "leader": DISTRICT},
    "placement_rates": {"placement_officer": DISTRICT, "leader": DISTRICT},
}

# employment
_JOB_SEEKER_WORKERS = {"station_worker": STATIONS, "employment_officer": DISTRICT}
_EMPLOYMENT: dict[str, dict[str, Scope]] = {
    "register_employer": {"employment_officer": DISTRICT},
    "publish_posting": {"employment_officer": DISTRICT},
    "close_posting": {"employment_officer": DISTRICT},
    "record_job_fair": {"employment_officer": DISTRICT},
    "match_job_seekers": dict(_JOB_SEEKER_WORKERS),
    "register_job_seeker": dict(_JOB_SEEKER_WORKERS),
    "get_job_seeker": {"veteran": OWN, **_JOB_SEEKER_WORKERS},
    "state_job_intention": {"veteran": OWN, **_JOB_SEEKER_WORKERS},
    "match_postings": {"veteran": OWN, **_JOB_SEEKER_WORKERS},
    "record_employment_intention": dict(_JOB_SEEKER_WORKERS),
    "record_hire": dict(_JOB_SEEKER_WORKERS),
    "enrol_training": dict(_JOB_SEEKER_WORKERS),
    "grant_startup_loan": {"employment_officer": DISTRICT},
    "grant_contest_award": {"employment_officer": DISTRICT},
    "employment_figures": {"employment_officer": DISTRICT, "leader": DISTRICT},
}

# benefits
_BENEFITS_OFFICER = {"benefits_officer": DISTRICT}
_BENEFITS_DESK = {"station_worker": STATIONS, "benefits_officer": DISTRICT}
_APPLICANTS = {"veteran": OWN, **_BENEFITS_DESK}
_BENEFITS_READERS = {**_APPLICANTS, "approver": DISTRICT, "leader": DISTRICT}
_BENEFITS: dict[str, dict[str, Scope]] = {
    "apply_relief": dict(_APPLICANTS),
    "list_relief": {**_BENEFITS_DESK, "approver": DISTRICT, "leader": DISTRICT},
    "get_relief": dict(_BENEFITS_READERS),
    "review_relief": dict(_BENEFITS_OFFICER),
    "decide_relief": {"approver": DISTRICT},
    "disburse_relief": dict(_BENEFITS_OFFICER),
    "close_relief": dict(_BENEFITS_OFFICER),
    "apply_entitlement": dict(_APPLICANTS),
    "list_entitlements": {**_BENEFITS_DESK, "approver": DISTRICT, "leader": DISTRICT},
    "get_entitlement": dict(_BENEFITS_READERS),
    "review_entitlement": dict(_BENEFITS_OFFICER),
    "decide_entitlement": {"approver": DISTRICT},
    "confirm_entitlement": dict(_BENEFITS_DESK),
    "suspend_entitlement": dict(_BENEFITS_OFFICER),
    "resume_entitlement": dict(_BENEFITS_OFFICER),
    "end_entitlement": dict(_BENEFITS_OFFICER),
    "pay_entitlement": dict(_BENEFITS_OFFICER),
    "apply_card": dict(_APPLICANTS),
    "list_cards": {**_BENEFITS_DESK, "leader": DISTRICT},
    "get_card": {**_APPLICANTS, "leader": DISTRICT},
    "record_card_step": dict(_BENEFITS_DESK),
    "refuse_card": dict(_BENEFITS_OFFICER),
    "list_offers": {**_BENEFITS_DESK, "leader": DISTRICT},
    "get_offer": {**_APPLICANTS, "leader": DISTRICT},
    "answer_offer": dict(_APPLICANTS),
    "open_campaign": dict(_BENEFITS_OFFICER),
    "list_campaigns": {**_BENEFITS_DESK, "leader": DISTRICT},
    "get_campaign": {**_BENEFITS_DESK, "leader": DISTRICT},
    "close_campaign": dict(_BENEFITS_OFFICER),
    "record_visit": dict(_BENEFITS_DESK),
    "get_visit": {**_BENEFITS_DESK, "leader": DISTRICT},
    "withdraw_visit": dict(_BENEFITS_DESK),
    "record_social_care": dict(_BENEFITS_DESK),
    "veteran_benefits": dict(_BENEFITS_READERS),
    "priority_beneficiaries": {**_BENEFITS_DESK, "leader": DISTRICT},
    "benefits_figures": {"benefits_officer": DISTRICT, "leader": DISTRICT},
}

# bundle 军人退役一件事
_BUNDLE_STAFF = {"registry_clerk": DISTRICT, "placement_officer": DISTRICT,
                 "benefits_officer": DISTRICT, "disputes_officer": DISTRICT,
                 "employment_officer": DISTRICT}
# The bureau's officers whose own services own matters (their lists show their matters).
_MATTER_OWNERS = {"registry_clerk": DISTRICT, "placement_officer": DISTRICT,
                  "benefits_officer": DISTRICT, "employment_officer": DISTRICT}
_BUNDLE: dict[str, dict[str, Scope]] = {
    "submit_bundle": {"veteran": OWN, "station_worker": STATIONS},
    "list_bundles": {"veteran": OWN, "station_worker": STATIONS, **_BUNDLE_STAFF,
                     "leader": DISTRICT, "department": DISTRICT},
    "bundle_attention": {"station_worker": STATIONS, **_MATTER_OWNERS, "department": DISTRICT},
    "get_bundle": {"veteran": OWN, "station_worker": STATIONS, **_BUNDLE_STAFF,
                   "leader": DISTRICT, "department": DISTRICT},
    "record_matter_outcome": {"department": DISTRICT},
    "withdraw_matter": {"veteran": OWN, "station_worker": STATIONS},
    "resubmit_matter": {"veteran": OWN, "station_worker": STATIONS},
    "follow_up_matter": {"station_worker": STATIONS, **_MATTER_OWNERS, "department": DISTRICT},
    "my_notifications": {"veteran": OWN},
    "retry_notification": {"station_worker": STATIONS, **_MATTER_OWNERS},
}

# The bureau's own staff, who work district-wide.
_BUREAU_STAFF = {"registry_clerk": DISTRICT, "placement_officer": DISTRICT,
                 "benefits_officer": DISTRICT, "disputes_officer": DISTRICT,
                 "employment_officer": DISTRICT, "approver": DISTRICT}

# operation (the OpenAPI operationId, also the gateway's handler name) -> role -> scope.
OPERATIONS: dict[str, dict[str, Scope]] = {
    "register_veteran": dict(_FILE_CHANGERS),
    "list_veterans": {"station_worker": STATIONS, **_REGISTRY_READERS, "leader": DISTRICT},
    "get_veteran": {"veteran": OWN, "station_worker": STATIONS, **_REGISTRY_READERS,
                    "approver": DISTRICT, "leader": DISTRICT, "department": DISTRICT},
    # A veteran keeps their own phone and address current (PIPL's right to correction).
    "amend_contact": {"veteran": OWN, **_FILE_CHANGERS},
    "record_discharge": dict(_FILE_CHANGERS),
    "record_party_membership": dict(_FILE_CHANGERS),
    "assign_grid_worker": dict(_FILE_CHANGERS),
    "add_honour": dict(_FILE_CHANGERS),
    "mark_survivor_tie": dict(_FILE_CHANGERS),
    "record_village_secretary": dict(_FILE_CHANGERS),
    "file_history": {"veteran": OWN, "station_worker": STATIONS, "registry_clerk": DISTRICT},
    # Imports of existing files (docs/imports.md): whoever may register a file, with the same
    # reach (a station worker's rows must be of their stations). The registry shows an import,
    # its progress and its error file (personal data) to its uploader's role only, and a station
    # worker's import to that station worker only.
    **{operation: dict(_FILE_CHANGERS)
       for operation in ("start_import", "get_import", "get_import_errors")},
    # disputes: petitions 信访, disputes 矛盾纠纷, proxy cases 代办. The disputes officer works
    # district-wide, a station worker on their stations' cases, a veteran on their own
    # petitions; an approver decides extensions (never of their own case: the service checks);
    # the leader sees the figures, which hold no personal field.
    **_DISPUTES,
    # placement 安置: the placement officer works district-wide and alone decides what the rules
    # leave to the bureau (scores, offers, letters, forfeitures, money, transfers, posts); a
    # station worker records reporting in and the soldier's answers for their stations; a
    # veteran reports in, chooses a mode and answers an offer for themself; the leader sees the
    # rates and the post quotas, which hold no personal field.
    **_PLACEMENT,
    # employment 就业创业: the employment officer works district-wide (employers, postings and
    # fairs are theirs alone, as are loans and awards, which are money); a station worker on
    # their stations' job seekers; a veteran states their own intention and sees their own
    # record and matches; the leader sees the figures, which hold no personal field.
    **_EMPLOYMENT,
    # benefits 优抚: the benefits officer works district-wide and reviews, pays and records the
    # offices' steps; a station worker applies, confirms yearly, records visits and hands cards
    # out for their stations; a veteran applies, answers offers and reads their own; an approver
    # decides relief and entitlements (never a case they handled or reviewed: the service
    # checks the subjects); the leader reads without the personal fields (withheld).
    **_BENEFITS,
    # bundle 军人退役一件事: a veteran submits, withdraws and asks again for their own, and reads
    # their own bundles and inbox; a station worker does the same for their stations and works
    # its staff list; a department answers ITS OWN matters only (the service checks the matter's
    # department against the token's) and sees its own matters only; the bureau's officers read
    # bundles and work their own service's matters on the staff list; the leader lists and
    # reads without reasons, references or notifications (withheld).
    **_BUNDLE,
    # The veteran's whole picture (gateway/overview.py): the veteran's own page and a case
    # worker's. Each of its sections is shown only to a role granted that section's own
    # operation here (a registry clerk sees the file and not the placement case); departments
    # see none of it, the leader and the approver work from figures and single cases.
    "veteran_overview": {"veteran": OWN, "station_worker": STATIONS, "registry_clerk": DISTRICT,
                         "placement_officer": DISTRICT, "benefits_officer": DISTRICT,
                         "disputes_officer": DISTRICT, "employment_officer": DISTRICT},
    # The district's service stations (contracts/stations.py): the registry clerk keeps them;
    # the bureau's staff and the leader read the list, a station worker their own stations.
    **{operation: {"registry_clerk": DISTRICT}
       for operation in ("register_station", "record_station_build", "rate_station")},
    "list_stations": {"station_worker": STATIONS, **_BUREAU_STAFF, "leader": DISTRICT},
    # The bureau's figures and the reports published from them (gateway/figures.py): counts,
    # fen and rates, no personal field. The leader and the bureau's staff see the district; a
    # station worker their own stations only (the gateway keeps the figures to them).
    **{operation: {"station_worker": STATIONS, **_BUREAU_STAFF, "leader": DISTRICT}
       for operation in ("bureau_figures", "export_figures", "publish_report", "get_report")},
    "me": {role: SELF for role in ROLES},
    "my_access_log": {"veteran": OWN},
    "search_audit": {"auditor": DISTRICT},
    "verify_audit": {"auditor": DISTRICT},
}

# A bundle's stream (gateway/stream.py) is open to exactly whoever may read the bundle: the rule
# is get_bundle's (the bundle service then shows each reader what it shows them on a read).
# Until the bundle service's rules are here, the same readers written out.
_BUNDLE_READERS = {"veteran": OWN, "station_worker": STATIONS, "registry_clerk": DISTRICT,
                   "placement_officer": DISTRICT, "benefits_officer": DISTRICT,
                   "disputes_officer": DISTRICT, "employment_officer": DISTRICT,
                   "leader": DISTRICT, "department": DISTRICT}
OPERATIONS["bundle_stream"] = dict(OPERATIONS.get("get_bundle", _BUNDLE_READERS))

# -- field entitlement -----------------------------------------------------------------------------

FILE_FIELDS = ("veteran_id", "version", "name", "id_number", "sex", "birth_date", "phone",
               "address", "township", "service_station", "enlisted_on", "discharged_on", "branch",
               "rank", "discharge_category", "life_stage", "area_code_known", "party_member",
               "party_branch", "village_secretary", "grid_worker", "honours", "survivor_ties")
# Always shown: without them a reply cannot be used at all, and they identify no one.
IDENTIFIERS = frozenset({"veteran_id", "version"})
# What identifies or reaches a person. A read returning any of these is written to the audit log.
PERSONAL_FIELDS = frozenset({"name", "id_number", "id_number_masked", "birth_date", "phone",
                             "address", "grid_worker", "survivor_ties"})
_ALL = frozenset(FILE_FIELDS)
_FACTS = _ALL - PERSONAL_FIELDS

ROLE_FIELDS: dict[str, frozenset[str]] = {
    "veteran": _ALL,
    "station_worker": _ALL,
    "registry_clerk": _ALL,
    "placement_officer": _ALL,
    "benefits_officer": _ALL,
    "disputes_officer": _ALL - {"id_number"},
    "employment_officer": _ALL - {"id_number", "address", "survivor_ties"},
    # Enough to know whose case is being approved.
    "approver": _FACTS | {"name"},
    "leader": _FACTS,
}

# A department's system sees only what its matters need (minimum necessary).
DEPARTMENT_FIELDS: dict[str, frozenset[str]] = {
    "public_security": frozenset({"name", "id_number", "address"}),
    "medical_insurance": frozenset({"name", "id_number"}),
    "hr_social_security": frozenset({"name", "id_number", "enlisted_on", "discharged_on",
                                     "discharge_category", "rank", "service_station"}),
    "party_organisation": frozenset({"name", "party_member", "party_branch", "village_secretary",
                                     "service_station"}),
    "armed_forces": frozenset({"name", "id_number", "township", "branch", "rank", "enlisted_on",
                               "discharged_on"}),
}

# A list row's fields, and the file field each one is derived from.
SUMMARY_SOURCES = {"veteran_id": "veteran_id", "name": "name", "id_number_masked": "id_number",
                   "sex": "sex", "township": "township", "service_station": "service_station",
                   "discharge_category": "discharge_category", "life_stage": "life_stage",
                   "area_code_known": "area_code_known"}


def entitled_fields(roles, department: str | None) -> frozenset[str]:
    """The file fields a caller with these roles (and department) may see: the union of grants."""
    fields = set(IDENTIFIERS)
    for role in roles:
        if role == "department":
            fields |= DEPARTMENT_FIELDS.get(department or "", frozenset())
        else:
            fields |= ROLE_FIELDS.get(role, frozenset())
    return frozenset(fields)


def entitled_summary_fields(roles, department: str | None) -> frozenset[str]:
    fields = entitled_fields(roles, department)
    return frozenset(name for name, source in SUMMARY_SOURCES.items() if source in fields)


def grants(operation: str, roles) -> dict[str, Scope]:
    """The caller's roles that may run this operation, with the scope each reaches."""
    rule = OPERATIONS.get(operation, {})
    return {role: rule[role] for role in roles if role in rule}


# -- the tables as docs/trust.md shows them (a test keeps the document in step) -------------------

_SCOPE_WORDS = {None: "–", OWN: "own", STATIONS: "stations", DISTRICT: "all", SELF: "self"}
_ROLE_ORDER = ("veteran", "station_worker", "registry_clerk", "placement_officer",
               "benefits_officer", "disputes_officer", "employment_officer", "approver", "leader",
               "auditor", "department")


def as_markdown() -> str:
    """The operation matrix and the field table, in Markdown."""
    lines = ["| operation | " + " | ".join(_ROLE_ORDER) + " |",
             "|---|" + "---|" * len(_ROLE_ORDER)]
    for op, rule in OPERATIONS.items():
        lines.append(f"| `{op}` | " + " | ".join(_SCOPE_WORDS[rule.get(r)] for r in _ROLE_ORDER)
                     + " |")
    columns = [r for r in _ROLE_ORDER if r != "department"] + sorted(DEPARTMENT_FIELDS)
    lines += ["", "| field | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name in (f for f in FILE_FIELDS if f not in IDENTIFIERS):
        cells = []
        for column in columns:
            seen = (entitled_fields(["department"], column) if column in DEPARTMENT_FIELDS
                    else entitled_fields([column], None))
            cells.append("✓" if name in seen else "")
        personal = " (personal)" if name in PERSONAL_FIELDS else ""
        lines.append(f"| `{name}`{personal} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- the portals' pages (gateway/portal) -----------------------------------------------------------

# Who may open each page. Fails closed like OPERATIONS: a page with no line is refused to every
# role. A page's data still comes through the API operations above, each under its own rule.
PAGES: dict[str, dict[str, Scope]] = {
    "veteran_home": {"veteran": OWN},
    # The staff workbench (gateway/portal/staff.py): whoever works cases on it. Each queue and
    # step on it is still the API operation's own rule (list_relief, decide_relief, ...).
    "staff_workbench": {"station_worker": STATIONS, "benefits_officer": DISTRICT,
                        "disputes_officer": DISTRICT, "approver": DISTRICT,
                        "placement_officer": DISTRICT},
    # The staff's veteran files (gateway/portal/staff_files.py: register, list, one file, amend)
    # and spreadsheet imports (staff_imports.py): whoever may register a file, with the same
    # reach (register_veteran, start_import); each read and write keeps its operation's rule.
    "staff_register": {"station_worker": STATIONS, "registry_clerk": DISTRICT},
    "staff_imports": {"station_worker": STATIONS, "registry_clerk": DISTRICT},
    # The leaders' dashboard (gateway/portal/dashboard.py): the figures' own rule gives a
    # station worker their own stations' figures and reports, the leader the district's.
    "leader_dashboard": {"leader": DISTRICT, "station_worker": STATIONS},
    # The veteran's own applications (gateway/portal/veteran.py); each write still goes through
    # the API operation's own rule (apply_relief, answer_offer, submit_bundle).
    "veteran_relief": {"veteran": OWN},
    "veteran_offer": {"veteran": OWN},
    "veteran_bundle": {"veteran": OWN},
}


def page_grants(page: str, roles) -> dict[str, Scope]:
    """The caller's roles that may open this page, with the scope each reaches."""
    rule = PAGES.get(page, {})
    return {role: rule[role] for role in roles if role in rule}
