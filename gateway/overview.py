"""The veteran's whole picture (GET /api/v1/veterans/{veteran_id}/overview): each service's part on its own.

One page shows the file and what each department service holds for the veteran. Each part (a
section) is read from its service concurrently, with a short timeout and behind that service's
circuit breaker (gateway/breaker.py), and answers for itself: `ok` with its `as_of`,
`unavailable` with a `reason`, or `forbidden` when the caller's roles may not run the operation
the section is made of (contracts/access.py). A service down makes its section unavailable and
never the page: the page answers within the section timeout plus the audit write.

docs/overview-and-streams.md says what each section reads, what is missing, and why.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import eventlet
import structlog
from marshmallow import EXCLUDE, Schema, fields, validate
from nameko.exceptions import RemoteError, UnknownService

from chassis.rpc import BROKER_ERRORS
from chassis.wire import ServiceError
from contracts import access, api_routes, instance
from contracts.registry import FileOnDateQuery
from gateway.breaker import BREAKERS, Breakers, CircuitBreaker

log = structlog.get_logger("vetlife.gateway")

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Each section's whole read (all its calls) must finish within this, so the page answers in
# under 2 s with a service down: 1.2 s, plus the audit write and the token check.
SECTION_TIMEOUT_SECONDS = float(os.environ.get("GATEWAY_OVERVIEW_SECTION_TIMEOUT_SECONDS", "1.2"))
# A list read for one veteran (petitions, proxy cases): one page of this size when the service
# filters by veteran; else at most LIST_PAGES pages of what the caller reaches, filtered here.
LIST_PAGE_SIZE = 200
LIST_PAGES = 5

OK, UNAVAILABLE, FORBIDDEN = "ok", "unavailable", "forbidden"
# Why a section is unavailable.
REASONS = (
    "timeout",        # the service did not answer within the section timeout
    "circuit_open",   # it failed repeatedly just now: not called at all (its breaker is open)
    "not_running",    # the broker knows no such service
    "broker",         # RabbitMQ could not be reached
    "error",          # the service answered with a failure (its database down, a fault)
    "not_offered",    # the service offers no read of this for one veteran (yet)
    "not_dated",      # asked for a day (as_of, effective_on): the service offers no read of
                      # this as it stood on a day (yet), and today's would mislead
)
# A service's own refusals that say it cannot work now, as opposed to an answer.
FAILING_CODES = frozenset({"unavailable", "database_refused"})

ROUTES = {route.name: route for route in api_routes.ROUTES}


class Unavailable(Exception):
    """Raised when a guarded call cannot be answered; `reason` is one of REASONS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def guarded(breaker: CircuitBreaker, read: Callable[[], dict], timeout: float):
    """Run `read` (one or more calls to the breaker's service) within `timeout`, through the
    breaker: open, it is not run; a timeout, a broker error or the service's failure counts
    against it; any answer, a refusal included (a 404 is an answer), counts for it."""
    if not breaker.allow():
        raise Unavailable("circuit_open")
    if breaker.running() is False:
        # Nobody consumes the service's queue: the call would wait out its whole timeout.
        breaker.failed()
        raise Unavailable("not_running")
    timer = eventlet.Timeout(timeout)
    try:
        result = read()
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        breaker.failed()
        raise Unavailable("timeout") from None
    except ServiceError as exc:
        if exc.code in FAILING_CODES:
            breaker.failed()
            raise Unavailable("error") from None
        breaker.succeeded()
        raise
    except BROKER_ERRORS:
        breaker.failed()
        raise Unavailable("broker") from None
    except UnknownService:
        breaker.failed()
        raise Unavailable("not_running") from None
    except RemoteError as exc:
        breaker.failed()
        log.error("gateway.section_remote_error", service=breaker.name, remote_type=exc.exc_type)
        raise Unavailable("error") from None
    finally:
        timer.cancel()
    breaker.succeeded()
    return result


def now() -> str:
    return datetime.now(SHANGHAI).isoformat(timespec="milliseconds")


