"""The benefits read models: lists per station, campaign totals summed over visits, priority, figures."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import psycopg2.extras

from chassis.envelope import RecordedEvent

PERIODIC = ("disability_pension", "survivors_pension", "living_allowance", "nursing_allowance")


class _Tables:
    """A projection over some tables: `apply` calls `_<EventType>(cur, data, event)` if defined;
    `into` writes the same rows into renamed tables (a rebuild fills them beside the live ones)."""

    name = ""
    tables: tuple[str, ...] = ()

    def __init__(self, names: Mapping[str, str] | None = None):
        self.t = {table: (names or {}).get(table, table) for table in self.tables}

    def into(self, tables: Mapping[str, str]):
        return type(self)(tables)

    def apply(self, cur, event: RecordedEvent) -> None:
        handler = getattr(self, f"_{event.event_type}", None)
        if handler is not None:
            handler(cur, event.data, event)

    def _set(self, cur, table: str, key: str, key_value: str, **columns) -> None:
        assignments = ", ".join(f"{column} = %s" for column in columns)
        cur.execute(f"UPDATE {self.t[table]} SET {assignments} WHERE {key} = %s",
                    [*columns.values(), key_value])


class ReliefList(_Tables):
    """`state_since` is the day of the step that put the application in its state (the day it
    was received, reviewed, decided, paid, closed): a staff queue's days waiting count from it."""

    name, tables = "relief_list", ("relief_list",)

    def _ReliefApplied(self, cur, d, e):
        cur.execute(
            f"INSERT INTO {self.t['relief_list']} (application_id, veteran_id, station, state, "
            "trigger, amount_asked_fen, applied_on, position, state_since, handled_by) "
            "VALUES (%s, %s, %s, 'applied', %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (d["application_id"], d["veteran_id"], d["station"], d["trigger"],
             d["amount_asked_fen"], d["applied_on"], e.position, d["applied_on"],
             d["handled_by"]))

    def _ReliefReviewed(self, cur, d, e):
        self._set(cur, "relief_list", "application_id", d["application_id"], state="reviewed",
                  state_since=d["reviewed_on"], reviewed_by=d["reviewed_by"])

    def _ReliefApproved(self, cur, d, e):
        self._set(cur, "relief_list", "application_id", d["application_id"], state="approved",
                  approved_fen=d["approved_fen"], decided_on=d["decided_on"],
                  state_since=d["decided_on"])

    def _ReliefRejected(self, cur, d, e):
        self._set(cur, "relief_list", "application_id", d["application_id"], state="rejected",
                  decided_on=d["decided_on"], state_since=d["decided_on"])

    def _ReliefDisbursed(self, cur, d, e):
        self._set(cur, "relief_list", "application_id", d["application_id"], state="disbursed",
                  paid_fen=d["paid_fen"], paid_on=d["paid_on"], state_since=d["paid_on"])

    def _ReliefClosed(self, cur, d, e):
        self._set(cur, "relief_list", "application_id", d["application_id"], state="closed",
                  state_since=d["closed_on"])


