"""The gateway's nameko HTTP service: who calls, what they may do and see, every personal read on record."""
from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid

import eventlet
import structlog
from marshmallow import EXCLUDE
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from werkzeug.wrappers import Request, Response

from chassis.caller import Caller
from chassis.nameko_deps import CallContext, WorkerLog
from chassis.rpc import BROKER_ERRORS, service_proxy
from chassis.wire import ServiceError
from contracts import access, api_routes, instance
from contracts import audit as audit_contract
from contracts import registry as contract
from gateway import docs, figures, overview, stream
from gateway.audit import Audit, AuditEntry, AuditUnavailable
from gateway.errors import (
    BrokerUnavailable,
    Forbidden,
    GatewayError,
    ServiceUnavailable,
    to_response,
)
from gateway.http import api
from gateway.liveness import LivenessProbe
from gateway.openapi import openapi_document
from gateway.portal import dashboard as leader_dashboard
from gateway.portal import pages as portal
from gateway.portal import staff as portal_staff
from gateway.portal import staff_attention as portal_staff_attention
from gateway.portal import staff_entitlements as portal_staff_entitlements
from gateway.portal import staff_files as portal_files
from gateway.portal import staff_imports as portal_imports
from gateway.portal import staff_placement as portal_staff_placement
from gateway.portal import staff_proxy as portal_staff_proxy
from gateway.portal import veteran as portal_veteran
from gateway.tokens import Principal, TokenVerifier, Unauthenticated

log = structlog.get_logger("vetlife.gateway")

RPC_TIMEOUT_SECONDS = 10
AUDIT_ANCHOR_SECONDS = 60
# Matched whole (fullmatch), as the document's patterns are: `re.match` with `$` would also let a
# final newline through. gateway/openapi.py states the same patterns.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,128}")
IF_MATCH = re.compile(r'"?([0-9]{1,18})"?')
VETERAN_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
PURPOSE_MAX = 200
API = "/api/v1"

# Each file-changing route, by name: its request contract (the RPC has the same name).
FILE_COMMANDS = {command.name: command for command in contract.FILE_COMMANDS}


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json", headers=headers or {})


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def json_body(request: Request) -> dict:
    """The body as a JSON object, or a 400: JSON as RFC 8259 has it, UTF-8 and Unicode text."""
    try:
        # Strict UTF-8: get_data(as_text=True) would quietly turn bad bytes into U+FFFD.
        text = request.get_data().decode("utf-8")
        # json.loads also takes NaN and Infinity, which are not JSON.
        body = json.loads(text or "null", parse_constant=_not_json)
        # "\ud800" parses to a lone surrogate, which is not text: PostgreSQL cannot store it.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise GatewayError("invalid_json", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise GatewayError("invalid_json", "the request body must be a JSON object")
    return body


def veteran_id_from(path_value: str) -> str:
    # Only the canonical form: uuid.UUID also takes braces, "urn:uuid:" and hyphens anywhere,
    # which would give one file many URLs.
    if not VETERAN_ID.fullmatch(path_value):
        raise GatewayError("not_found", "no veteran file with this veteran id", status=404)
    return str(uuid.UUID(path_value))


def query_from(request: Request) -> dict:
    try:
        return request.args.to_dict()
    except UnicodeDecodeError:  # werkzeug decodes the query string strictly, on first access
        raise GatewayError("invalid_input", "the query string is not valid UTF-8") from None


def command_id_from(request: Request, principal: Principal) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise GatewayError("invalid_input", "Idempotency-Key must be 8-128 characters of "
                           "letters, digits, '_', '-', '.' or ':'",
                           {"Idempotency-Key": ["invalid format"]})
    # Keys are the caller's own: one caller's key can never replay another caller's result. The
    # subject is hashed because the command id travels on the bus as the events' causation id.
    caller = hashlib.sha256(principal.subject.encode()).hexdigest()[:16]
    return f"gateway:{caller}:{key}"