class Reader:
    """What a section's read uses: each operation's RPC with the caller that operation grants."""

    def __init__(self, gateway, call, veteran_id: str, purpose: str | None,
                 dates: dict | None = None):
        self.gateway = gateway
        self.call = call
        self.veteran_id = veteran_id
        self.purpose = purpose
        # The day(s) the page was asked for (docs/history.md): {} for today's page.
        self.dates = dates or {}
        self.correlation_id = gateway.context.get("correlation_id")

    def granted(self, operation: str) -> bool:
        return bool(access.grants(operation, self.call.principal.roles))

    def caller(self, operation: str) -> dict:
        # The caller as the operation's own route would pass it: its roles and reach only.
        call = type(self.call)(operation, self.call.principal, self.call.request)
        return call.caller(correlation_id=self.correlation_id, purpose=self.purpose)

    def rpc(self, operation: str, params: dict, query: dict | None = None) -> dict:
        route = ROUTES[operation]
        if route.query is not None:
            schema = instance(route.query)
            query = schema.dump(schema.load(query or {}))
        proxy = getattr(self.gateway, route.service)
        # A dated page passes its day(s) on: the service reads as it stood then.
        return getattr(proxy, operation).call_async(
            params, None, query, self.caller(operation), **self.dates).result()

    def file(self) -> dict:
        return self.gateway.registry.get_veteran.call_async(self.veteran_id,
                                                            **self.dates).result()


def _none_if_missing(read: Callable[[], dict]) -> dict | None:
    """A 404 from a service is an answer: it holds nothing for this veteran (or not for you)."""
    try:
        return read()
    except ServiceError as exc:
        if exc.code == "not_found":
            return None
        raise


def _both(first: Callable[[], dict | None], second: Callable[[], dict | None]):
    """Two reads of one service at once: the section waits for the slower, not the sum."""
    other = eventlet.spawn(second)
    try:
        return first(), other.wait()
    finally:
        other.kill()  # the section's timeout fired while waiting: do not leave it running


# -- the sections -----------------------------------------------------------------------------------

def _read_file(r: Reader) -> dict:
    return {"file": _none_if_missing(r.file)}


def _read_placement(r: Reader) -> dict:
    # No read of "the case of this veteran": eligibility names the case (one per veteran).
    eligibility = _none_if_missing(lambda: r.rpc("placement_eligibility",
                                                 {"veteran_id": r.veteran_id}))
    if eligibility is None:
        return {"case": None, "eligibility": None}
    case = _none_if_missing(lambda: r.rpc("get_placement_case",
                                          {"case_id": eligibility["case_id"]}))
    return {"case": case, "eligibility": eligibility}


def _read_benefits(r: Reader) -> dict:
    return {"benefits": _none_if_missing(lambda: r.rpc("veteran_benefits",
                                                       {"veteran_id": r.veteran_id}))}


def _for_veteran(r: Reader, operation: str) -> dict:
    """A service's list, this veteran's rows only: filtered by the service when its query takes
    a veteran_id; otherwise paged through (what the caller reaches) and filtered here, stopping
    early enough to answer within the section's time. List rows hold no personal field."""
    query = ROUTES[operation].query
    if "veteran_id" in query._declared_fields or r.dates:
        # On a day the service answers one veteran's cases only (it reads their events).
        listed = r.rpc(operation, {}, {"veteran_id": r.veteran_id,
                                       "page_size": str(LIST_PAGE_SIZE)})
        items = [row for row in listed["items"] if row.get("veteran_id") == r.veteran_id]
        return {"items": items, "complete": listed["total"] <= len(listed["items"])}
    started = time.monotonic()
    items, page, complete = [], 1, False
    while page <= LIST_PAGES:
        listed = r.rpc(operation, {}, {"page": str(page), "page_size": str(LIST_PAGE_SIZE)})
        items += [row for row in listed["items"] if row.get("veteran_id") == r.veteran_id]
        if page * LIST_PAGE_SIZE >= listed["total"]:
            complete = True
            break
        if time.monotonic() - started > SECTION_TIMEOUT_SECONDS / 2:
            break
        page += 1
    return {"items": items, "complete": complete}


def _read_petitions(r: Reader) -> dict:
    return _for_veteran(r, "list_petitions")


def _read_proxy_cases(r: Reader) -> dict:
    return _for_veteran(r, "list_proxy_cases")


def _read_employment(r: Reader) -> dict:
    params = {"veteran_id": r.veteran_id}
    if r.dates:
        # The matches are today's open postings, which is what a seeker can apply to now; the
        # postings open on a past day are not, so a dated page shows none (null).
        return {"job_seeker": _none_if_missing(lambda: r.rpc("get_job_seeker", params)),
                "matches": None}
    seeker, matches = _both(
        lambda: _none_if_missing(lambda: r.rpc("get_job_seeker", params)),
        lambda: _none_if_missing(lambda: r.rpc("match_postings", params)))
    return {"job_seeker": seeker, "matches": matches}


