"""The bundle's reads: one bundle as its reader may see it, the lists, the attention list, the inbox.

Who sees what: the veteran, their station's workers and the bureau's officers see a bundle whole;
a department sees only its own matters (and the veteran's id, to read the fields it is entitled
to through the gateway, audited); the leader sees statuses and dates without reasons,
references, notes or notifications (`withheld` names what was left out).
"""
from __future__ import annotations

from datetime import date, datetime

from chassis import notify
from chassis.caller import Caller
from chassis.envelope import RecordedEvent, public_actor
from chassis.on_a_day import OnADay
from services.bundle.domain.bundle import NOT_REQUESTED, Bundle, Matter
from services.bundle.domain.catalogue import DEPARTMENT_NAMES, INTERNAL_DEPARTMENTS, Catalogue
from services.bundle.domain.errors import InvalidBundle
from services.bundle.handlers import OFFICER_DEPARTMENTS, department_only, visible
from services.bundle.projections import fold

# Free text and references: whoever may see the bundle whole sees them; the leader does not.
PERSONAL_MATTER_FIELDS = ("reason", "refusal_reason", "next_step", "reference",
                          "withdrawal_reason")


def _leader_only(caller: Caller) -> bool:
    return set(caller.roles) <= {"leader"}


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def matter_view(catalogue: Catalogue, m: Matter) -> dict:
    spec = catalogue.get(m.key)
    return {
        "matter": m.key, "title": spec.title if spec else m.key, "department": m.department,
        "department_name": DEPARTMENT_NAMES.get(m.department, m.department),
        "internal": m.department in INTERNAL_DEPARTMENTS, "applies": m.applies,
        "chosen": m.chosen, "reason_code": m.reason_code, "reason": m.reason,
        "status": m.shown_status, "final": m.final, "attempt": m.attempt,
        "requested_on": m.requested_on, "acknowledged_on": m.acknowledged_on,
        "answered_on": m.answered_on, "due_on": m.due_on, "clock_unknown": m.clock_unknown,
        "overdue": m.overdue, "late": m.late, "reference": m.reference,
        "refusal_reason": m.refusal_reason, "refusal_code": m.refusal_code,
        "next_step": m.next_step, "corrected": m.corrected,
        "withdrawal_reason": m.withdrawal_reason, "steps": list(m.steps),
        "attention": m.attention, "attention_since": m.attention_since,
    }


def bundle_view(catalogue: Catalogue, bundle: Bundle, recorded: list[RecordedEvent],
                notifications: list[notify.Notification], caller: Caller) -> dict:
    department = caller.department if department_only(caller) else None
    leader = _leader_only(caller)
    withheld: list[str] = []
    matters = []
    for m in bundle.matters.values():
        if department is not None and m.department != department:
            continue
        view = matter_view(catalogue, m)
        if leader:
            view.update(dict.fromkeys(PERSONAL_MATTER_FIELDS))
        matters.append(view)
    history = []
    for item in bundle.history:
        if department is not None and item.matter is not None and \
                bundle.matters.get(item.matter, None) is not None and \
                bundle.matters[item.matter].department != department:
            continue
        history.append({"version": item.version,
                        "at": item.at.isoformat() if item.at else None, "event": item.event,
                        "actor": public_actor(item.actor) if item.actor else None,
                        "matter": item.matter, "status": item.status,
                        "detail": {} if leader else _plain(item.detail)})
    if department is not None:
        withheld += ["other departments' matters", "notifications"]
    if leader:
        withheld += [*PERSONAL_MATTER_FIELDS, "history.detail", "notifications"]
    shown_notifications = [] if (department is not None or leader) else [
        notification_view(n) for n in notifications]
    return {"bundle_id": bundle.bundle_id, "veteran_id": bundle.veteran_id,
            "version": bundle.version, "status": bundle.status, "final": bundle.final,
            "overdue": bundle.overdue, "station": bundle.station, "township": bundle.township,
            "submitted_on": bundle.submitted_on,
            "completed_on": bundle.completed_on if bundle.final else None,
            "matters": matters, "history": history, "notifications": shown_notifications,
            "withheld": withheld}