class EntitlementList(_Tables):
    name, tables = "entitlement_list", ("entitlement_list",)

    def _EntitlementApplied(self, cur, d, e):
        # A new application on a periodic kind's stream starts its row afresh.
        cur.execute(
            f"INSERT INTO {self.t['entitlement_list']} (entitlement_id, veteran_id, station, "
            "township, kind, periodic, state, applied_on, position) "
            "VALUES (%s, %s, %s, %s, %s, %s, 'applied', %s, %s) ON CONFLICT (entitlement_id) "
            "DO UPDATE SET state = 'applied', amount_fen = NULL, applied_on = EXCLUDED.applied_on, "
            "approved_on = NULL, confirmation_due_on = NULL, confirmation_overdue = false, "
            "station = EXCLUDED.station, township = EXCLUDED.township",
            (d["entitlement_id"], d["veteran_id"], d["station"], d["township"], d["kind"],
             d["kind"] in PERIODIC, d["applied_on"], e.position))

    def _EntitlementReviewed(self, cur, d, e):
        self._set(cur, "entitlement_list", "entitlement_id", d["entitlement_id"],
                  state="reviewed")

    def _EntitlementApproved(self, cur, d, e):
        cur.execute(
            f"UPDATE {self.t['entitlement_list']} SET state = CASE WHEN periodic THEN 'active' "
            "ELSE 'approved' END, amount_fen = %s, approved_on = %s, confirmation_due_on = %s "
            "WHERE entitlement_id = %s",
            (d["amount_fen"], d["decided_on"], d["confirmation_due_on"], d["entitlement_id"]))

    def _EntitlementRejected(self, cur, d, e):
        self._set(cur, "entitlement_list", "entitlement_id", d["entitlement_id"],
                  state="rejected")

    def _EntitlementConfirmed(self, cur, d, e):
        self._set(cur, "entitlement_list", "entitlement_id", d["entitlement_id"],
                  amount_fen=d["amount_fen"], confirmation_due_on=d["next_due_on"],
                  confirmation_overdue=False)

    def _EntitlementConfirmationOverdue(self, cur, d, e):
        self._set(cur, "entitlement_list", "entitlement_id", d["entitlement_id"],
                  confirmation_overdue=True)

    def _EntitlementSuspended(self, cur, d, e):
        self._set(cur, "entitlement_list", "entitlement_id", d["entitlement_id"],
                  state="suspended", confirmation_due_on=None, confirmation_overdue=False)

    def _EntitlementResumed(self, cur, d, e):
        self._set(cur, "entitlement_list", "entitlement_id", d["entitlement_id"], state="active",
                  confirmation_due_on=d["confirmation_due_on"])

    def _EntitlementEnded(self, cur, d, e):
        self._set(cur, "entitlement_list", "entitlement_id", d["entitlement_id"], state="ended",
                  confirmation_due_on=None, confirmation_overdue=False)

    def _EntitlementPaid(self, cur, d, e):
        self._set(cur, "entitlement_list", "entitlement_id", d["entitlement_id"], state="paid")


_CARD_STEP_STATES = {"CardCountyChecked": "county_checked", "CardBureauApproved": "bureau_approved",
                     "CardCityReviewed": "city_reviewed", "CardProvinceFiled": "province_filed",
                     "CardMade": "made", "CardHandedOut": "handed_out"}


class CardList(_Tables):
    name, tables = "card_list", ("card_list",)

    def apply(self, cur, event: RecordedEvent) -> None:
        state = _CARD_STEP_STATES.get(event.event_type)
        if state is None:
            super().apply(cur, event)
            return
        d = event.data
        columns = {"state": state}
        if event.event_type == "CardCountyChecked":
            columns["filing_due_on"] = d["filing_due_on"]
        elif event.event_type == "CardMade":
            columns["handout_due_on"] = d["handout_due_on"]
        elif event.event_type == "CardHandedOut":
            columns["handed_out_on"] = d["done_on"]
        self._set(cur, "card_list", "card_id", d["card_id"], **columns)

    def _CardApplied(self, cur, d, e):
        cur.execute(
            f"INSERT INTO {self.t['card_list']} (card_id, veteran_id, station, category, state, "
            "applied_on, position) VALUES (%s, %s, %s, %s, 'applied', %s, %s) "
            "ON CONFLICT (card_id) DO UPDATE SET state = 'applied', category = EXCLUDED.category, "
            "applied_on = EXCLUDED.applied_on, filing_due_on = NULL, handout_due_on = NULL, "
            "filing_overdue = false, handout_overdue = false, station = EXCLUDED.station",
            (d["card_id"], d["veteran_id"], d["station"], d["category"], d["applied_on"],
             e.position))

    def _CardRefused(self, cur, d, e):
        self._set(cur, "card_list", "card_id", d["card_id"], state="refused")

    def _CardFilingOverdue(self, cur, d, e):
        self._set(cur, "card_list", "card_id", d["card_id"], filing_overdue=True)

    def _CardClockSet(self, cur, d, e):
        column = "filing_due_on" if d["clock"] == "province_filing" else "handout_due_on"
        self._set(cur, "card_list", "card_id", d["card_id"], **{column: d["due_on"]})

    def _CardHandoutOverdue(self, cur, d, e):
        self._set(cur, "card_list", "card_id", d["card_id"], handout_overdue=True)


