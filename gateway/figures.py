"""The bureau's figures for any period (GET /api/v1/figures) and reports published from them (/api/v1/reports).

Each department service keeps its countable facts by the day they count for (chassis/report_facts.py)
and answers `report_figures` with its sums for a period, up to a store position if asked. The
gateway asks every service at once (each behind its circuit breaker, as the overview does), and
builds each figure of the bureau's yearly summary from them: a count, a sum of fen, or a rate
{numerator, denominator, rate}. A figure the platform cannot compute honestly is null, with its
reason in `reasons`; so is a figure whose service did not answer.

A report stores, at publication, each service's store position and a hash of its figures. Read
later, it recomputes the figures up to those positions (and checks the hash: the same events give
the same figures), computes them as now known, and lists the facts recorded since publication that
count for the period: the corrections that explain each difference.

docs/figures.md says what each figure counts, from which events, and its effective date.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import eventlet
import psycopg2.extras
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from nameko.extensions import DependencyProvider

from chassis.config import database_url
from chassis.db import Database
from chassis.errors import IdempotencyKeyReused
from chassis.wire import ServiceError
from contracts import instance
from contracts.registry import TEXT
from gateway.breaker import BREAKERS
from gateway.overview import SHANGHAI, Unavailable, guarded

# A service's whole part, caught up first: longer than a section of the overview, since the first
# read after a deploy may feed the report projection a backlog (docs/figures.md).
PART_TIMEOUT_SECONDS = 9.0
SERVICES = ("registry", "benefits", "disputes", "employment", "placement", "bundle")
STATION, TOWNSHIP = "station", "township"


@dataclass(frozen=True)
class Measure:
    """One number from one service's facts: the sum of a metric's deltas, or how many distinct
    subjects (people, employers) it has left standing; `stock`: up to the period's end."""

    service: str
    metric: str
    subjects: bool = False
    stock: bool = False


@dataclass(frozen=True)
class Figure:
    key: str
    section: str                    # 档案, 优抚, 权益, 安置, 就业, 服务站: exports put a sheet per section
    title: str                      # the bureau's words, the exports' headers
    count: Measure | None = None
    numerator: Measure | None = None
    denominator: Measure | None = None
    money: bool = False             # fen
    dims: frozenset[str] = frozenset({STATION, TOWNSHIP})   # the filters its facts carry
    missing: str | None = None      # why it cannot be computed yet

    @property
    def rate(self) -> bool:
        return self.numerator is not None

    @property
    def measures(self) -> tuple[Measure, ...]:
        return tuple(m for m in (self.count, self.numerator, self.denominator) if m is not None)


def _r(metric, **kw):
    return Measure("registry", metric, **kw)