def notification_view(n: notify.Notification) -> dict:
    return {"notification_id": n.notification_id, "kind": n.kind, "title": n.title,
            "body": n.body, "bundle_id": n.case_id, "matter": n.subject, "status": n.status,
            "attempts": n.attempts, "channel": n.channel, "created_at": n.created_at.isoformat(),
            "sent_at": n.sent_at.isoformat() if n.sent_at else None}


# -- lists ----------------------------------------------------------------------------------------

def _reach(caller: Caller) -> dict:
    """The SQL parameters that keep a list within the caller's reach."""
    if department_only(caller):
        return {"forced_department": caller.department or "-", "veteran_only": None,
                "stations": None, "limited": False}
    if caller.district:
        return {"forced_department": None, "veteran_only": None, "stations": None,
                "limited": False}
    return {"forced_department": None, "veteran_only": caller.veteran_id,
            "stations": list(caller.stations), "limited": True}


_LIST = """
SELECT b.bundle_id, b.veteran_id, b.station, b.township, b.submitted_on, b.status, b.overdue,
       b.version, b.completed_on, count(*) OVER ()
FROM bundle_list b
WHERE (%(status)s::text IS NULL OR b.status = %(status)s)
  AND (%(station)s::text IS NULL OR b.station = %(station)s)
  AND (%(veteran_id)s::text IS NULL OR b.veteran_id = %(veteran_id)s)
  AND (%(overdue)s::boolean IS NULL OR b.overdue = %(overdue)s)
  AND (NOT %(limited)s OR b.veteran_id = %(veteran_only)s OR b.station = ANY(%(stations)s))
  AND (%(department)s::text IS NULL OR EXISTS (SELECT 1 FROM bundle_matters m
       WHERE m.bundle_id = b.bundle_id AND m.department = %(department)s))
  AND (%(forced_department)s::text IS NULL OR EXISTS (SELECT 1 FROM bundle_matters m
       WHERE m.bundle_id = b.bundle_id AND m.department = %(forced_department)s))
ORDER BY b.submitted_on DESC, b.bundle_id
LIMIT %(limit)s OFFSET %(offset)s
"""