class OfferList(_Tables):
    name, tables = "offer_list", ("offer_list",)

    def _OfferOpened(self, cur, d, e):
        cur.execute(
            f"INSERT INTO {self.t['offer_list']} (offer_id, veteran_id, station, kind, rule, "
            "article, state, opened_on, answer_due_on, position) "
            "VALUES (%s, %s, %s, %s, %s, %s, 'open', %s, %s, %s) ON CONFLICT DO NOTHING",
            (d["offer_id"], d["veteran_id"], d["station"], d["kind"], d["rule"], d["article"],
             d["opened_on"], d["answer_due_on"], e.position))

    def _OfferConfirmed(self, cur, d, e):
        self._set(cur, "offer_list", "offer_id", d["offer_id"], state="confirmed")

    def _OfferDeclined(self, cur, d, e):
        self._set(cur, "offer_list", "offer_id", d["offer_id"], state="declined")

    def _OfferUnanswered(self, cur, d, e):
        self._set(cur, "offer_list", "offer_id", d["offer_id"], unanswered=True)


class VisitList(_Tables):
    """Campaigns and their visits: totals are sums over visit rows, computed when read."""

    name, tables = "visit_list", ("campaign_list", "visit_list")

    def _CampaignOpened(self, cur, d, e):
        cur.execute(
            f"INSERT INTO {self.t['campaign_list']} (campaign_id, name, kind, state, starts_on, "
            "ends_on, budget_fen, position) VALUES (%s, %s, %s, 'open', %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (d["campaign_id"], d["name"], d["kind"], d["starts_on"], d["ends_on"],
             d["budget_fen"], e.position))

    def _CampaignClosed(self, cur, d, e):
        self._set(cur, "campaign_list", "campaign_id", d["campaign_id"], state="closed")

    def apply_batch(self, cur, events: list[RecordedEvent]) -> None:
        """Visits come in bursts (a festival's): one multi-row insert for a run of them."""
        pending: list[tuple] = []
        insert = (f"INSERT INTO {self.t['visit_list']} (visit_id, campaign_id, veteran_id, "
                  "station, visited_on, amount_fen, goods_value_fen, position) VALUES %s "
                  "ON CONFLICT DO NOTHING")
        for event in events:
            if event.event_type == "VisitRecorded":
                d = event.data
                pending.append((d["visit_id"], d["campaign_id"], d["veteran_id"], d["station"],
                                d["visited_on"], d["amount_fen"], d["goods_value_fen"],
                                event.position))
                continue
            if pending:
                psycopg2.extras.execute_values(cur, insert, pending, page_size=1000)
                pending = []
            self.apply(cur, event)
        if pending:
            psycopg2.extras.execute_values(cur, insert, pending, page_size=1000)

    def _VisitWithdrawn(self, cur, d, e):
        self._set(cur, "visit_list", "visit_id", d["visit_id"], withdrawn=True)


PROJECTIONS = {p.name: p for p in (ReliefList(), EntitlementList(), CardList(), OfferList(),
                                   VisitList())}


# -- queries ------------------------------------------------------------------------------------

def _rows(cur) -> list[dict]:
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def _where(stations, filters: dict) -> tuple[str, list]:
    """`stations` is the caller's reach (None: the district); filters are column = value."""
    where, args = [], []
    if stations is not None:
        where.append("station = ANY(%s)")
        args.append(list(stations))
    for column, value in filters.items():
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    return (f"WHERE {' AND '.join(where)}" if where else ""), args