_NOT_TOWNSHIP = frozenset({STATION})
_NOT_STATION = frozenset({TOWNSHIP})
FIGURES: tuple[Figure, ...] = (
    Figure("files_total", "档案", "建档人数", _r("files", stock=True)),
    Figure("files_completion_rate", "档案", "建档完成率",
           numerator=_r("files_complete", stock=True), denominator=_r("files", stock=True)),
    Figure("party_members", "档案", "退役军人党员", _r("party_members", subjects=True, stock=True)),
    Figure("village_party_secretaries_share", "档案", "兵支书比例",
           numerator=_r("village_party_secretaries", subjects=True, stock=True),
           denominator=_r("village_stations_planned", subjects=True, stock=True),
           dims=_NOT_STATION),
    Figure("martyr_families_visited", "优抚", "走访慰问烈属(户)",
           Measure("benefits", "martyr_family_visits", subjects=True)),
    Figure("visits_people", "优抚", "走访慰问人数", Measure("benefits", "visits", subjects=True)),
    Figure("visits_amount_fen", "优抚", "慰问金额(元)", Measure("benefits", "visits_amount_fen"),
           money=True),
    Figure("social_care_beneficiaries", "优抚", "社会化服务重点优抚对象",
           Measure("benefits", "social_care", subjects=True)),
    Figure("relief_grants", "优抚", "三难救助(人次)", Measure("benefits", "relief_grants")),
    Figure("relief_amount_fen", "优抚", "三难救助金(元)", Measure("benefits", "relief_amount_fen"),
           money=True),
    Figure("proxy_cases_completed", "权益", "权益维护代办(件)",
           Measure("disputes", "proxy_cases_completed"), dims=_NOT_TOWNSHIP),
    Figure("disputes_resolved", "权益", "解决矛盾(件)", Measure("disputes", "disputes_resolved"),
           dims=_NOT_TOWNSHIP),
    Figure("escalations", "权益", "赴省进京", Measure("disputes", "escalations"),
           dims=_NOT_TOWNSHIP),
    Figure("bundle_received", "安置", "一件事联办接收退役士兵", Measure("bundle", "bundles_received",
                                                              subjects=True)),
    Figure("placements_officers", "安置", "转业干部安置", Measure("placement", "placed_officer")),
    Figure("placements_ncos", "安置", "转业士官安置", Measure("placement", "placed_nco")),
    Figure("placements_spouses", "安置", "随军家属安置", Measure("placement", "placed_spouse")),
    Figure("officer_admin_post_rate", "安置", "转业干部行政岗位安置率",
           numerator=Measure("placement", "placed_officer_administrative"),
           denominator=Measure("placement", "placed_officer")),
    Figure("nco_institution_post_rate", "安置", "转业士官事业岗位安置率",
           numerator=Measure("placement", "placed_nco_institution"),
           denominator=Measure("placement", "placed_nco")),
    Figure("employers", "就业", "发布岗位企业(家)", Measure("employment", "postings", subjects=True),
           dims=_NOT_STATION),
    Figure("postings", "就业", "就业信息(条)", Measure("employment", "postings"), dims=_NOT_STATION),
    Figure("job_fair_employers", "就业", "招聘会参会企业", Measure("employment", "job_fair_employers"),
           dims=_NOT_STATION),
    Figure("job_fair_posts", "就业", "招聘会提供岗位", Measure("employment", "job_fair_posts"),
           dims=_NOT_STATION),
    Figure("job_fair_attendees", "就业", "参会退役军人", Measure("employment", "job_fair_attendees"),
           dims=_NOT_STATION),
    Figure("job_fair_intentions", "就业", "达成就业意向", Measure("employment", "job_fair_intentions"),
           dims=_NOT_STATION),
    Figure("stations_built", "服务站", "服务站建成", _r("stations_built", subjects=True, stock=True)),
    Figure("stations_planned", "服务站", "服务站规划", _r("stations_planned", subjects=True,
                                                       stock=True)),
    Figure("stations_exemplary_share", "服务站", "示范型服务站占比",
           numerator=_r("stations_exemplary", subjects=True, stock=True),
           denominator=_r("stations_built", subjects=True, stock=True)),
)
BY_KEY = {figure.key: figure for figure in FIGURES}


# -- the query -------------------------------------------------------------------------------------

class BureauFiguresQuery(Schema):
    """A period (both days included, Asia/Shanghai) and optionally one station or township."""

    from_ = fields.Date(required=True, data_key="from", metadata={"description": "first day"})
    to = fields.Date(required=True, metadata={"description": "last day, included"})
    station = fields.String(validate=[validate.Length(min=1, max=100), TEXT])
    township = fields.String(validate=[validate.Length(min=1, max=100), TEXT])

    @validates_schema
    def _ordered(self, data, **kwargs):
        if "from_" in data and "to" in data and data["from_"] > data["to"]:
            raise ValidationError("the period ends before it starts", "to")


SECTION_NAMES = tuple(dict.fromkeys(figure.section for figure in FIGURES))


class ExportQuery(BureauFiguresQuery):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv", "png"]),
                           metadata={"description": "xlsx: a sheet per section; csv: one table; "
                                                    "png: one section's chart (needs section)"})
    section = fields.String(validate=validate.OneOf(SECTION_NAMES), metadata={
        "description": "the section a png charts: " + ", ".join(SECTION_NAMES)})

    @validates_schema
    def _png_names_its_section(self, data, **_):
        if data.get("format") == "png" and not data.get("section"):
            raise ValidationError({"section": ["a chart is of one section: name it"]})