def expected_version_from(request: Request) -> int | None:
    value = request.headers.get("If-Match")
    if value is None:
        return None
    # ASCII digits only: str.isdigit() also takes '²', which int() then refuses.
    version = IF_MATCH.fullmatch(value.strip())
    if version is None:
        raise GatewayError("invalid_input", "If-Match must be a file version number",
                           {"If-Match": ["not a version number"]})
    return int(version.group(1))


def purpose_from(request: Request) -> str | None:
    """The reason the caller states for a read (X-Purpose), recorded in the audit log."""
    value = request.headers.get("X-Purpose")
    if value is None:
        return None
    # HTTP header values arrive as ISO-8859-1; a client sending UTF-8 (Chinese text) gets its
    # bytes back this way.
    try:
        value = value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    value = value.strip()
    if not value or len(value) > PURPOSE_MAX or contract.TEXT.regex.fullmatch(value) is None:
        raise GatewayError("invalid_input", f"X-Purpose must be 1-{PURPOSE_MAX} characters of "
                           "text without control characters", {"X-Purpose": ["invalid"]})
    return value


class Identity(DependencyProvider):
    """Hands each worker the token verifier (keys from the environment, see README)."""

    def setup(self):
        self.verifier = TokenVerifier()

    def get_dependency(self, worker_ctx):
        return self.verifier


class Call:
    """One request as the gateway sees it: who calls, which of their roles allow this operation."""

    def __init__(self, operation: str, principal: Principal, request: Request):
        self.operation = operation
        self.principal = principal
        self.request = request
        self.grants = access.grants(operation, principal.roles)

    @property
    def scopes(self) -> set[access.Scope]:
        return set(self.grants.values())

    def caller(self, command_id=None, expected_version=None, correlation_id=None,
               purpose=None) -> dict:
        """The caller as a department service receives it (contracts/routes.py)."""
        p = self.principal
        scopes = self.scopes
        return Caller(
            subject=p.subject, roles=tuple(self.grants), actor=p.actor,
            district=access.DISTRICT in scopes,
            veteran_id=p.veteran_id if access.OWN in scopes else None,
            stations=tuple(p.stations) if access.STATIONS in scopes else (),
            department=p.department, command_id=command_id, expected_version=expected_version,
            correlation_id=correlation_id, purpose=purpose,
        ).as_dict()

    def within_stations(self) -> list[str] | None:
        """None when any grant reaches the whole district; else the stations the caller serves."""
        if access.DISTRICT in self.scopes:
            return None
        if access.STATIONS in self.scopes:
            return list(self.principal.stations)
        return []

    def may_reach(self, veteran_id: str, service_station: str | None) -> bool:
        scopes = self.scopes
        if access.DISTRICT in scopes:
            return True
        if access.OWN in scopes and veteran_id == self.principal.veteran_id:
            return True
        return access.STATIONS in scopes and service_station in self.principal.stations


