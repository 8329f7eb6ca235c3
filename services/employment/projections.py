"""The employment read models: employers, the posting board, fairs, job seekers, and activity for figures."""
from __future__ import annotations

from collections.abc import Mapping

import psycopg2.extras

from chassis.envelope import RecordedEvent
from services.employment.domain.job_seekers import yearly_interest_subsidy_fen
from services.employment.domain.townships import township_key
from services.employment.domain.vocabulary import (
    EMPLOYED,
    SEEKING,
    TAX_RELIEF_MIN_CONTRACT_MONTHS,
)

TABLES = ("employers", "postings", "job_fairs", "job_seekers", "employment_activity")


def _kinds_key(kinds) -> list[str]:
    return list(kinds) or ["*"]


class EmploymentViews:
    """Every employment read model, fed together (one checkpoint): each event changes one or two
    tables, and the figures read several at once, so they must stand at the same position."""

    name = "employment_views"
    tables = TABLES

    def __init__(self, tables: Mapping[str, str] | None = None):
        self.t = {table: (tables or {}).get(table, table) for table in TABLES}

    def into(self, tables: Mapping[str, str]) -> EmploymentViews:
        return EmploymentViews({live: tables.get(live, live) for live in TABLES})

    def apply_batch(self, cur, events: list[RecordedEvent]) -> None:
        """Runs of postings (a bulk load, the bench) go in one multi-row insert; everything else
        one event at a time, in order."""
        run: list[RecordedEvent] = []
        for event in events:
            if event.event_type == "PostingPublished":
                run.append(event)
                continue
            if run:
                self._postings(cur, run)
                run = []
            self.apply(cur, event)
        if run:
            self._postings(cur, run)

    def _postings(self, cur, events: list[RecordedEvent]) -> None:
        employer_ids = list({e.data["employer_id"] for e in events})
        cur.execute(f"SELECT employer_id, name FROM {self.t['employers']} "
                    "WHERE employer_id = ANY(%s)", (employer_ids,))
        names = dict(cur.fetchall())
        rows = [(d["posting_id"], d["employer_id"], names.get(d["employer_id"]), d["title"],
                 d["kind"], d["township"], township_key(d["township"]), d["pay_min_fen"],
                 d["pay_max_fen"], list(d["requirements"]), d["headcount"], d["published_on"],
                 True)
                for d in (e.data for e in events)]
        psycopg2.extras.execute_values(
            cur,
            f"INSERT INTO {self.t['postings']} (posting_id, employer_id, employer_name, title, "
            "kind, township, township_key, pay_min_fen, pay_max_fen, requirements, headcount, "
            "published_on, listed) VALUES %s ON CONFLICT DO NOTHING",
            rows, template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::text[], %s, %s::date, %s)",
            page_size=1000)

    def apply(self, cur, event: RecordedEvent) -> None:
        handler = getattr(self, f"_on_{event.event_type}", None)
        if handler is not None:
            handler(cur, event.data, event)

    def _on_EmployerRegistered(self, cur, d, event) -> None:
        cur.execute(
            f"INSERT INTO {self.t['employers']} (employer_id, name, credit_code, "
            "individual_business, township, industry, registered_on) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (d["employer_id"], d["name"], d["credit_code"], d["individual_business"],
             d["township"], d.get("industry"), d["registered_on"]))

    def _on_PostingPublished(self, cur, d, event) -> None:
        self._postings(cur, [event])

    def _on_PostingClosed(self, cur, d, event) -> None:
        cur.execute(f"UPDATE {self.t['postings']} SET closed_on = %s, listed = FALSE "
                    "WHERE posting_id = %s", (d["closed_on"], d["posting_id"]))

    def _on_JobFairRecorded(self, cur, d, event) -> None:
        cur.execute(
            f"INSERT INTO {self.t['job_fairs']} (fair_id, held_on, township, "
            "employers_attending, posts_offered, veterans_attending, intentions_reached) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (d["fair_id"], d["held_on"], d["township"], d["employers_attending"],
             d["posts_offered"], d["veterans_attending"], d["intentions_reached"]))

    def _on_JobSeekerRegistered(self, cur, d, event) -> None:
        cur.execute(
            f"INSERT INTO {self.t['job_seekers']} (veteran_id, township, service_station, "
            "source, registered_on, status) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (d["veteran_id"], d["township"], d["service_station"], d["source"],
             d["registered_on"], SEEKING))

    def _on_JobIntentionStated(self, cur, d, event) -> None:
        cur.execute(
            f"UPDATE {self.t['job_seekers']} SET kinds = %s, kinds_key = %s, townships = %s, "
            "min_pay_fen = %s, skills = %s WHERE veteran_id = %s",
            (list(d["kinds"]), _kinds_key(d["kinds"]), list(d["townships"]),
             d.get("min_pay_fen"), list(d["skills"]), d["veteran_id"]))

    def _activity(self, cur, record_id, veteran_id, activity, on_date, subkind=None,
                  posting_id=None, amount_fen=None, subsidy_fen=None, qualifies=None) -> None:
        cur.execute(
            f"INSERT INTO {self.t['employment_activity']} (record_id, veteran_id, activity, "
            "subkind, on_date, posting_id, amount_fen, subsidy_fen, qualifies) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (record_id, veteran_id, activity, subkind, on_date, posting_id, amount_fen,
             subsidy_fen, qualifies))

    def _on_EmploymentIntentionReached(self, cur, d, event) -> None:
        self._activity(cur, d["intention_id"], d["veteran_id"], "intention", d["reached_on"],
                       posting_id=d.get("posting_id"))

    def _on_Hired(self, cur, d, event) -> None:
        qualifies = bool(d["social_insurance"]) and \
            d["contract_months"] >= TAX_RELIEF_MIN_CONTRACT_MONTHS
        self._activity(cur, d["hire_id"], d["veteran_id"], "hire", d["hired_on"],
                       posting_id=d.get("posting_id"), qualifies=qualifies)
        cur.execute(f"UPDATE {self.t['job_seekers']} SET status = %s WHERE veteran_id = %s",
                    (EMPLOYED, d["veteran_id"]))
        if d.get("posting_id"):
            cur.execute(
                f"UPDATE {self.t['postings']} SET hired = hired + 1, "
                "listed = closed_on IS NULL AND hired + 1 < headcount WHERE posting_id = %s",
                (d["posting_id"],))

    def _on_TrainingEnrolled(self, cur, d, event) -> None:
        self._activity(cur, d["enrolment_id"], d["veteran_id"], "training", d["starts_on"],
                       subkind=d["kind"])

    def _on_StartupLoanGranted(self, cur, d, event) -> None:
        self._activity(cur, d["loan_id"], d["veteran_id"], "loan", d["granted_on"],
                       amount_fen=d["amount_fen"], subsidy_fen=yearly_interest_subsidy_fen(
                           d["amount_fen"], d["annual_rate_bp"], d["subsidy_percent"]))

    def _on_ContestAwardGranted(self, cur, d, event) -> None:
        self._activity(cur, d["award_id"], d["veteran_id"], "award", d["awarded_on"],
                       amount_fen=d["amount_fen"])


PROJECTIONS = {EmploymentViews.name: EmploymentViews()}