def _read_bundles(r: Reader) -> dict:
    # The bundle service's list filtered by veteran; each row carries its matters.
    listed = r.rpc("list_bundles", {}, {"veteran_id": r.veteran_id, "page_size": "50"})
    return {"items": [row for row in listed["items"] if row.get("veteran_id") == r.veteran_id]}


@dataclass(frozen=True)
class Section:
    name: str
    service: str
    operation: str             # the access rule whose grant shows the section
    read: Callable[[Reader], dict] | None   # None: the service offers no such read
    empty: tuple[str, ...]     # the section's own keys, null when it is not ok
    # The operations whose replies it shows, for the audit: their routes name the personal
    # fields (contracts/routes.py); (reply key, operation).
    shows: tuple[tuple[str, str], ...] = ()


SECTIONS: tuple[Section, ...] = (
    Section("file", "registry", "get_veteran", _read_file, ("file",)),
    Section("placement", "placement", "get_placement_case", _read_placement,
            ("case", "eligibility"),
            (("case", "get_placement_case"), ("eligibility", "placement_eligibility"))),
    Section("benefits", "benefits", "veteran_benefits", _read_benefits, ("benefits",),
            (("benefits", "veteran_benefits"),)),
    Section("petitions", "disputes", "list_petitions", _read_petitions, ("items", "complete"),
            (("items", "list_petitions"),)),
    Section("proxy_cases", "disputes", "list_proxy_cases", _read_proxy_cases,
            ("items", "complete"), (("items", "list_proxy_cases"),)),
    Section("employment", "employment", "get_job_seeker", _read_employment,
            ("job_seeker", "matches"),
            (("job_seeker", "get_job_seeker"), ("matches", "match_postings"))),
    Section("bundles", "bundle", "list_bundles", _read_bundles, ("items",),
            (("items", "list_bundles"),)),
)


# The sections whose service reads them as they stood on a day (docs/history.md); any other is
# not called for a dated page rather than show today's state under a past day (not_dated).
# Employment's matches stay today's: on a dated page they are null.
DATED_SECTIONS = frozenset({"file", "placement", "benefits", "petitions", "proxy_cases",
                            "employment", "bundles"})


def _offered(section: Section, gateway) -> bool:
    if section.read is None:
        return False
    if section.name == "file":
        return True  # the registry's get_veteran, which is no Route line
    operations = {section.operation, *(op for _, op in section.shows)}
    return all(op in ROUTES for op in operations) and hasattr(gateway, section.service)


def _not_ok(section: Section, status: str, reason: str | None) -> dict:
    return {"status": status, "as_of": None, "reason": reason,
            **dict.fromkeys(section.empty)}


def read_section(section: Section, reader: Reader, breakers: Breakers, timeout: float) -> dict:
    if section.operation in access.OPERATIONS and not reader.granted(section.operation):
        return _not_ok(section, FORBIDDEN, None)
    if section.operation not in access.OPERATIONS or not _offered(section, reader.gateway):
        return _not_ok(section, UNAVAILABLE, "not_offered")
    if reader.dates and section.name not in DATED_SECTIONS:
        return _not_ok(section, UNAVAILABLE, "not_dated")
    try:
        payload = guarded(breakers[section.service], lambda: section.read(reader), timeout)
    except Unavailable as exc:
        return _not_ok(section, UNAVAILABLE, exc.reason)
    except ServiceError as exc:
        # Answered, but refused (a malformed call of ours, a rule of theirs): shown as
        # unavailable, and logged, since no caller can fix it.
        log.warning("gateway.section_refused", section=section.name, code=exc.code)
        return _not_ok(section, UNAVAILABLE, "error")
    except Exception as exc:  # noqa: BLE001 - one section's bug must not take the page down
        log.exception("gateway.section_failed", section=section.name, error=type(exc).__name__)
        return _not_ok(section, UNAVAILABLE, "error")
    return {"status": OK, "as_of": now(), "reason": None, **payload}


def read_sections(reader: Reader, breakers: Breakers | None = None,
                  timeout: float | None = None,
                  sections: tuple[Section, ...] = SECTIONS) -> dict[str, dict]:
    """Every section at once; each is bounded by its own timeout, so this is too."""
    breakers = breakers or BREAKERS
    timeout = timeout or SECTION_TIMEOUT_SECONDS
    pool = eventlet.GreenPool(len(sections))
    results = pool.imap(lambda s: read_section(s, reader, breakers, timeout), sections)
    return {section.name: result for section, result in zip(sections, results, strict=True)}