def _page(cur, table: str, columns: str, clause: str, args: list, page: int,
          page_size: int) -> dict:
    cur.execute(f"SELECT count(*) FROM {table} {clause}", args)
    total = cur.fetchone()[0]
    cur.execute(f"SELECT {columns} FROM {table} {clause} ORDER BY position DESC LIMIT %s OFFSET %s",
                [*args, page_size, (page - 1) * page_size])
    return {"items": _rows(cur), "page": page, "page_size": page_size, "total": total}


RELIEF_COLUMNS = ("application_id, veteran_id, station, state, trigger, amount_asked_fen, "
                  "approved_fen, paid_fen, applied_on, paid_on, state_since, "
                  "CASE state WHEN 'applied' THEN 'review' WHEN 'reviewed' THEN 'decide' "
                  "WHEN 'approved' THEN 'disburse' WHEN 'disbursed' THEN 'close' END AS next_step")
ENTITLEMENT_COLUMNS = ("entitlement_id, veteran_id, station, kind, state, amount_fen, "
                       "confirmation_due_on, confirmation_overdue, applied_on")
CARD_COLUMNS = ("card_id, veteran_id, station, category, state, applied_on, filing_due_on, "
                "handout_due_on, (filing_overdue OR handout_overdue) AS overdue")
OFFER_COLUMNS = ("offer_id, veteran_id, station, kind, rule, article, state, opened_on, "
                 "answer_due_on, (state = 'open' AND (unanswered OR answer_due_on < %s)) AS overdue")


RELIEF_OPEN = ("applied", "reviewed", "approved", "disbursed")
# The subjects a step's four eyes compares, as the domain names them (ReliefApplication.
# earlier_hands), and the columns that hold them.
RELIEF_HANDS = {"handler": "handled_by", "reviewer": "reviewed_by"}


def list_relief(cur, stations, station=None, state=None, trigger=None, page=1, page_size=20,
                queue=None, sort=None, order="asc", subject=None, steps=None):
    """A page of applications. `steps` maps each state whose step the caller's roles run to the
    hands that may not take it (four eyes): from it, which rows are the caller's (`yours`) and
    the queues mine (yours and open), others (open, not yours) and done."""
    clause, args = _where(stations, {"station": station, "state": state, "trigger": trigger})
    yours, yours_args = ["false"], []
    for step_state, hands in (steps or {}).items():
        barred = "".join(f" AND {RELIEF_HANDS[h]} IS DISTINCT FROM %s" for h in hands)
        yours.append(f"(state = %s{barred})")
        yours_args += [step_state, *[subject] * len(hands)]
    mine = f"({' OR '.join(yours)})"
    if queue is not None:
        condition = {"mine": mine, "others": f"(state = ANY(%s) AND NOT {mine})",
                     "done": "NOT (state = ANY(%s))"}[queue]
        clause += (" AND " if clause else "WHERE ") + condition
        args += {"mine": yours_args, "others": [list(RELIEF_OPEN), *yours_args],
                 "done": [list(RELIEF_OPEN)]}[queue]
    cur.execute(f"SELECT count(*) FROM relief_list {clause}", args)
    total = cur.fetchone()[0]
    # The sort column is one of the contract's names, never the caller's text.
    ordering = (f"{sort} {'DESC' if order == 'desc' else 'ASC'} NULLS LAST, application_id"
                if sort in ("state_since", "applied_on", "amount_asked_fen")
                else "position DESC")
    cur.execute(f"SELECT {RELIEF_COLUMNS}, {mine} AS yours FROM relief_list {clause} "
                f"ORDER BY {ordering} LIMIT %s OFFSET %s",
                [*yours_args, *args, page_size, (page - 1) * page_size])
    return {"items": _rows(cur), "page": page, "page_size": page_size, "total": total}


def list_entitlements(cur, stations, station=None, kind=None, state=None, overdue=None, page=1,
                      page_size=20):
    clause, args = _where(stations, {"station": station, "kind": kind, "state": state,
                                     "confirmation_overdue": overdue})
    return _page(cur, "entitlement_list", ENTITLEMENT_COLUMNS, clause, args, page, page_size)