def list_bundles(cur, caller: Caller, *, status=None, station=None, department=None,
                 overdue=None, veteran_id=None, page=1, page_size=20) -> dict:
    params = {"status": status, "station": station, "department": department,
              "overdue": overdue, "veteran_id": veteran_id, "limit": page_size,
              "offset": (page - 1) * page_size, **_reach(caller)}
    if params["stations"] is None:
        params["stations"] = []
    cur.execute(_LIST, params)
    rows = cur.fetchall()
    total = rows[0][-1] if rows else 0
    ids = [row[0] for row in rows]
    matters: dict[str, list[dict]] = {i: [] for i in ids}
    if ids:
        cur.execute("SELECT bundle_id, matter, department, status, due_on, overdue, attention "
                    "FROM bundle_matters WHERE bundle_id = ANY(%s) AND (%s::text IS NULL OR "
                    "department = %s) ORDER BY bundle_id, matter",
                    (ids, params["forced_department"], params["forced_department"]))
        for bundle_id, matter, dept, st, due_on, late, attention in cur.fetchall():
            matters[bundle_id].append({"matter": matter, "department": dept, "status": st,
                                       "due_on": due_on, "overdue": late,
                                       "attention": attention})
    items = [{"bundle_id": r[0], "veteran_id": r[1], "station": r[2], "township": r[3],
              "submitted_on": r[4], "status": r[5], "overdue": r[6], "version": r[7],
              "completed_on": r[8], "matters": matters[r[0]]} for r in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def bundles_on(cur, store, caller: Caller, day: OnADay, *, veteran_id=None, status=None,
               station=None, department=None, overdue=None, page=1, page_size=20) -> dict:
    """One veteran's bundles as they stood on `day` (the overview on a day, docs/history.md):
    each bundle's events up to that day, folded as a command folds them, shown as list_bundles
    shows a row; a bundle not submitted by then is left out, one the caller may not see too."""
    if veteran_id is None:
        raise InvalidBundle("a list on a day is one veteran's: give veteran_id",
                             {"veteran_id": ["required with as_of or effective_on"]})
    cur.execute("SELECT bundle_id FROM bundle_list WHERE veteran_id = %s "
                "ORDER BY submitted_on DESC, bundle_id", (veteran_id,))
    forced = _reach(caller)["forced_department"]
    items = []
    for (bundle_id,) in cur.fetchall():
        bundle = fold(bundle_id, day.events(store.read_stream_in(cur, bundle_id)))
        if not visible(bundle, caller):
            continue
        matters = [{"matter": m.key, "department": m.department, "status": m.shown_status,
                    "due_on": m.due_on, "overdue": m.is_open and m.overdue,
                    "attention": m.attention}
                   for m in sorted(bundle.matters.values(), key=lambda m: m.key)
                   if m.status not in NOT_REQUESTED and forced in (None, m.department)]
        if (status not in (None, bundle.status) or station not in (None, bundle.station)
                or overdue not in (None, bundle.overdue)
                or department not in (None, *(m["department"] for m in matters))):
            continue
        items.append({"bundle_id": bundle.bundle_id, "veteran_id": bundle.veteran_id,
                      "station": bundle.station, "township": bundle.township,
                      "submitted_on": bundle.submitted_on, "status": bundle.status,
                      "overdue": bundle.overdue, "version": bundle.version,
                      "completed_on": bundle.completed_on if bundle.final else None,
                      "matters": matters})
    return {"items": items[(page - 1) * page_size:page * page_size], "total": len(items),
            "page": page, "page_size": page_size}


_ATTENTION = """
WITH items AS (
  SELECT m.attention AS kind, b.bundle_id, b.veteran_id, b.station, m.matter, m.department,
         m.status, m.attention_since AS since, m.due_on, m.refusal_reason AS reason,
         m.next_step, NULL::text AS notification_id, NULL::int AS attempts
  FROM bundle_matters m JOIN bundle_list b ON b.bundle_id = m.bundle_id
  WHERE m.attention IS NOT NULL
    AND (%(departments)s::text[] IS NULL OR m.department = ANY(%(departments)s))
    AND (%(department)s::text IS NULL OR m.department = %(department)s)
  UNION ALL
  SELECT 'notification_failed', b.bundle_id, b.veteran_id, b.station, n.subject, NULL, n.status,
         (n.updated_at AT TIME ZONE 'Asia/Shanghai')::date, NULL, n.last_error, NULL,
         n.notification_id, n.attempts
  FROM notifications n JOIN bundle_list b ON b.bundle_id = n.case_id
  WHERE n.status = 'failed' AND %(departments)s::text[] IS NULL AND %(department)s::text IS NULL
)
SELECT *, count(*) OVER () FROM items
WHERE (%(kind)s::text IS NULL OR kind = %(kind)s)
  AND (%(station)s::text IS NULL OR station = %(station)s)
  AND (%(stations)s::text[] IS NULL OR station = ANY(%(stations)s))
ORDER BY since NULLS LAST, bundle_id, matter
LIMIT %(limit)s OFFSET %(offset)s
"""
_ATTENTION_FIELDS = ("kind", "bundle_id", "veteran_id", "station", "matter", "department",
                     "status", "since", "due_on", "reason", "next_step", "notification_id",
                     "attempts")


def attention(cur, caller: Caller, *, station=None, department=None, kind=None, page=1,
              page_size=20) -> dict:
    """What waits for a person, within the caller's reach: a station's bundles for its workers,
    a department's (or our service's) matters for it; failed notifications for the stations."""
    departments = None
    stations = None
    if "station_worker" in caller.roles and not caller.district:
        stations = list(caller.stations)
    elif not caller.district:
        stations = []
    own = {OFFICER_DEPARTMENTS[r] for r in caller.roles if r in OFFICER_DEPARTMENTS}
    if "department" in caller.roles and caller.department:
        own.add(caller.department)
    if own and "station_worker" not in caller.roles:
        departments = sorted(own)
    cur.execute(_ATTENTION, {"departments": departments, "department": department,
                             "kind": kind, "station": station, "stations": stations,
                             "limit": page_size, "offset": (page - 1) * page_size})
    rows = cur.fetchall()
    total = rows[0][-1] if rows else 0
    items = []
    for row in rows:
        item = dict(zip(_ATTENTION_FIELDS, row[:-1], strict=True))
        item["since"] = item["since"].isoformat() if item["since"] else None
        items.append(item)
    return {"items": items, "total": total, "page": page, "page_size": page_size}