class ReportRequest(BureauFiguresQuery):
    """Publish the figures of a period as they stand now."""

    class Meta:
        example = {"from": "2020-01-01", "to": "2020-12-31"}


@dataclass(frozen=True)
class Scope:
    """What the figures are of: the period, the filters asked for and the caller's reach."""

    first: object
    last: object
    station: str | None
    township: str | None
    stations: tuple[str, ...] | None     # None: the whole district

    def as_query(self) -> dict:
        query = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        if self.station is not None:
            query["station"] = self.station
        if self.township is not None:
            query["township"] = self.township
        if self.stations is not None:
            query["stations"] = list(self.stations)
        return query

    def as_reply(self) -> dict:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(),
                "station": self.station, "township": self.township,
                "stations": None if self.stations is None else list(self.stations)}


def scope_of(call, loaded: dict) -> Scope:
    """The query within the caller's reach: a station worker sees their own stations only."""
    from gateway.errors import Forbidden

    reach = call.within_stations()
    station = loaded.get("station")
    if reach is not None:
        if station is not None and station not in reach:
            raise Forbidden("you may see the figures of your own service stations only")
        if not reach:
            raise Forbidden("your token names no service station")
    stations = None if reach is None else tuple(sorted(reach))
    return Scope(loaded["from_"], loaded["to"], station, loaded.get("township"), stations)


# -- composing -------------------------------------------------------------------------------------

def read_parts(gateway, scope: Scope, positions: dict | None = None,
               after: dict | None = None) -> dict[str, dict]:
    """Each service's part at once: its sums (up to `positions[service]` if given) and, with
    `after`, the facts recorded since `after[service]`. A part that fails is {"unavailable": why}."""
    stock = sorted({m.metric for f in FIGURES for m in f.measures if m.stock})
    counted = sorted({m.metric for f in FIGURES for m in f.measures if m.subjects})

    def one(service: str) -> tuple[str, dict]:
        # The stock metrics are named always: a service then sums stocks up to the period's end
        # and flows within it only, never every flow since the beginning. So are the metrics
        # whose distinct people a figure counts: counting them is a service's dearest query
        # (its facts grouped by subject), and no figure reads the others'.
        query = {**scope.as_query(), "stock_metrics": stock, "subject_metrics": counted}
        if positions is not None:
            query["upto"] = positions.get(service, 0)
        if after is not None:
            query["after"] = after.get(service, 0)
        proxy = getattr(gateway, service)
        try:
            part = guarded(BREAKERS[service],
                           lambda: proxy.report_figures.call_async(query).result(),
                           PART_TIMEOUT_SECONDS)
        except Unavailable as exc:
            return service, {"unavailable": exc.reason}
        except ServiceError:
            return service, {"unavailable": "error"}
        return service, part

    pool = eventlet.GreenPool(len(SERVICES))
    return dict(pool.imap(one, SERVICES))


def _value(measure: Measure, part: dict) -> int:
    totals = part["to_date" if measure.stock else "period"].get(measure.metric)
    if totals is None:
        return 0
    return int(totals["subjects" if measure.subjects else "sum"])


def rate(numerator: int, denominator: int) -> dict:
    return {"numerator": numerator, "denominator": denominator,
            "rate": None if denominator == 0 else round(numerator / denominator, 4)}


def compose(scope: Scope, parts: dict[str, dict]) -> tuple[dict, dict]:
    """(figures, reasons): each key's value, or null with its reason."""
    figures, reasons = {}, {}
    for figure in FIGURES:
        why = figure.missing
        if why is None:
            if (scope.station is not None or scope.stations is not None) and \
                    STATION not in figure.dims:
                why = "not kept by service station: these facts are the district's"
            elif scope.township is not None and TOWNSHIP not in figure.dims:
                why = "not kept by township: these facts name a station only"
        if why is None:
            down = sorted({m.service for m in figure.measures
                           if "unavailable" in parts.get(m.service, {"unavailable": "not_asked"})})
            if down:
                why = "; ".join(f"{s} unavailable ({parts.get(s, {}).get('unavailable')})"
                                for s in down)
        if why is not None:
            figures[figure.key], reasons[figure.key] = None, why
            continue
        if figure.rate:
            figures[figure.key] = rate(_value(figure.numerator, parts[figure.numerator.service]),
                                       _value(figure.denominator,
                                              parts[figure.denominator.service]))
        else:
            figures[figure.key] = _value(figure.count, parts[figure.count.service])
    return figures, reasons


