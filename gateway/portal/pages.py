"""The portal's pages: development sign-in, the session and CSRF cookies, and the veteran's own page.

Every page reads through the API's own handlers (the same access rules, the same audit entries):
a page builds the request the API would get, with the session's token as its bearer, and renders
the JSON it answers. There is no second path to the data.
"""
from __future__ import annotations

import hmac
import json
import os
import re
import secrets
import uuid
from pathlib import Path

import jinja2
import structlog
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from contracts import access
from gateway.portal import formats
from gateway.tokens import TokenSettings, Unauthenticated, mint

log = structlog.get_logger("vetlife.gateway")

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml",
                # The vendored chart library's licence and notice (Apache-2.0 asks they travel
                # with it): plain text, served as text, never sniffed into anything else.
                ".txt": "text/plain; charset=utf-8"}

SESSION_MINUTES = 60
TEXT_SIZE_DAYS = 365
SUBJECT_MAX = 100
# Where the text-size switch may send the browser back to: a path of our own pages only (letters,
# digits, '/', '-', '_'), never a URL from the form (an open redirect: "//evil", "/\\evil",
# "https:"), never a query (it could carry anything).
RETURN_PATH = re.compile(r"/(?:[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*/?)?")
SIGN_IN_ROLES = tuple(r for r in ("veteran", "station_worker", "registry_clerk",
                                  "placement_officer", "benefits_officer", "disputes_officer",
                                  "employment_officer", "approver", "leader", "auditor",
                                  "department") if r in access.ROLES)

# Only our own origin, for everything: no CDN, no inline script or style, forms post to us.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; connect-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")

ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                         trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(chinese_date=formats.chinese_date, chinese_moment=formats.chinese_moment,
                   yuan=formats.yuan, field_value=formats.field_value)


def secure_cookies(request: Request) -> bool:
    """Secure cookies over HTTPS. Plain http is only the local machine's (make up on
    localhost); VETLIFE_PORTAL_SECURE_COOKIES=1 forces them behind a TLS-terminating proxy."""
    return request.scheme == "https" or os.environ.get("VETLIFE_PORTAL_SECURE_COOKIES") == "1"


def cookie_names(request: Request) -> tuple[str, str]:
    # The __Host- prefix (HTTPS only) keeps a sibling subdomain from planting either cookie.
    prefix = "__Host-" if secure_cookies(request) else ""
    return f"{prefix}vetlife_session", f"{prefix}vetlife_csrf"


def dev_sign_in_enabled(settings: TokenSettings | None = None) -> bool:
    """Development sign-in exists only where the gateway holds the development signing key
    (make up); in production the tokens come from the province's identity provider (a JWKS URL)
    and no signing key is on the machine."""
    settings = settings or TokenSettings.from_env()
    return settings.jwks_url is None and Path(settings.signing_key_path).is_file()


# -- responses --------------------------------------------------------------------------------

def _csrf_value(request: Request) -> tuple[str, bool]:
    """The browser's CSRF token, or a new one (True: it must be set on the response)."""
    value = request.cookies.get(cookie_names(request)[1], "")
    if len(value) == 43 and value.replace("-", "").replace("_", "").isalnum():
        return value, False
    return secrets.token_urlsafe(32), True


def render(request: Request, template: str, status: int = 200, **context) -> Response:
    csrf, new = _csrf_value(request)
    html = ENV.get_template(template).render(
        csrf_token=csrf, large_text=request.cookies.get("vetlife_text_size") == "large",
        path=request.path, **context)
    response = Response(html, status=status, mimetype="text/html")
    _harden(response)
    if new:
        response.set_cookie(cookie_names(request)[1], csrf, httponly=True, samesite="Strict",
                            secure=secure_cookies(request), path="/")
    return response


def _harden(response: Response) -> None:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    # Pages hold personal data: never kept by the browser's or a proxy's cache.
    response.headers["Cache-Control"] = "no-store"


def redirect(location: str) -> Response:
    response = Response("", status=303, headers={"Location": location})
    _harden(response)
    return response


def refused(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "refused.html", status=status, title=title, message=message,
                  signed_in=bool(request.cookies.get(cookie_names(request)[0])))