def personal_shown(section: Section, result: dict) -> set[str]:
    """The personal fields a section shows, by the routes' own lists (contracts/routes.py)."""
    shown: set[str] = set()
    if result["status"] != OK:
        return shown
    for key, operation in section.shows:
        personal = ROUTES[operation].personal if operation in ROUTES else ()
        value = result.get(key)
        records = value if isinstance(value, list) else [value] if value else []
        for record in records:
            shown |= {f for f in personal if record.get(f) not in (None, "", [], {})}
    return shown


def file_view(raw: dict, grants: dict, department: str | None) -> tuple[dict, set[str]]:
    """The file as get_veteran shows it: entitled fields, the rest named in `withheld`."""
    allowed = access.entitled_fields(grants, department)
    shown = {k: v for k, v in raw.items() if k in allowed}
    withheld = sorted(k for k in raw if k not in allowed)
    personal = {k for k in access.PERSONAL_FIELDS.intersection(shown)
                if shown[k] not in (None, "", [])}
    return {**shown, "withheld": withheld}, personal


# -- the reply's schema, for the API document ------------------------------------------------------

def _section_schema(name: str, **payload) -> type[Schema]:
    return Schema.from_dict({
        "status": fields.String(required=True, validate=validate.OneOf([OK, UNAVAILABLE,
                                                                        FORBIDDEN])),
        "as_of": fields.DateTime(required=True, allow_none=True, metadata={
            "description": "when the service answered (Asia/Shanghai); null unless ok"}),
        "reason": fields.String(required=True, allow_none=True, validate=validate.OneOf(REASONS),
                                metadata={"description": "why the section is unavailable"}),
        **payload,
    }, name=name)


def _nested(schema, description: str, many: bool = False):
    if many:
        return fields.List(fields.Nested(schema), required=True, allow_none=True,
                           metadata={"description": description})
    return fields.Nested(schema, required=True, allow_none=True,
                         metadata={"description": description})


def openapi_schemas(file_view_schema) -> dict[str, type[Schema]]:
    """The overview's reply and its sections, nesting the services' own reply schemas."""
    from contracts import benefits as benefits_contract
    from contracts import disputes, employment, placement

    bundle_item = _list_item_schema("list_bundles", "OverviewBundleItem", "bundle_id")
    sections = {
        "file": _section_schema("OverviewFileSection", file=_nested(
            file_view_schema, "the fields your role may see, the rest named in `withheld`; "
            "null: the registry is unavailable")),
        "placement": _section_schema(
            "OverviewPlacementSection",
            case=_nested(placement.PlacementCaseReply, "null: not reported in"),
            eligibility=_nested(placement.PlacementEligibilityReply, "the modes open")),
        "benefits": _section_schema(
            "OverviewBenefitsSection",
            benefits=_nested(benefits_contract.VeteranBenefitsReply,
                             "entitlements, card, offers, relief and visits")),
        "petitions": _section_schema(
            "OverviewPetitionsSection",
            items=_nested(disputes.PetitionSummary, "this veteran's petitions", many=True),
            complete=fields.Boolean(required=True, allow_none=True, metadata={
                "description": "false: more petitions were in reach than were searched"})),
        "proxy_cases": _section_schema(
            "OverviewProxyCasesSection",
            items=_nested(_list_item_schema("list_proxy_cases", "OverviewProxyCase",
                                            "proxy_case_id"),
                          "this veteran's proxy cases", many=True),
            complete=fields.Boolean(required=True, allow_none=True, metadata={
                "description": "false: more proxy cases were in reach than were searched"})),
        "employment": _section_schema(
            "OverviewEmploymentSection",
            job_seeker=_nested(employment.JobSeekerReply, "null: not a job seeker"),
            matches=_nested(employment.MatchesReply, "open postings ranked for them")),
        "bundles": _section_schema(
            "OverviewBundlesSection",
            items=_nested(bundle_item, "the veteran's bundles with their matters", many=True)),
    }
    reply = Schema.from_dict({
        "veteran_id": fields.String(required=True),
        "as_of": fields.DateTime(required=True, metadata={"description": "when the page was "
                                                          "put together"}),
        **{name: fields.Nested(schema, required=True) for name, schema in sections.items()},
    }, name="VeteranOverview")
    return {schema.__name__: schema for schema in (*sections.values(), reply)}