def positions_of(parts: dict[str, dict]) -> dict[str, int | None]:
    return {service: part.get("position") for service, part in parts.items()}


def figures_reply(scope: Scope, parts: dict[str, dict]) -> dict:
    figures, reasons = compose(scope, parts)
    return {**scope.as_reply(), "as_of": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
            "positions": positions_of(parts), "figures": figures, "reasons": reasons}


def digest(scope: Scope, positions: dict, figures: dict) -> str:
    """The published figures' fingerprint: what they are of, up to where, and their values."""
    text = json.dumps({"scope": scope.as_reply(), "positions": positions, "figures": figures},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def explain(published: dict, now: dict, parts_after: dict[str, dict]) -> list[dict]:
    """Each figure that differs, with the facts recorded since publication behind it."""
    later_by_metric: dict[tuple[str, str], list[dict]] = {}
    for service, part in parts_after.items():
        for fact in part.get("later", ()):
            later_by_metric.setdefault((service, fact["metric"]), []).append(
                {"service": service, **fact})
    out = []
    for figure in FIGURES:
        before, after = published.get(figure.key), now.get(figure.key)
        if before == after:
            continue
        corrections = [fact for m in figure.measures
                       for fact in later_by_metric.get((m.service, m.metric), ())]
        out.append({"figure": figure.key, "published": before, "now": after,
                    "corrections": sorted(corrections, key=lambda f: (f["service"],
                                                                      f["position"]))})
    return out


# -- published reports -----------------------------------------------------------------------------

class ReportStore(DependencyProvider):
    """The gateway's published reports (its own database, beside the audit log)."""

    def setup(self):
        url = self.container.config.get("GATEWAY_DATABASE_URL") or database_url("gateway")
        self.db = Database(url, max_connections=4)

    def stop(self):
        self.db.close()

    def get_dependency(self, worker_ctx):
        return self


# Fixed forever: a publication's id is derived from its Idempotency-Key (already the caller's own,
# see gateway.service.command_id_from), so a retried POST finds the report it published.
REPORT_NAMESPACE = uuid.UUID("6f1c2b7e-93a4-5d0e-8b21-4c7d9e0a3f58")


def report_id_for(command_id: str | None) -> str:
    return str(uuid.uuid5(REPORT_NAMESPACE, command_id) if command_id else uuid.uuid4())


def save_report(db: Database, scope: Scope, positions: dict, figures: dict, reasons: dict,
                published_by: str, hashed: str, command_id: str | None = None) -> dict:
    """Store a publication once: the same key again answers the report it made (`replayed`),
    with the figures as they were published then; the same key for another period or scope is
    refused (IdempotencyKeyReused)."""
    report_id = report_id_for(command_id)
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO published_reports (report_id, period_from, period_to, station, township, "
            "stations, positions, figures, reasons, figures_hash, published_by) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (report_id) DO NOTHING "
            "RETURNING published_at",
            (report_id, scope.first, scope.last, scope.station, scope.township,
             None if scope.stations is None else list(scope.stations),
             psycopg2.extras.Json(positions), psycopg2.extras.Json(figures),
             psycopg2.extras.Json(reasons), hashed, published_by))
        row = cur.fetchone()
        if row is not None:
            return {"report_id": report_id, "replayed": False,
                    "published_at": row[0].astimezone(SHANGHAI).isoformat(timespec="seconds")}
        cur.execute("SELECT period_from, period_to, station, township, stations, positions, "
                    "figures, reasons, figures_hash, published_by, published_at "
                    "FROM published_reports WHERE report_id = %s", (report_id,))
        (first, last, station, township, stations, positions, figures, reasons, hashed,
         by, published_at) = cur.fetchone()
    asked = (scope.first, scope.last, scope.station, scope.township,
             None if scope.stations is None else list(scope.stations), published_by)
    if asked != (first, last, station, township, stations, by):
        raise IdempotencyKeyReused(command_id)
    return {"report_id": report_id, "replayed": True, "positions": positions,
            "figures": figures, "reasons": reasons, "hash": hashed,
            "published_at": published_at.astimezone(SHANGHAI).isoformat(timespec="seconds")}


def load_report(db: Database, report_id: str) -> dict | None:
    with db.transaction() as cur:
        cur.execute("SELECT report_id, period_from, period_to, station, township, stations, "
                    "positions, figures, reasons, figures_hash, published_at FROM "
                    "published_reports WHERE report_id = %s", (report_id,))
        row = cur.fetchone()
    if row is None:
        return None
    (rid, first, last, station, township, stations, positions, figures, reasons, hashed,
     published_at) = row
    return {"report_id": str(rid), "scope": Scope(first, last, station, township,
                                             None if stations is None else tuple(stations)),
            "positions": positions, "figures": figures, "reasons": reasons, "hash": hashed,
            "published_at": published_at.astimezone(SHANGHAI).isoformat(timespec="seconds")}


# -- the routes ------------------------------------------------------------------------------------

def serve_figures(gateway, call):
    """GET /api/v1/figures, for GatewayService.bureau_figures."""
    from gateway.service import json_response, purpose_from, query_from

    purpose_from(call.request)   # a malformed X-Purpose is a 400 here as on every read
    scope = scope_of(call, instance(BureauFiguresQuery).load(query_from(call.request)))
    return json_response(figures_reply(scope, read_parts(gateway, scope)),
                         headers={"Cache-Control": "no-store"})


EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "png": "image/png",
}