def csrf_ok(request: Request) -> bool:
    """Double submit: the form's token equals the browser's CSRF cookie, which another site can
    neither read nor set; and a browser that says where the form came from must say us."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        return False
    cookie = request.cookies.get(cookie_names(request)[1], "")
    sent = request.form.get("csrf_token", "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


def forged(request: Request) -> Response:
    log.info("portal.csrf_refused", path=request.path)
    return refused(request, 403, "请求无法验证", "这个表单已失效或并非来自本站。请返回页面重新操作。")


# -- the session ------------------------------------------------------------------------------

def session(service, request: Request):
    """(principal, token) from the session cookie, or None when there is none or it no longer
    verifies (expired, or signed by a key the gateway does not know)."""
    token = request.cookies.get(cookie_names(request)[0])
    if not token:
        return None
    try:
        return service.identity.principal(f"Bearer {token}"), token
    except Unauthenticated:
        return None


def api_read(service, handler: str, token: str, path: str, query: dict | None = None,
             **params) -> tuple[int, dict]:
    """Run one of the API's GET handlers as the signed-in person: the same route code, access
    rules and audit entries as GET /api/v1/…, with the session's token as the bearer."""
    environ = EnvironBuilder(path=path, method="GET", query_string=query or {},
                             headers={"Authorization": f"Bearer {token}"}).get_environ()
    response = getattr(service, handler)(Request(environ), **params)
    try:
        body = json.loads(response.get_data())
    except ValueError:
        body = {}
    return response.status_code, body