def list_cards(cur, stations, station=None, state=None, overdue=None, page=1, page_size=20):
    clause, args = _where(stations, {"station": station, "state": state})
    if overdue is not None:
        clause += (" AND " if clause else "WHERE ") + \
            f"{'' if overdue else 'NOT '}(filing_overdue OR handout_overdue)"
    return _page(cur, "card_list", CARD_COLUMNS, clause, args, page, page_size)


def list_offers(cur, stations, today: date, station=None, state=None, kind=None, overdue=None,
                page=1, page_size=20):
    """An offer is overdue once open past its 30 days, whether or not the deadline runner has
    fired it yet: the station's list does not wait for the runner."""
    clause, args = _where(stations, {"station": station, "state": state, "kind": kind})
    if overdue is not None:
        clause += (" AND " if clause else "WHERE ") + \
            f"{'' if overdue else 'NOT '}(state = 'open' AND (unanswered OR answer_due_on < %s))"
        args.append(today)
    cur.execute(f"SELECT count(*) FROM offer_list {clause}", args)
    total = cur.fetchone()[0]
    cur.execute(f"SELECT {OFFER_COLUMNS} FROM offer_list {clause} ORDER BY position DESC "
                "LIMIT %s OFFSET %s", [today, *args, page_size, (page - 1) * page_size])
    return {"items": _rows(cur), "page": page, "page_size": page_size, "total": total}


def list_campaigns(cur, kind=None, state=None, page=1, page_size=20):
    clause, args = _where(None, {"kind": kind, "state": state})
    return _page(cur, "campaign_list",
                 "campaign_id, name, kind, state, starts_on, ends_on, budget_fen", clause, args,
                 page, page_size)


def campaign_totals(cur, campaign_id: str) -> dict:
    """People (different veterans), visits, money and goods of a campaign, and per station."""
    cur.execute("SELECT count(*), count(DISTINCT veteran_id), coalesce(sum(amount_fen), 0), "
                "coalesce(sum(goods_value_fen), 0) FROM visit_list "
                "WHERE campaign_id = %s AND NOT withdrawn", (campaign_id,))
    visits, people, amount, goods = cur.fetchone()
    cur.execute("SELECT station, count(DISTINCT veteran_id) AS people, count(*) AS visits, "
                "sum(amount_fen) AS amount_fen, sum(goods_value_fen) AS goods_value_fen "
                "FROM visit_list WHERE campaign_id = %s AND NOT withdrawn GROUP BY station "
                "ORDER BY station", (campaign_id,))
    by_station = [{**row, "amount_fen": int(row["amount_fen"]),
                   "goods_value_fen": int(row["goods_value_fen"])} for row in _rows(cur)]
    return {"visits": visits, "people": people, "amount_fen": int(amount),
            "goods_value_fen": int(goods), "by_station": by_station}


def priority_beneficiaries(cur, stations, station=None, page=1, page_size=20) -> dict:
    """Who holds an active periodic entitlement: the derived flag, listed per station."""
    clause, args = _where(stations, {"station": station})
    base = (f"FROM entitlement_list {clause} {'AND' if clause else 'WHERE'} periodic "
            "AND state = 'active'")
    cur.execute(f"SELECT count(DISTINCT veteran_id) {base}", args)
    total = cur.fetchone()[0]
    cur.execute(f"SELECT veteran_id, station, township, array_agg(kind ORDER BY kind) AS kinds, "
                f"sum(amount_fen) AS yearly_fen {base} GROUP BY veteran_id, station, township "
                "ORDER BY station, veteran_id LIMIT %s OFFSET %s",
                [*args, page_size, (page - 1) * page_size])
    items = [{**row, "yearly_fen": int(row["yearly_fen"] or 0)} for row in _rows(cur)]
    return {"items": items, "page": page, "page_size": page_size, "total": total}