def serve_export(gateway, call):
    """GET /api/v1/figures/export, for GatewayService.export_figures."""
    from werkzeug.wrappers import Response

    from gateway import figures_export
    from gateway.service import purpose_from, query_from

    purpose_from(call.request)
    loaded = instance(ExportQuery).load(query_from(call.request))
    scope = scope_of(call, loaded)
    figures, reasons = compose(scope, read_parts(gateway, scope))
    kind = loaded["format"]
    if kind == "png":
        body = figures_export.as_png(scope, figures, reasons, loaded["section"])
    else:
        body = (figures_export.as_xlsx if kind == "xlsx" else figures_export.as_csv)(
            scope, figures, reasons)
    # The section's name is Chinese: the file name stays ASCII (its position in the summary).
    part = f"-{SECTION_NAMES.index(loaded['section']) + 1}" if kind == "png" else ""
    name = f"figures-{scope.first.isoformat()}-{scope.last.isoformat()}{part}.{kind}"
    return Response(body, mimetype=EXPORT_TYPES[kind].split(";")[0],
                    content_type=EXPORT_TYPES[kind],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


def serve_publish(gateway, call):
    """POST /api/v1/reports, for GatewayService.publish_report."""
    from gateway.errors import GatewayError
    from gateway.service import command_id_from, json_body, json_response

    body = json_body(call.request)
    command_id = command_id_from(call.request, call.principal)
    scope = scope_of(call, instance(ReportRequest).load(body))
    parts = read_parts(gateway, scope)
    down = sorted(s for s, part in parts.items() if "unavailable" in part)
    if down:
        # A report is for keeping: published only whole, never with a service's part missing.
        raise GatewayError("unavailable", f"cannot publish now: {', '.join(down)} did not answer; "
                           "try again shortly", status=503)
    positions = positions_of(parts)
    figures, reasons = compose(scope, parts)
    hashed = digest(scope, positions, figures)
    try:
        saved = save_report(gateway.reports.db, scope, positions, figures, reasons,
                            call.principal.subject, hashed, command_id)
    except IdempotencyKeyReused:
        raise GatewayError("idempotency_key_reused", "this Idempotency-Key published a report "
                           "of another period or scope", status=422) from None
    gateway._record(gateway._entry(call, "publish_report", "ok", fields=body.keys()))
    reply = {"positions": positions, "hash": hashed, "figures": figures, "reasons": reasons,
             **saved, **scope.as_reply()}
    return json_response(reply, 200 if saved["replayed"] else 201,
                         headers={"Location": f"/api/v1/reports/{saved['report_id']}"})


def serve_report(gateway, call, report_id: str):
    """GET /api/v1/reports/{report_id}, for GatewayService.get_report."""
    from gateway.errors import GatewayError
    from gateway.service import json_response, purpose_from

    purpose_from(call.request)

    def not_found():
        return GatewayError("not_found", "no report with this id", status=404)

    try:
        report_id = str(uuid.UUID(report_id))
    except ValueError:
        raise not_found() from None
    report = load_report(gateway.reports.db, report_id)
    if report is None:
        raise not_found()
    scope = report["scope"]
    reach = call.within_stations()
    if reach is not None and (scope.stations is None or not set(scope.stations) <= set(reach)):
        raise not_found()   # another station's report is as if it did not exist
    positions = report["positions"]
    at_cutoff = read_parts(gateway, scope, positions=positions)
    now = read_parts(gateway, scope, after=positions)
    published, published_reasons = compose(scope, at_cutoff)
    current, current_reasons = compose(scope, now)
    recomputed = all("unavailable" not in part for part in at_cutoff.values())
    return json_response({
        "report_id": report["report_id"], **scope.as_reply(),
        "published_at": report["published_at"], "positions": positions, "hash": report["hash"],
        "as_published": {"figures": published, "reasons": published_reasons,
                         # The stored figures recomputed from the events up to the cutoff give
                         # the same hash, or something changed what they were computed from.
                         "hash_matches": (digest(scope, positions, published) == report["hash"])
                         if recomputed else None},
        "as_now_known": {"figures": current, "reasons": current_reasons,
                         "positions": positions_of(now)},
        "differences": explain(published, current, now),
    }, headers={"Cache-Control": "no-store"})


# -- the API document ------------------------------------------------------------------------------

RateSchema = Schema.from_dict({
    "numerator": fields.Integer(required=True), "denominator": fields.Integer(required=True),
    "rate": fields.Float(required=True, allow_none=True,
                         metadata={"description": "numerator / denominator, 4 decimals; null "
                                   "when the denominator is 0"}),
}, name="FigureRate")


def _figures_schema(name: str) -> type[Schema]:
    declared = {}
    for figure in FIGURES:
        description = figure.title + (" (fen)" if figure.money else "")
        declared[figure.key] = (fields.Nested(RateSchema, required=True, allow_none=True,
                                              metadata={"description": description})
                                if figure.rate else
                                fields.Integer(required=True, allow_none=True,
                                               metadata={"description": description}))
    return Schema.from_dict(declared, name=name)


Figures = _figures_schema("BureauFigures")
_REASONS = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                       metadata={"description": "why each null figure is null"})
_POSITIONS = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True),
                         required=True, metadata={"description": "each service's store position "
                                                  "the figures stand at"})