def api_write(service, handler: str, token: str, path: str, body: dict,
              idempotency_key: str, method: str = "POST", if_match: str | None = None,
              **params) -> tuple[int, dict]:
    """Run one of the API's write handlers as the signed-in person, as api_read does for reads:
    the same contracts, rules, four-eyes checks and audit entries as the API. The form's
    idempotency key (minted when the form was rendered, see form_key) makes a form sent twice
    (a double click, a reload after a lost answer) one change, answered the same both times."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key}
    if if_match is not None:
        headers["If-Match"] = if_match
    environ = EnvironBuilder(path=path, method=method, headers=headers,
                             data=json.dumps(body, ensure_ascii=False).encode(),
                             content_type="application/json").get_environ()
    response = getattr(service, handler)(Request(environ), **params)
    try:
        reply = json.loads(response.get_data())
    except ValueError:
        reply = {}
    return response.status_code, reply


def form_key(request: Request) -> str:
    """The idempotency key a form carries in a hidden field: the one it was rendered with when the
    browser sends it back (a well-formed one), else a new one for a newly rendered form."""
    sent = request.form.get("idempotency_key", "") if request.method == "POST" else ""
    if 8 <= len(sent) <= 128 and sent.replace("-", "").replace("_", "").isalnum():
        return sent
    return f"portal-{uuid.uuid4()}"


# -- sign-in and sign-out ----------------------------------------------------------------------

def sign_in_page(service, request: Request) -> Response:
    if not dev_sign_in_enabled():
        return refused(request, 404, "请通过统一身份认证登录",
                       "本系统通过省统一身份认证平台登录。开发用登录页只在开发环境中开放。")
    return render(request, "signin.html", roles=SIGN_IN_ROLES, role_labels=formats.ROLE_LABELS,
                  departments=sorted(access.DEPARTMENTS), errors={}, form={})


def sign_in(service, request: Request) -> Response:
    if not csrf_ok(request):
        return forged(request)
    settings = TokenSettings.from_env()
    if not dev_sign_in_enabled(settings):
        return refused(request, 404, "请通过统一身份认证登录",
                       "本系统通过省统一身份认证平台登录。开发用登录页只在开发环境中开放。")
    form = {key: request.form.get(key, "").strip()
            for key in ("role", "subject", "veteran_id", "station", "department")}
    errors = _sign_in_errors(form)
    if errors:
        return render(request, "signin.html", status=400, roles=SIGN_IN_ROLES,
                      role_labels=formats.ROLE_LABELS, departments=sorted(access.DEPARTMENTS),
                      errors=errors, form=form)
    role = form["role"]
    token = mint(settings, [role], form["subject"],
                 stations=[form["station"]] if role == "station_worker" else (),
                 veteran_id=form["veteran_id"] if role == "veteran" else None,
                 department=form["department"] if role == "department" else None,
                 minutes=SESSION_MINUTES)
    log.info("portal.signed_in", role=role)
    response = redirect("/")
    response.set_cookie(cookie_names(request)[0], token, max_age=SESSION_MINUTES * 60,
                        httponly=True, samesite="Lax", secure=secure_cookies(request), path="/")
    return response


def _sign_in_errors(form: dict) -> dict:
    errors = {}
    if form["role"] not in SIGN_IN_ROLES:
        errors["role"] = "请选择一个角色。"
    subject = form["subject"]
    if not subject or len(subject) > SUBJECT_MAX or not subject.isprintable():
        errors["subject"] = f"请填写登录名（1至{SUBJECT_MAX}个字符）。"
    if form["role"] == "veteran":
        try:
            form["veteran_id"] = str(uuid.UUID(form["veteran_id"]))
        except ValueError:
            errors["veteran_id"] = "退役军人本人登录需要填写档案编号（veteran_id）。"
    if form["role"] == "station_worker" and not (
            form["station"] and len(form["station"]) <= SUBJECT_MAX
            and form["station"].isprintable()):
        errors["station"] = "服务站工作人员登录需要填写所在服务站。"
    if form["role"] == "department" and form["department"] not in access.DEPARTMENTS:
        errors["department"] = "部门系统登录需要选择部门。"
    return errors


def sign_out(service, request: Request) -> Response:
    if not csrf_ok(request):
        return forged(request)
    response = redirect("/signin")
    response.delete_cookie(cookie_names(request)[0], path="/", httponly=True, samesite="Lax",
                           secure=secure_cookies(request))
    return response


def text_size(service, request: Request) -> Response:
    """The elder-mode switch: a cookie set by a form, so it works without JavaScript."""
    if not csrf_ok(request):
        return forged(request)
    back = request.form.get("back", "/")
    response = redirect(back if RETURN_PATH.fullmatch(back) else "/")
    if request.form.get("size") == "large":
        response.set_cookie("vetlife_text_size", "large", max_age=TEXT_SIZE_DAYS * 86400,
                            httponly=True, samesite="Lax", secure=secure_cookies(request),
                            path="/")
    else:
        response.delete_cookie("vetlife_text_size", path="/")
    return response


# -- the veteran's page ------------------------------------------------------------------------

def home(service, request: Request) -> Response:
    current = session(service, request)
    if current is None:
        return redirect("/signin")
    principal, token = current
    if not access.page_grants("veteran_home", principal.roles):
        # Staff and leaders have a start page of their own, when PAGES gives them one.
        for page, start in (("staff_workbench", "/staff"), ("leader_dashboard", "/dashboard"),
                            ("staff_register", "/staff/veterans")):
            if access.page_grants(page, principal.roles):
                return redirect(start)
        return refused(request, 403, "此页面不对您的角色开放", "您的角色没有可用的页面。")
    veteran_id = principal.veteran_id or ""
    file_status, file = api_read(service, "get_veteran", token, f"/api/v1/veterans/{veteran_id}",
                                 veteran_id=veteran_id)
    bundle, bundle_status = None, 200
    list_status, bundles = api_read(service, "list_bundles", token, "/api/v1/bundles",
                                    {"page_size": "5"})
    if list_status != 200:
        bundle_status = list_status
    elif bundles.get("items"):
        latest = max(bundles["items"], key=lambda b: (b.get("submitted_on") or "", b["version"]))
        bundle_status, bundle = api_read(service, "get_bundle", token,
                                         f"/api/v1/bundles/{latest['bundle_id']}",
                                         bundle_id=latest["bundle_id"])
    log_status, access_log = api_read(service, "my_access_log", token, "/api/v1/me/access-log",
                                      {"page_size": "20"})
    from gateway.portal import veteran  # it builds on this module's helpers
    mine = veteran.applications(service, token, veteran_id)
    actions = mine["actions"] + _bundle_actions(bundle if bundle_status == 200 else None)
    return render(
        request, "home.html", principal=principal, applications=mine, actions=actions,
        file_status=file_status, file=_file_rows(file) if file_status == 200 else [],
        bundle_status=bundle_status, bundle=bundle if bundle_status == 200 else None,
        tasks=_tasks(bundle) if bundle_status == 200 and bundle else [],
        not_tasks=_not_tasks(bundle) if bundle_status == 200 and bundle else [],
        bundle_labels=formats.BUNDLE_LABELS,
        status_labels=json.dumps(formats.MATTER_LABELS, ensure_ascii=False),
        log_status=log_status, access_log=_log_rows(access_log) if log_status == 200 else [])


def _file_rows(file: dict) -> list[tuple[str, str]]:
    return [(label, formats.file_value(name, file.get(name)))
            for name, label in formats.FIELD_LABELS.items() if name in file]


def _tasks(bundle: dict) -> list[dict]:
    tasks = []
    for matter in bundle.get("matters", []):
        if matter["status"] not in formats.MATTER_LABELS:
            continue
        key, label = formats.matter_status(matter["status"])
        tasks.append({
            "matter": matter["matter"], "title": matter["title"],
            "department": matter["department_name"],
            "status": key, "label": label,
            "updated_on": matter.get("answered_on") or matter.get("acknowledged_on")
            or matter.get("requested_on"),
            "due_on": matter.get("due_on"), "reference": matter.get("reference"),
            "refusal_reason": matter.get("refusal_reason"), "next_step": matter.get("next_step"),
        })
    return tasks


def _bundle_actions(bundle: dict | None) -> list[dict]:
    """What the veteran must do for the bundle: each refused matter's next step, by its deadline."""
    if not bundle:
        return []
    return [{"what": f"{m['title']}：{m['next_step']}", "due_on": m.get("due_on"),
             "overdue": False, "href": "#bundle-title"}
            for m in bundle.get("matters", [])
            if m["status"] == "refused" and m.get("next_step")]