def operation(name: str):
    """Authenticate, authorise against contracts/access.py, then run the route; every error
    becomes the error table's JSON response, never a traceback."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(self, request, *args, **kwargs):
            call = None
            try:
                principal = self.identity.principal(request.headers.get("Authorization"))
                call = Call(name, principal, request)
                if not call.grants:
                    raise Forbidden()
                return handler(self, call, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the table decides what each error means
                if isinstance(exc, Forbidden | Unauthenticated):
                    log.info("gateway.refused", operation=name, error=type(exc).__name__,
                             subject=call.principal.subject if call else None)
                if isinstance(exc, Forbidden) and call is not None:
                    self._record_quietly(call, name, "forbidden", kwargs.get("veteran_id"))
                return to_response(exc)

        return wrapper

    return decorate


def public(handler):
    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        try:
            return handler(self, request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            return to_response(exc)

    return wrapper


def _personal_fields_shown(reply: dict, personal) -> list[tuple[str | None, set[str]]]:
    """(veteran id, personal fields) for the reply itself and each of its `items` that show any."""
    if not personal:
        return []
    shown = []
    for record in [reply, *reply.get("items", ())]:
        fields = {name for name in personal if record.get(name) not in (None, "", [])}
        if fields:
            shown.append((record.get("veteran_id"), fields))
    return shown


def _only(record: dict, allowed) -> tuple[dict, list[str]]:
    shown = {k: v for k, v in record.items() if k in allowed}
    return shown, sorted(k for k in record if k not in allowed)


class GatewayService:
    """The one front door for portals and departments."""

    name = "gateway"

    registry = service_proxy("registry")
    context = CallContext()
    log = WorkerLog()
    identity = Identity()
    audit = Audit()
    streams = stream.Streams()
    # The overview's breakers ask the broker whether a service runs (gateway/liveness.py).
    liveness = LivenessProbe()
    # get_bundle, polled by the bundle stream (the convention of contracts/routes.py).
    bundle = service_proxy("bundle")
    # The bureau's published reports (gateway/figures.py).
    reports = figures.ReportStore()

    # -- plumbing ---------------------------------------------------------------------------------

    def _call(self, service: str, method: str, *args, **kwargs):
        """Call a service and wait at most RPC_TIMEOUT_SECONDS: a slow or absent service is a
        503 the client can retry (commands are idempotent), never a hung connection."""
        proxy = getattr(self, service)
        try:
            # Sending is inside the timeout too: with RabbitMQ down, kombu retries the connection
            # for about 20 s before it gives up, longer than a client waits.
            with eventlet.Timeout(RPC_TIMEOUT_SECONDS):
                return getattr(proxy, method).call_async(*args, **kwargs).result()
        except eventlet.Timeout:
            raise ServiceUnavailable(service) from None
        except BROKER_ERRORS:
            raise BrokerUnavailable() from None

    def _entry(self, call: Call, action: str, outcome: str, veteran_id: str | None = None,
               fields=(), purpose: str | None = None, dates: dict | None = None) -> AuditEntry:
        p = call.principal
        return AuditEntry(subject=p.subject, role=p.role, action=action, outcome=outcome,
                          veteran_id=veteran_id, fields=tuple(sorted(fields)),
                          stations=tuple(p.stations), department=p.department,
                          purpose=purpose, correlation_id=self.context.get("correlation_id"),
                          **(dates or {}))

    def _record(self, *entries: AuditEntry) -> None:
        """Write to the audit log or refuse the request: nothing is served unrecorded."""
        try:
            if len(entries) == 1:
                self.audit.record(entries[0])
            elif entries:
                self.audit.record_many(list(entries))
        except AuditUnavailable:
            log.error("gateway.audit_unavailable")
            raise GatewayError("unavailable", "the audit log cannot be written, so the request "
                               "is refused; try again shortly", status=503) from None

    def _record_quietly(self, call: Call, action: str, outcome: str, veteran_id=None,
                        purpose=None, dates: dict | None = None) -> None:
        """Refusals are recorded too, but a refusal stands even if the log cannot take it."""
        try:
            self.audit.record(self._entry(call, action, outcome, veteran_id, purpose=purpose,
                                          dates=dates))
        except AuditUnavailable:
            log.error("gateway.audit_unavailable", action=action, outcome=outcome)

    @timer(interval=AUDIT_ANCHOR_SECONDS)
    def anchor_audit_log(self):
        """Record the chain's head elsewhere at intervals, so a cut-off tail is detected."""
        try:
            self.audit.anchor()
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.warning("gateway.audit_anchor_failed", error=type(exc).__name__)

    # -- public -----------------------------------------------------------------------------------

    @api("GET", "/health")
    @public
    def health(self, request):
        return json_response({"status": "ok"})

    @api("GET", f"{API}/openapi.json")
    @public
    def openapi(self, request):
        return json_response(openapi_document())

    @api("GET", f"{API}/docs")
    @public
    def docs(self, request):
        return docs.page(f"{API}/openapi.json", f"{API}/docs/")

    @api("GET", f"{API}/docs/<string:asset>")
    @public
    def docs_asset(self, request, asset):
        return docs.asset(asset)

    # -- the portals' pages: gateway/portal (docs/portals.md) ---------------------------------------

    @api("GET", "/")
    @public
    def portal_home(self, request):
        return portal.home(self, request)

    @api("GET", "/signin")
    @public
    def portal_sign_in_page(self, request):
        return portal.sign_in_page(self, request)

    @api("POST", "/signin")
    @public
    def portal_sign_in(self, request):
        return portal.sign_in(self, request)

    @api("POST", "/signout")
    @public
    def portal_sign_out(self, request):
        return portal.sign_out(self, request)

    @api("POST", "/preferences/text-size")
    @public
    def portal_text_size(self, request):
        return portal.text_size(self, request)

    @api("GET", "/bundles/<string:bundle_id>/live")
    @public
    def portal_bundle_live(self, request, bundle_id):
        return portal.bundle_live(self, request, bundle_id)

    # The staff workbench: gateway/portal/staff.py.
    @api("GET", "/staff")
    @public
    def portal_staff(self, request):
        return portal_staff.workbench(self, request)

    @api("GET", "/staff/relief/<string:application_id>")
    @public
    def portal_staff_relief(self, request, application_id):
        return portal_staff.relief_case(self, request, application_id)

    @api("POST", "/staff/relief/<string:application_id>/<string:step>")
    @public
    def portal_staff_relief_step(self, request, application_id, step):
        return portal_staff.relief_step(self, request, application_id, step)

    @api("GET", "/staff/relief/<string:application_id>/done")
    @public
    def portal_staff_relief_done(self, request, application_id):
        return portal_staff.relief_done(self, request, application_id)

    # The workbench's placement cases: gateway/portal/staff_placement.py.
    @api("GET", "/staff/placement/<string:case_id>")
    @public
    def portal_staff_placement(self, request, case_id):
        return portal_staff_placement.case_page(self, request, case_id)

    @api("POST", "/staff/placement/<string:case_id>/<string:step>")
    @public
    def portal_staff_placement_step(self, request, case_id, step):
        return portal_staff_placement.step(self, request, case_id, step)

    @api("GET", "/staff/placement/<string:case_id>/done")
    @public
    def portal_staff_placement_done(self, request, case_id):
        return portal_staff_placement.done(self, request, case_id)

    # The workbench's proxy cases: gateway/portal/staff_proxy.py.
    @api("GET", "/staff/proxy/<string:case_id>")
    @public
    def portal_staff_proxy(self, request, case_id):
        return portal_staff_proxy.case_page(self, request, case_id)

    @api("POST", "/staff/proxy/<string:case_id>/<string:step>")
    @public
    def portal_staff_proxy_step(self, request, case_id, step):
        return portal_staff_proxy.step(self, request, case_id, step)

    @api("GET", "/staff/proxy/<string:case_id>/done")
    @public
    def portal_staff_proxy_done(self, request, case_id):
        return portal_staff_proxy.done(self, request, case_id)

    # The workbench's 年度确认超期 queue: gateway/portal/staff_entitlements.py.
    @api("GET", "/staff/entitlements/<string:entitlement_id>")
    @public
    def portal_staff_entitlement(self, request, entitlement_id):
        return portal_staff_entitlements.entitlement_page(self, request, entitlement_id)

    @api("POST", "/staff/entitlements/<string:entitlement_id>/confirmation")
    @public
    def portal_staff_entitlement_confirm(self, request, entitlement_id):
        return portal_staff_entitlements.confirm(self, request, entitlement_id)

    @api("GET", "/staff/entitlements/<string:entitlement_id>/done")
    @public
    def portal_staff_entitlement_done(self, request, entitlement_id):
        return portal_staff_entitlements.done(self, request, entitlement_id)

    # The workbench's 需要跟进 (the bundle's attention list): gateway/portal/staff_attention.py.
    @api("GET", "/staff/attention/<string:bundle_id>/<string:matter>")
    @public
    def portal_staff_attention(self, request, bundle_id, matter):
        return portal_staff_attention.matter_page(self, request, bundle_id, matter)

    @api("POST", "/staff/attention/<string:bundle_id>/<string:matter>/follow-up")
    @public
    def portal_staff_attention_follow_up(self, request, bundle_id, matter):
        return portal_staff_attention.follow_up(self, request, bundle_id, matter)

    @api("GET", "/staff/attention/<string:bundle_id>/<string:matter>/done")
    @public
    def portal_staff_attention_done(self, request, bundle_id, matter):
        return portal_staff_attention.done(self, request, bundle_id, matter)

    @api("GET", "/staff/attention/<string:bundle_id>/notifications/<string:notification_id>")
    @public
    def portal_staff_attention_notice(self, request, bundle_id, notification_id):
        return portal_staff_attention.notification_page(self, request, bundle_id,
                                                        notification_id)

    @api("POST",
         "/staff/attention/<string:bundle_id>/notifications/<string:notification_id>/retry")
    @public
    def portal_staff_attention_retry(self, request, bundle_id, notification_id):
        return portal_staff_attention.retry(self, request, bundle_id, notification_id)

    @api("GET",
         "/staff/attention/<string:bundle_id>/notifications/<string:notification_id>/done")
    @public
    def portal_staff_attention_retried(self, request, bundle_id, notification_id):
        return portal_staff_attention.done(self, request, bundle_id, "notification")

    # The veteran's own applications: gateway/portal/veteran.py.
    @api("GET", "/relief/new")
    @public
    def portal_relief_form(self, request):
        return portal_veteran.relief_new(self, request)

    @api("POST", "/relief/new")
    @public
    def portal_relief_check(self, request):
        return portal_veteran.relief_new(self, request)

    @api("POST", "/relief/submit")
    @public
    def portal_relief_submit(self, request):
        return portal_veteran.relief_submit(self, request)

    @api("GET", "/relief/<string:application_id>")
    @public
    def portal_relief_page(self, request, application_id):
        return portal_veteran.relief_page(self, request, application_id)

    @api("GET", "/offers/<string:offer_id>")
    @public
    def portal_offer_page(self, request, offer_id):
        return portal_veteran.offer_page(self, request, offer_id)

    @api("POST", "/offers/<string:offer_id>")
    @public
    def portal_offer_answer(self, request, offer_id):
        return portal_veteran.offer_answer(self, request, offer_id)

    @api("GET", "/bundle/new")
    @public
    def portal_bundle_form(self, request):
        return portal_veteran.bundle_new(self, request)

    @api("POST", "/bundle/new")
    @public
    def portal_bundle_check(self, request):
        return portal_veteran.bundle_new(self, request)

    @api("POST", "/bundle/submit")
    @public
    def portal_bundle_submit(self, request):
        return portal_veteran.bundle_submit(self, request)

    @api("GET", "/bundle/<string:bundle_id>/submitted")
    @public
    def portal_bundle_submitted(self, request, bundle_id):
        return portal_veteran.bundle_submitted(self, request, bundle_id)

    # The leaders' dashboard: gateway/portal/dashboard.py.
    @api("GET", "/dashboard")
    @public
    def portal_dashboard(self, request):
        return leader_dashboard.dashboard(self, request)

    @api("GET", "/dashboard/export")
    @public
    def portal_dashboard_export(self, request):
        return leader_dashboard.export(self, request)

    @api("POST", "/dashboard/reports")
    @public
    def portal_dashboard_publish(self, request):
        return leader_dashboard.publish(self, request)

    @api("GET", "/dashboard/reports/<string:report_id>")
    @public
    def portal_dashboard_report(self, request, report_id):
        return leader_dashboard.report(self, request, report_id)

    @api("GET", "/static/<string:asset>")
    @public
    def portal_asset(self, request, asset):
        return portal.asset(request, asset)

    # The staff's veteran files and imports: gateway/portal/staff_files.py, staff_imports.py.
    @api("GET", "/staff/veterans")
    @public
    def portal_staff_veterans(self, request):
        return portal_files.list_page(self, request)

    @api("GET", "/staff/veterans/new")
    @public
    def portal_staff_register_form(self, request):
        return portal_files.register_form(self, request)

    @api("POST", "/staff/veterans/new")
    @public
    def portal_staff_register(self, request):
        return portal_files.register(self, request)

    @api("GET", "/staff/veterans/<string:veteran_id>/registered")
    @public
    def portal_staff_registered(self, request, veteran_id):
        return portal_files.registered(self, request, veteran_id)

    @api("GET", "/staff/veterans/<string:veteran_id>")
    @public
    def portal_staff_file(self, request, veteran_id):
        return portal_files.file_page(self, request, veteran_id)

    @api("GET", "/staff/veterans/<string:veteran_id>/amend")
    @public
    def portal_staff_amend_form(self, request, veteran_id):
        return portal_files.amend_form(self, request, veteran_id)

    @api("POST", "/staff/veterans/<string:veteran_id>/amend")
    @public
    def portal_staff_amend(self, request, veteran_id):
        return portal_files.amend(self, request, veteran_id)

    @api("GET", "/staff/veterans/<string:veteran_id>/amended")
    @public
    def portal_staff_amended(self, request, veteran_id):
        return portal_files.amended(self, request, veteran_id)

    @api("GET", "/staff/imports")
    @public
    def portal_staff_imports(self, request):
        return portal_imports.upload_form(self, request)

    @api("POST", "/staff/imports")
    @public
    def portal_staff_import_upload(self, request):
        return portal_imports.upload(self, request)

    @api("POST", "/staff/imports/confirm")
    @public
    def portal_staff_import_confirm(self, request):
        return portal_imports.confirm(self, request)

    @api("GET", "/staff/imports/<string:import_id>")
    @public
    def portal_staff_import(self, request, import_id):
        return portal_imports.import_page(self, request, import_id)

    @api("POST", "/staff/imports/<string:import_id>/dry-run")
    @public
    def portal_staff_import_dry_run(self, request, import_id):
        return portal_imports.dry_run_progress(self, request, import_id)

    @api("GET", "/staff/imports/<string:import_id>/progress")
    @public
    def portal_staff_import_progress(self, request, import_id):
        return portal_imports.import_progress(self, request, import_id)

    @api("GET", "/staff/imports/<string:import_id>/errors")
    @public
    def portal_staff_import_errors(self, request, import_id):
        return portal_imports.error_file(self, request, import_id)

    # -- who am I ---------------------------------------------------------------------------------

    @api("GET", f"{API}/me")
    @operation("me")
    def me(self, call: Call):
        p = call.principal
        return json_response({
            **p.as_reply(),
            "may": sorted(op for op in access.OPERATIONS if access.grants(op, p.roles)),
            "file_fields": sorted(access.entitled_fields(p.roles, p.department)),
        })

    @api("GET", f"{API}/me/access-log")
    @operation("my_access_log")
    def my_access_log(self, call: Call):
        query = instance(audit_contract.AccessLogQuery).load(query_from(call.request))
        return json_response(self.audit.access_log(call.principal.veteran_id, **query))

    # -- the registry -----------------------------------------------------------------------------

    @api("POST", f"{API}/veterans")
    @operation("register_veteran")
    def register_veteran(self, call: Call):
        request = call.request
        payload = json_body(request)
        instance(contract.RegisterVeteranRequest).load(payload)
        reach = call.within_stations()
        if reach is not None and payload["service_station"] not in reach:
            raise Forbidden("you may register veterans of your own service stations only")
        try:
            accepted = self._call("registry", "register_veteran", payload,
                                  command_id=command_id_from(request, call.principal),
                                  actor=call.principal.actor)
        except ServiceError as exc:
            self._record_quietly(call, "register_veteran", exc.code)
            raise
        self._record(self._entry(call, "register_veteran", "ok", accepted["veteran_id"],
                                 fields=payload.keys()))
        headers = {"Location": f"{API}/veterans/{accepted['veteran_id']}",
                   "ETag": f'"{accepted["version"]}"'}
        if accepted["replayed"]:
            headers["Idempotent-Replayed"] = "true"
        return json_response(accepted, 201, headers)

    @api("GET", f"{API}/veterans/<string:veteran_id>")
    @operation("get_veteran")
    def get_veteran(self, call: Call, veteran_id):
        veteran_id = veteran_id_from(veteran_id)
        purpose = purpose_from(call.request)
        # The file as it stood on a day (docs/history.md): YYYY-MM-DD, not after today. Other
        # query parameters are ignored, as they always were here.
        dates = instance(contract.FileOnDateQuery).dump(instance(contract.FileOnDateQuery).load(
            query_from(call.request), unknown=EXCLUDE))
        # Checked before the read, so a veteran reading someone else's id costs no RPC.
        if call.scopes == {access.OWN} and veteran_id != call.principal.veteran_id:
            self._record_quietly(call, "read_file", "not_found", veteran_id, purpose, dates)
            raise GatewayError("not_found", "no veteran file with this veteran id", status=404)
        reply = self._call("registry", "get_veteran", veteran_id, **dates)
        if not call.may_reach(veteran_id, reply.get("service_station")):
            # The same answer as a file that does not exist: no enumeration of ids.
            self._record_quietly(call, "read_file", "not_found", veteran_id, purpose, dates)
            raise GatewayError("not_found", "no veteran file with this veteran id", status=404)
        p = call.principal
        shown, withheld = _only(reply, access.entitled_fields(call.grants, p.department))
        personal = access.PERSONAL_FIELDS.intersection(shown)
        self._record(self._entry(call, "read_file", "ok", veteran_id, personal, purpose, dates))
        return json_response({**shown, **dates, "withheld": withheld},
                             headers={"ETag": f'"{reply["version"]}"'})

    @api("GET", f"{API}/veterans")
    @operation("list_veterans")
    def list_veterans(self, call: Call):
        query = instance(contract.ListVeteransQuery).load(query_from(call.request))
        purpose = purpose_from(call.request)
        page = self._call("registry", "list_veterans",
                          instance(contract.ListVeteransQuery).dump(query),
                          within_stations=call.within_stations())
        allowed = access.entitled_summary_fields(call.grants, call.principal.department)
        items, withheld = [], set()
        for item in page["items"]:
            shown, hidden = _only(item, allowed)
            items.append(shown)
            withheld.update(hidden)
        personal = access.PERSONAL_FIELDS.intersection(allowed)
        if personal:
            # A list that shows personal fields is a read of each file shown.
            self._record(*(self._entry(call, "list_veterans", "ok", item["veteran_id"],
                                       personal, purpose) for item in items))
        return json_response({**page, "items": items, "withheld": sorted(withheld)})

    def _file_command(self, call: Call, command: str, veteran_id: str):
        request = call.request
        veteran_id = veteran_id_from(veteran_id)
        if call.scopes == {access.OWN} and veteran_id != call.principal.veteran_id:
            self._record_quietly(call, command, "not_found", veteran_id)
            raise GatewayError("not_found", "no veteran file with this veteran id", status=404)
        payload = json_body(request)
        instance(FILE_COMMANDS[command].request).load(payload)
        reach = call.within_stations()
        if access.OWN in call.scopes and reach == []:
            reach = None  # the veteran's own file, checked above
        try:
            accepted = self._call(
                "registry", command, veteran_id, payload,
                command_id=command_id_from(request, call.principal),
                expected_version=expected_version_from(request),
                actor=call.principal.actor, within_stations=reach,
            )
        except ServiceError as exc:
            self._record_quietly(call, command, exc.code, veteran_id)
            raise
        self._record(self._entry(call, command, "ok", veteran_id, fields=payload.keys()))
        return json_response(accepted, headers={"ETag": f'"{accepted["version"]}"'})

    # -- the department services' operations (contracts/routes.py) --------------------------------

    def _dispatch(self, call: Call, route, params: dict):
        request = call.request
        body = None
        if route.request is not None:
            body = json_body(request)
            instance(route.request).load(body)
        query = None
        if route.query is not None:
            query = instance(route.query).dump(instance(route.query).load(query_from(request)))
        purpose = purpose_from(request)
        caller = call.caller(
            command_id=command_id_from(request, call.principal) if route.changes else None,
            expected_version=expected_version_from(request) if route.changes else None,
            correlation_id=self.context.get("correlation_id"), purpose=purpose)
        try:
            reply = self._call(route.service, route.name, params, body, query, caller)
        except ServiceError as exc:
            if route.changes:
                self._record_quietly(call, route.name, exc.code, params.get("veteran_id"),
                                     purpose)
            raise
        veteran_id = reply.get("veteran_id") or params.get("veteran_id")
        if route.changes:
            self._record(self._entry(call, route.name, "ok", veteran_id, (body or {}).keys(),
                                     purpose))
        else:
            shown = _personal_fields_shown(reply, route.personal)
            if shown:
                self._record(*(self._entry(call, route.name, "ok", vid, fields, purpose)
                               for vid, fields in shown))
        headers = {"ETag": f'"{reply["version"]}"'} if isinstance(reply.get("version"), int) \
            else {}
        return json_response(reply, route.status, headers)

    # -- one-stop reads: gateway/overview.py, gateway/stream.py -----------------------------------

    @api("GET", f"{API}/veterans/<string:veteran_id>/overview")
    @operation("veteran_overview")
    def veteran_overview(self, call: Call, veteran_id):
        return overview.serve(self, call, veteran_id)

    @api("GET", f"{API}/bundles/<string:bundle_id>/stream")
    @operation("bundle_stream")
    def bundle_stream(self, call: Call, bundle_id):
        return stream.serve(self, call, bundle_id)

    # -- the bureau's figures and published reports: gateway/figures.py ---------------------------

    @api("GET", f"{API}/figures")
    @operation("bureau_figures")
    def bureau_figures(self, call: Call):
        return figures.serve_figures(self, call)

    @api("GET", f"{API}/figures/export")
    @operation("export_figures")
    def export_figures(self, call: Call):
        return figures.serve_export(self, call)

    @api("POST", f"{API}/reports")
    @operation("publish_report")
    def publish_report(self, call: Call):
        return figures.serve_publish(self, call)

    @api("GET", f"{API}/reports/<string:report_id>")
    @operation("get_report")
    def get_report(self, call: Call, report_id):
        return figures.serve_report(self, call, report_id)

    # -- the audit log ----------------------------------------------------------------------------

    @api("GET", f"{API}/audit")
    @operation("search_audit")
    def search_audit(self, call: Call):
        query = instance(audit_contract.AuditQuery).load(query_from(call.request))
        # An auditor's search is itself on record: who looked at whose history.
        self._record(self._entry(call, "search_audit", "ok", query.get("veteran_id"),
                                 purpose=purpose_from(call.request)))
        return json_response(self.audit.search(**query))

    @api("GET", f"{API}/audit/verification")
    @operation("verify_audit")
    def verify_audit(self, call: Call):
        result = self.audit.verify()
        return json_response({"ok": result.ok, "entries": result.entries,
                              "head_seq": result.head_seq, "problem": result.problem,
                              "first_bad_seq": result.first_bad_seq})


def _file_command_route(command):
    """The route for one line of contracts.registry.FILE_COMMANDS: authorised by its own rule."""

    def route(self, call, veteran_id):
        return self._file_command(call, command.name, veteran_id)

    route.__name__ = route.__qualname__ = command.name
    route.__doc__ = command.summary
    return api(command.method, f"{API}/veterans/<string:veteran_id>{command.path}")(
        operation(command.name)(route))


for _command in contract.FILE_COMMANDS:
    setattr(GatewayService, _command.name, _file_command_route(_command))


def _route_handler(route):
    """The gateway route for one line of a service's ROUTES (contracts/routes.py)."""

    def handler(self, call, **params):
        return self._dispatch(call, route, params)

    handler.__name__ = handler.__qualname__ = route.name
    handler.__doc__ = route.summary
    return api(route.method, f"{API}{route.werkzeug_path}")(operation(route.name)(handler))


for _route in api_routes.ROUTES:
    if not hasattr(GatewayService, _route.service):
        setattr(GatewayService, _route.service, service_proxy(_route.service))
    setattr(GatewayService, _route.name, _route_handler(_route))