_SCOPE = {
    "from": fields.Date(required=True), "to": fields.Date(required=True),
    "station": fields.String(required=True, allow_none=True),
    "township": fields.String(required=True, allow_none=True),
    "stations": fields.List(fields.String(), required=True, allow_none=True,
                            metadata={"description": "the caller's reach; null: the district"}),
}
FiguresReply = Schema.from_dict({
    **_SCOPE, "as_of": fields.String(required=True), "positions": _POSITIONS,
    "figures": fields.Nested(Figures, required=True), "reasons": _REASONS,
}, name="BureauFiguresReply")
ReportPublished = Schema.from_dict({
    "report_id": fields.String(required=True), "published_at": fields.String(required=True),
    "replayed": fields.Boolean(required=True, metadata={
        "description": "true: this Idempotency-Key published it before; as published then"}),
    **_SCOPE, "positions": _POSITIONS, "hash": fields.String(required=True),
    "figures": fields.Nested(Figures, required=True), "reasons": _REASONS,
}, name="ReportPublished")
Correction = Schema.from_dict({
    "service": fields.String(required=True), "position": fields.Integer(required=True),
    "event_type": fields.String(required=True), "metric": fields.String(required=True),
    "effective_on": fields.Date(required=True), "delta": fields.Integer(required=True),
    "recorded_on": fields.Date(required=True),
}, name="FigureCorrection")
Difference = Schema.from_dict({
    "figure": fields.String(required=True),
    "published": fields.Raw(required=True, allow_none=True),
    "now": fields.Raw(required=True, allow_none=True),
    "corrections": fields.List(fields.Nested(Correction), required=True),
}, name="FigureDifference")
ReportReply = Schema.from_dict({
    "report_id": fields.String(required=True), **_SCOPE,
    "published_at": fields.String(required=True), "positions": _POSITIONS,
    "hash": fields.String(required=True),
    "as_published": fields.Nested(Schema.from_dict({
        "figures": fields.Nested(Figures, required=True), "reasons": _REASONS,
        "hash_matches": fields.Boolean(required=True, allow_none=True, metadata={
            "description": "the figures recomputed up to the stored positions give the stored "
                           "hash; null: a service did not answer"}),
    }, name="ReportAsPublished"), required=True),
    "as_now_known": fields.Nested(Schema.from_dict({
        "figures": fields.Nested(Figures, required=True), "reasons": _REASONS,
        "positions": _POSITIONS,
    }, name="ReportAsNowKnown"), required=True),
    "differences": fields.List(fields.Nested(Difference), required=True),
}, name="ReportReply")