def _not_tasks(bundle: dict) -> list[dict]:
    return [{"title": m["title"], "reason": m.get("reason") or "不适用"}
            for m in bundle.get("matters", []) if m["status"] not in formats.MATTER_LABELS]


def _log_rows(page: dict) -> list[dict]:
    return [{"at": item.get("at"), "who": formats.ROLE_LABELS.get(item.get("role") or "",
                                                                  item.get("role") or ""),
             "department": item.get("department"),
             "action": formats.ACTION_LABELS.get(item.get("action") or "", item.get("action")),
             "fields": "、".join(formats.FIELD_LABELS.get(f, f) for f in item.get("fields") or ()),
             "purpose": item.get("purpose") or "—", "outcome": item.get("outcome")}
            for item in page.get("items", [])]


def bundle_live(service, request: Request, bundle_id: str) -> Response:
    """The bundle's stream for the page's script: the API's own stream route (the same rule, the
    same audit entry), authenticated by the session cookie, which an EventSource sends and a
    bearer header it cannot."""
    current = session(service, request)
    if current is None or not access.page_grants("veteran_home", current[0].roles):
        return Response("", status=403)
    headers = {"Authorization": f"Bearer {current[1]}"}
    if request.headers.get("Last-Event-ID"):
        headers["Last-Event-ID"] = request.headers["Last-Event-ID"]
    environ = EnvironBuilder(path=f"/api/v1/bundles/{bundle_id}/stream", method="GET",
                             headers=headers).get_environ()
    # Each event leaves at once, on the browser's own connection.
    request.environ["eventlet.minimum_write_chunk_size"] = 0
    return service.bundle_stream(Request(environ), bundle_id=bundle_id)


# -- static assets -----------------------------------------------------------------------------

def asset(request: Request, name: str) -> Response:
    """Our stylesheet and script, from the package: a fixed set of files, nothing else."""
    path = STATIC / name
    kind = STATIC_TYPES.get(path.suffix)
    if kind is None or path.parent != STATIC or not path.is_file():
        return Response("not found", status=404, mimetype="text/plain")
    response = Response(path.read_bytes(), mimetype=kind.split(";")[0])
    response.headers["Content-Type"] = kind
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