# Each part of veteran_overview: the read model that lists the veteran's cases, and its id.
_VETERAN_STREAMS = {"relief": ("relief_list", "application_id"),
                    "entitlements": ("entitlement_list", "entitlement_id"),
                    "cards": ("card_list", "card_id"), "offers": ("offer_list", "offer_id"),
                    "visits": ("visit_list", "visit_id")}


def veteran_streams(cur, part: str, veteran_id: str) -> list[str]:
    """The streams of one part of veteran_overview for the veteran, in the order it lists them."""
    table, key = _VETERAN_STREAMS[part]
    cur.execute(f"SELECT {key} FROM {table} WHERE veteran_id = %s ORDER BY position",
                (veteran_id,))
    return [row[0] for row in cur.fetchall()]


def veteran_overview(cur, veteran_id: str, today: date) -> dict:
    out = {}
    for key, table, columns in (("relief", "relief_list", RELIEF_COLUMNS),
                                ("entitlements", "entitlement_list", ENTITLEMENT_COLUMNS),
                                ("cards", "card_list", CARD_COLUMNS)):
        cur.execute(f"SELECT {columns} FROM {table} WHERE veteran_id = %s ORDER BY position",
                    (veteran_id,))
        out[key] = _rows(cur)
    cur.execute(f"SELECT {OFFER_COLUMNS} FROM offer_list WHERE veteran_id = %s ORDER BY position",
                (today, veteran_id))
    out["offers"] = _rows(cur)
    cur.execute("SELECT visit_id, campaign_id, veteran_id, station, CASE WHEN withdrawn THEN "
                "'withdrawn' ELSE 'recorded' END AS state, visited_on, amount_fen, "
                "goods_value_fen FROM visit_list WHERE veteran_id = %s ORDER BY position",
                (veteran_id,))
    out["visits"] = _rows(cur)
    cur.execute("SELECT EXISTS (SELECT 1 FROM entitlement_list WHERE veteran_id = %s AND periodic "
                "AND state = 'active')", (veteran_id,))
    out["priority_beneficiary"] = cur.fetchone()[0]
    return out


def figures(cur, first: date, last: date) -> dict:
    """The summary's figures for a period, from the read models (money in fen, exact)."""
    cur.execute("SELECT count(*), count(DISTINCT veteran_id), coalesce(sum(paid_fen), 0) "
                "FROM relief_list WHERE paid_on BETWEEN %s AND %s", (first, last))
    grants, relief_people, paid = cur.fetchone()
    cur.execute("SELECT count(*), count(DISTINCT veteran_id), coalesce(sum(amount_fen), 0), "
                "coalesce(sum(goods_value_fen), 0) FROM visit_list "
                "WHERE NOT withdrawn AND visited_on BETWEEN %s AND %s", (first, last))
    visits, people, amount, goods = cur.fetchone()
    cur.execute("SELECT count(DISTINCT w.veteran_id) FROM visit_list w JOIN benefit_veterans v "
                "USING (veteran_id) WHERE NOT w.withdrawn AND w.visited_on BETWEEN %s AND %s "
                "AND 'martyr' = ANY(v.ties)", (first, last))
    survivor_families = cur.fetchone()[0]
    cur.execute("SELECT count(DISTINCT veteran_id) FROM entitlement_list WHERE periodic "
                "AND state = 'active'")
    priority = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM card_list WHERE handed_out_on BETWEEN %s AND %s",
                (first, last))
    cards = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM entitlement_list WHERE approved_on BETWEEN %s AND %s",
                (first, last))
    approved = cur.fetchone()[0]
    return {"from_": first, "to": last, "relief_grants": grants, "relief_people": relief_people,
            "relief_paid_fen": int(paid), "visits": visits, "people_visited": people,
            "visit_amount_fen": int(amount), "visit_goods_value_fen": int(goods),
            "survivor_families_visited": survivor_families, "priority_beneficiaries": priority,
            "cards_handed_out": cards, "entitlements_approved": approved}