def openapi_schemas() -> dict:
    return {s.__name__: s for s in (RateSchema, Figures, FiguresReply, ReportRequest,
                                    ReportPublished, Correction, Difference, ReportReply)}


def openapi_paths(errors, json_content, purpose) -> dict:
    query = [{"in": "query", "schema": BureauFiguresQuery}, purpose]
    return {
        "/api/v1/figures": {"get": {
            "operationId": "bureau_figures",
            "summary": "the bureau's figures for a period (from, to; a station or township): "
                       "counts, fen and rates, each from the services' events by the day it "
                       "counts for; null with a reason where it cannot be computed",
            "parameters": query,
            "responses": {"200": {"description": "the figures",
                                  **json_content("BureauFiguresReply")},
                          **errors(400, 401, 403, 503)}}},
        "/api/v1/figures/export": {"get": {
            "operationId": "export_figures",
            "summary": "the same figures as a spreadsheet (XLSX with a sheet per section, or "
                       "CSV) or one section as a PNG chart; Chinese headers, money in yuan "
                       "with two decimals",
            "parameters": [{"in": "query", "schema": ExportQuery}, purpose],
            "responses": {"200": {"description": "the file", "content": {
                EXPORT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}}}},
                          **errors(400, 401, 403, 503)}}},
        "/api/v1/reports": {"post": {
            "operationId": "publish_report",
            "summary": "publish the figures of a period as they stand now: each service's store "
                       "position and a hash of the figures are kept",
            "parameters": [{
                "name": "Idempotency-Key", "in": "header", "required": False,
                "description": "retrying with the same key answers the report it published "
                               "(200, replayed), never a second one",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,128}$"}}],
            "requestBody": {"required": True, **json_content("ReportRequest")},
            "responses": {"201": {"description": "published",
                                  **json_content("ReportPublished")},
                          "200": {"description": "published before with this Idempotency-Key",
                                  **json_content("ReportPublished")},
                          **errors(400, 401, 403, 413, 422, 503)}}},
        "/api/v1/reports/{report_id}": {"get": {
            "operationId": "get_report",
            "summary": "a published report: its figures as published (recomputed up to its "
                       "positions, hash checked), as now known, and the corrections behind "
                       "each difference",
            "parameters": [{"name": "report_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}, purpose],
            "responses": {"200": {"description": "the report", **json_content("ReportReply")},
                          **errors(400, 401, 403, 404, 503)}}},
    }