def _list_item_schema(operation: str, fallback: str, key: str):
    """A list route's row schema (its reply's `items`); until the route exists, a row with its id."""
    route = ROUTES.get(operation)
    if route is not None and route.reply is not None:
        items = route.reply._declared_fields.get("items")
        inner = getattr(items, "inner", None)
        if getattr(inner, "nested", None) is not None:
            return inner.nested
    return Schema.from_dict({key: fields.String(required=True)}, name=fallback)


def openapi_paths(errors, json_content, parameters) -> dict:
    return {"/api/v1/veterans/{veteran_id}/overview": {"get": {
        "operationId": "veteran_overview",
        "summary": "the veteran's whole picture: the file and every service's part, each with "
                   "its status (ok, unavailable with a reason, or forbidden for your role) and "
                   "as_of; a service down never fails the page",
        "description": "With `as_of` and/or `effective_on` every section shows the veteran's "
                       "file, cases and entitlements as they stood on that day: as known at "
                       "the end of `as_of` (Asia/Shanghai), as in effect on `effective_on` "
                       "(a case's step takes effect the day it was recorded); a case opened "
                       "later is absent. Employment's `matches` are today's open postings "
                       "only and null on a dated page; a dated placement case's "
                       "`deadlines` are its clocks as they stood at the end of the day, "
                       "replayed from its own events.",
        # as_of / effective_on: the file and every section as they stood on a day
        # (docs/history.md); employment's matches are today's only, null on a dated page.
        "parameters": [*parameters, {"in": "query", "schema": FileOnDateQuery}],
        "responses": {"200": {"description": "the page", **json_content("VeteranOverview")},
                      **errors(400, 404, 401, 403, 503)}}}}


# -- the route ---------------------------------------------------------------------------------------

def serve(gateway, call, veteran_id: str):
    """GET /api/v1/veterans/{veteran_id}/overview, for GatewayService.veteran_overview."""
    # gateway.service imports this module; its helpers are taken when a request comes.
    from gateway.service import (
        GatewayError,
        json_response,
        purpose_from,
        query_from,
        veteran_id_from,
    )

    veteran_id = veteran_id_from(veteran_id)
    purpose = purpose_from(call.request)
    dates = instance(FileOnDateQuery).dump(instance(FileOnDateQuery).load(
        query_from(call.request), unknown=EXCLUDE))

    def not_found():
        gateway._record_quietly(call, "veteran_overview", "not_found", veteran_id, purpose, dates)
        return GatewayError("not_found", "no veteran file with this veteran id", status=404)

    # A veteran asking for someone else's page costs no call at all.
    if call.scopes == {access.OWN} and veteran_id != call.principal.veteran_id:
        raise not_found()
    started = time.monotonic()
    sections = read_sections(Reader(gateway, call, veteran_id, purpose, dates))
    file = sections["file"]
    if file["status"] == OK:
        raw = file["file"]
        # Out of reach is answered as a file that does not exist, as get_veteran does. With the
        # registry unavailable each service still checks the caller's reach itself.
        if raw is None or not call.may_reach(veteran_id, raw.get("service_station")):
            raise not_found()
    entries = []
    for section in SECTIONS:
        result = sections[section.name]
        if section.name == "file" and result["status"] == OK:
            result["file"], personal = file_view(
                result["file"], access.grants("get_veteran", call.principal.roles),
                call.principal.department)
            result["file"].update(dates)  # the day(s) it shows, as get_veteran says them
        else:
            personal = personal_shown(section, result)
        if personal:
            entries.append(gateway._entry(call, f"veteran_overview.{section.name}", "ok",
                                          veteran_id, personal, purpose, dates))
    # The page is on record even when it showed nothing personal; and nothing is served that
    # could not be recorded (a 503, as for get_veteran).
    gateway._record(*(entries or [gateway._entry(call, "veteran_overview", "ok", veteran_id,
                                                 (), purpose, dates)]))
    log.info("gateway.overview", ms=round((time.monotonic() - started) * 1000),
             sections={name: result["reason"] or result["status"]
                       for name, result in sections.items()})
    return json_response({"veteran_id": veteran_id, "as_of": now(), **sections},
                         headers={"Cache-Control": "no-store"})
